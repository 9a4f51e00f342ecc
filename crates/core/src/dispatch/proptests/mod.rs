//! Random days at the dispatch desk, checked step by step against a model written separately
//! from the dispatcher (`model`).

use super::*;
use crate::ids::{AccountId, EncounterId};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use uuid::Uuid;

mod model;
use model::{Expect, Model};

const MS: i64 = 1_000;
const ATTORNEYS: usize = 5;
const ENCOUNTERS: usize = 5;
const ORGS: usize = 2;
const LANGUAGES: [&str; 2] = ["en", "es"];
const STATES: [&str; 3] = ["CA", "TX", "NY"];

fn lawyer(i: usize) -> AccountId {
    AccountId(Uuid::from_u128(i as u128 + 1))
}

fn enc(i: usize) -> EncounterId {
    EncounterId(Uuid::from_u128(0x1000 + i as u128))
}

fn org(i: usize) -> OrgId {
    OrgId(Uuid::from_u128(0xA + i as u128))
}

fn language(i: usize) -> Language {
    LANGUAGES[i].parse().expect("language")
}

fn us_state(i: usize) -> UsState {
    STATES[i].parse().expect("state")
}

/// Some of `0..n`: mostly at least one, so most requests find someone, sometimes none.
fn some_of(n: usize) -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        1 => Just(Vec::new()),
        6 => prop::sample::subsequence((0..n).collect::<Vec<_>>(), 1..=n),
    ]
}

/// Most attorneys and requests belong to the first organization, so they meet often.
fn some_org() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0), 1 => Just(1)]
}

fn profile() -> impl Strategy<Value = AttorneyProfile> {
    (
        some_org(),
        prop::bool::weighted(0.9),
        some_of(LANGUAGES.len()),
        some_of(STATES.len()),
        prop_oneof![1 => Just(0u32), 6 => Just(1), 3 => Just(2)],
    )
        .prop_map(|(o, vetted, languages, states, capacity)| AttorneyProfile {
            vetted,
            languages: languages.into_iter().map(language).collect(),
            bar_admissions: states.into_iter().map(us_state).collect(),
            capacity,
            ..AttorneyProfile::new(org(o))
        })
}

#[derive(Clone, Debug)]
enum Op {
    OnDuty {
        who: usize,
        alternate: bool,
    },
    OffDuty(usize),
    Heartbeat(usize),
    HeartbeatAll,
    Request {
        encounter: usize,
        org: usize,
        language: usize,
        state: usize,
    },
    Accept {
        who: usize,
        encounter: usize,
    },
    Decline {
        who: usize,
        encounter: usize,
    },
    /// Accept (or decline) the n-th offer ringing now, so connections are common.
    AcceptRinging(usize),
    DeclineRinging(usize),
    Wait {
        ms: i64,
    },
    Cancel(usize),
    End(usize),
    SetPolicy {
        org: usize,
        any: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..ATTORNEYS, any::<bool>()).prop_map(|(who, alternate)| Op::OnDuty { who, alternate }),
        1 => (0..ATTORNEYS).prop_map(Op::OffDuty),
        1 => (0..ATTORNEYS).prop_map(Op::Heartbeat),
        2 => Just(Op::HeartbeatAll),
        3 => (0..ENCOUNTERS, some_org(), 0..LANGUAGES.len(), 0..STATES.len())
            .prop_map(|(encounter, org, language, state)| Op::Request { encounter, org, language, state }),
        1 => (0..ATTORNEYS, 0..ENCOUNTERS).prop_map(|(who, encounter)| Op::Accept { who, encounter }),
        1 => (0..ATTORNEYS, 0..ENCOUNTERS).prop_map(|(who, encounter)| Op::Decline { who, encounter }),
        3 => any::<usize>().prop_map(Op::AcceptRinging),
        1 => any::<usize>().prop_map(Op::DeclineRinging),
        // Mostly short waits, so attorneys stay present; long ones lapse them and expire offers.
        3 => prop_oneof![3 => 0..5_000i64, 1 => 5_000..20_000i64].prop_map(|ms| Op::Wait { ms }),
        1 => (0..ENCOUNTERS).prop_map(Op::Cancel),
        1 => (0..ENCOUNTERS).prop_map(Op::End),
        1 => (0..ORGS, any::<bool>()).prop_map(|(org, any)| Op::SetPolicy { org, any }),
    ]
}

struct Run {
    dispatcher: Dispatcher,
    model: Model,
    log: Vec<(i64, Event, Vec<Effect>)>,
}

impl Run {
    /// Sends one event to both, checks each effect as the model applies it (an accept's answer
    /// against the model's prediction), then the invariants.
    fn send(&mut self, event: Event) -> Result<(), TestCaseError> {
        self.model.apply_event(&event);
        let effects = self.dispatcher.handle(self.model.now, event.clone());
        let mut answered = false;
        for effect in &effects {
            if let Event::Accept { attorney, encounter } = event {
                let about_it = match effect {
                    Effect::Connected {
                        attorney: a,
                        encounter: e,
                    } if (*a, *e) == (attorney, encounter) => Some(Expect::Connect),
                    Effect::AcceptRefused {
                        attorney: a,
                        encounter: e,
                        reason,
                    } if (*a, *e) == (attorney, encounter) => Some(Expect::Refuse(*reason)),
                    _ => None,
                };
                if let Some(got) = about_it {
                    prop_assert!(!answered, "answered an accept twice");
                    prop_assert_eq!(self.model.expect_accept(attorney, encounter), got);
                    answered = true;
                }
            }
            self.model.apply_effect(effect)?;
        }
        if let Event::Accept { attorney, encounter } = event
            && !answered
        {
            prop_assert_eq!(self.model.expect_accept(attorney, encounter), Expect::Nothing);
        }
        self.model.check(&self.dispatcher)?;
        self.log.push((self.model.now, event, effects));
        Ok(())
    }

    fn ringing(&self, n: usize) -> Option<(AccountId, EncounterId)> {
        let all: Vec<_> = self
            .model
            .requests
            .iter()
            .flat_map(|(e, r)| r.offers.keys().map(|a| (*a, *e)))
            .collect();
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    fn play(&mut self, op: &Op, profiles: &[(AttorneyProfile, AttorneyProfile)]) -> Result<(), TestCaseError> {
        let event = match *op {
            Op::OnDuty { who, alternate } => {
                let (main, other) = &profiles[who];
                Event::AttorneyOnDuty {
                    attorney: lawyer(who),
                    profile: if alternate { other.clone() } else { main.clone() },
                }
            }
            Op::OffDuty(who) => Event::AttorneyOffDuty { attorney: lawyer(who) },
            Op::Heartbeat(who) => Event::Heartbeat { attorney: lawyer(who) },
            Op::HeartbeatAll => {
                for who in 0..ATTORNEYS {
                    self.send(Event::Heartbeat { attorney: lawyer(who) })?;
                }
                return Ok(());
            }
            Op::Request {
                encounter,
                org: o,
                language: l,
                state: s,
            } => Event::RequestAttorney(Request {
                encounter: enc(encounter),
                org: org(o),
                language: language(l),
                state: us_state(s),
                requested_at_us: self.model.now,
            }),
            Op::Accept { who, encounter } => Event::Accept {
                attorney: lawyer(who),
                encounter: enc(encounter),
            },
            Op::Decline { who, encounter } => Event::Decline {
                attorney: lawyer(who),
                encounter: enc(encounter),
            },
            Op::AcceptRinging(n) => match self.ringing(n) {
                Some((attorney, encounter)) => Event::Accept { attorney, encounter },
                None => Event::Tick,
            },
            Op::DeclineRinging(n) => match self.ringing(n) {
                Some((attorney, encounter)) => Event::Decline { attorney, encounter },
                None => Event::Tick,
            },
            Op::Wait { ms } => {
                self.model.now += ms * MS;
                Event::Tick
            }
            Op::Cancel(encounter) => Event::CancelRequest {
                encounter: enc(encounter),
            },
            Op::End(encounter) => Event::CallEnded {
                encounter: enc(encounter),
            },
            Op::SetPolicy { org: o, any } => Event::SetStatePolicy {
                org: org(o),
                policy: if any {
                    StatePolicy::AnyUsAdmission
                } else {
                    StatePolicy::AdmittedInState
                },
            },
        };
        self.send(event)
    }
}

fn settings(ring: usize) -> DispatchSettings {
    DispatchSettings {
        ring_count: NonZeroUsize::new(ring).expect("ring count from 1"),
        offer_timeout_us: 15_000 * MS,
        heartbeat_timeout_us: 10_000 * MS,
        ..DispatchSettings::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_step_keeps_the_rules(
        profiles in prop::collection::vec((profile(), profile()), ATTORNEYS),
        ring in 1usize..=3,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let settings = settings(ring);
        let mut run = Run {
            dispatcher: Dispatcher::new(settings.clone()),
            model: Model {
                ring,
                offer_timeout: settings.offer_timeout_us,
                heartbeat_timeout: settings.heartbeat_timeout_us,
                policies: BTreeMap::new(),
                now: 1_790_000_000_000 * MS,
                attorneys: BTreeMap::new(),
                requests: BTreeMap::new(),
            },
            log: Vec::new(),
        };
        for op in &ops {
            run.play(op, &profiles)?;
        }

        // The state a server would persist comes back the same.
        let json = serde_json::to_string(&run.dispatcher).expect("serialize");
        let restored: Dispatcher = serde_json::from_str(&json).expect("deserialize");
        prop_assert_eq!(&restored, &run.dispatcher);

        // Close everything: every request ends, and nothing is left ringing or held.
        let open: Vec<EncounterId> = run.model.requests.keys().copied().collect();
        for (i, encounter) in open.into_iter().enumerate() {
            let event = if i % 2 == 0 { Event::CancelRequest { encounter } } else { Event::CallEnded { encounter } };
            run.send(event)?;
        }
        let snapshot = run.dispatcher.snapshot(run.model.now);
        prop_assert!(snapshot.requests.is_empty());
        prop_assert!(snapshot.attorneys.iter().all(|a| a.offers.is_empty() && a.calls.is_empty()));
        prop_assert_eq!(run.dispatcher.next_deadline(), None);

        // Same events, same times, same effects.
        let mut replay = Dispatcher::new(settings);
        for (now, event, effects) in &run.log {
            prop_assert_eq!(&replay.handle(*now, event.clone()), effects);
        }
    }
}
