//! The model the property test checks the dispatcher against. It learns only from the events
//! sent and the effects returned, and judges eligibility, capacity, ranking, rounds and the queue
//! by its own reading of the rules in the module docs, not by calling the dispatcher's code.

use super::{ATTORNEYS, lawyer};
use crate::dispatch::*;
use crate::ids::{AccountId, EncounterId};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Passed {
    Declined,
    Expired,
}

#[derive(Debug)]
pub(super) struct ModelAttorney {
    pub(super) profile: AttorneyProfile,
    pub(super) on_duty: bool,
    pub(super) last_heartbeat: i64,
    pub(super) idle_since: i64,
    pub(super) calls: BTreeSet<EncounterId>,
}

#[derive(Debug)]
pub(super) struct ModelRequest {
    pub(super) request: Request,
    pub(super) offers: BTreeMap<AccountId, i64>,
    pub(super) connected: Option<AccountId>,
    pub(super) queued: Option<u32>,
    pub(super) passed: BTreeMap<AccountId, Passed>,
    pub(super) last_pass: Option<i64>,
}

/// What an accept should do.
#[derive(Debug, PartialEq)]
pub(super) enum Expect {
    Connect,
    Refuse(RefuseReason),
    Nothing,
}

#[derive(Debug)]
pub(super) struct Model {
    pub(super) ring: usize,
    pub(super) offer_timeout: i64,
    pub(super) heartbeat_timeout: i64,
    pub(super) policies: BTreeMap<OrgId, StatePolicy>,
    pub(super) now: i64,
    pub(super) attorneys: BTreeMap<AccountId, ModelAttorney>,
    pub(super) requests: BTreeMap<EncounterId, ModelRequest>,
}

impl Model {
    pub(super) fn eligible(&self, who: AccountId, request: &Request) -> bool {
        let Some(a) = self.attorneys.get(&who) else {
            return false;
        };
        let p = &a.profile;
        let may_advise = match self
            .policies
            .get(&request.org)
            .copied()
            .unwrap_or(StatePolicy::AdmittedInState)
        {
            StatePolicy::AdmittedInState => p.bar_admissions.contains(&request.state),
            StatePolicy::AnyUsAdmission => !p.bar_admissions.is_empty(),
        };
        a.on_duty
            && self.now - a.last_heartbeat < self.heartbeat_timeout
            && p.vetted
            && p.org == request.org
            && p.languages.contains(&request.language)
            && may_advise
            && a.calls.len() < p.capacity as usize
    }

    /// How many requests ring `who` now.
    pub(super) fn held(&self, who: AccountId) -> usize {
        self.requests.values().filter(|r| r.offers.contains_key(&who)).count()
    }

    /// Calls `who` may still take: capacity less calls held.
    pub(super) fn room(&self, who: AccountId) -> usize {
        self.attorneys
            .get(&who)
            .map_or(0, |a| (a.profile.capacity as usize).saturating_sub(a.calls.len()))
    }

    pub(super) fn eligible_for(&self, request: &Request) -> Vec<AccountId> {
        (0..ATTORNEYS)
            .map(lawyer)
            .filter(|a| self.eligible(*a, request))
            .collect()
    }

    pub(super) fn rank(&self, who: AccountId) -> (usize, i64, AccountId) {
        let a = &self.attorneys[&who];
        (a.calls.len(), a.idle_since, who)
    }

    pub(super) fn apply_event(&mut self, event: &Event) {
        match event {
            Event::AttorneyOnDuty { attorney, profile } => {
                let now = self.now;
                let a = self.attorneys.entry(*attorney).or_insert_with(|| ModelAttorney {
                    profile: profile.clone(),
                    on_duty: false,
                    last_heartbeat: now,
                    idle_since: now,
                    calls: BTreeSet::new(),
                });
                if !a.on_duty && a.calls.is_empty() {
                    a.idle_since = now;
                }
                a.on_duty = true;
                a.profile = profile.clone();
                a.last_heartbeat = now;
            }
            Event::AttorneyOffDuty { attorney } => {
                if let Some(a) = self.attorneys.get_mut(attorney) {
                    a.on_duty = false;
                }
            }
            Event::Heartbeat { attorney } => {
                if let Some(a) = self.attorneys.get_mut(attorney).filter(|a| a.on_duty) {
                    a.last_heartbeat = self.now;
                }
            }
            Event::RequestAttorney(request) => {
                self.requests.entry(request.encounter).or_insert_with(|| ModelRequest {
                    request: *request,
                    offers: BTreeMap::new(),
                    connected: None,
                    queued: None,
                    passed: BTreeMap::new(),
                    last_pass: None,
                });
            }
            Event::SetStatePolicy { org, policy } => {
                self.policies.insert(*org, *policy);
            }
            _ => {}
        }
    }

    pub(super) fn expect_accept(&self, who: AccountId, encounter: EncounterId) -> Expect {
        let Some(r) = self.requests.get(&encounter) else {
            return Expect::Refuse(RefuseReason::NotOffered);
        };
        match r.connected {
            Some(taken) if taken == who => return Expect::Nothing,
            Some(_) => return Expect::Refuse(RefuseReason::AlreadyTaken),
            None => {}
        }
        match self.attorneys.get(&who).filter(|a| a.on_duty || !a.calls.is_empty()) {
            None => Expect::Refuse(RefuseReason::NotOffered),
            Some(a) if a.calls.len() >= a.profile.capacity as usize => Expect::Refuse(RefuseReason::AtCapacity),
            Some(_) if r.offers.contains_key(&who) => Expect::Connect,
            Some(_) if r.passed.get(&who) == Some(&Passed::Expired) => Expect::Refuse(RefuseReason::Expired),
            Some(_) => Expect::Refuse(RefuseReason::NotOffered),
        }
    }

    pub(super) fn apply_effect(&mut self, effect: &Effect) -> Result<(), TestCaseError> {
        let now = self.now;
        match effect {
            Effect::Offer {
                attorney,
                encounter,
                expires_at_us,
            } => {
                let r = &self.requests[encounter];
                prop_assert!(r.connected.is_none(), "offer for a connected request");
                prop_assert!(!r.offers.contains_key(attorney), "offered twice");
                prop_assert!(r.offers.len() < self.ring, "more offers than the ring count");
                prop_assert_eq!(*expires_at_us, now + self.offer_timeout);
                prop_assert!(self.eligible(*attorney, &r.request), "offer to an ineligible attorney");
                prop_assert!(
                    self.held(*attorney) < self.room(*attorney),
                    "rung for more requests than calls they have room for"
                );
                let request = r.request;
                if r.passed.contains_key(attorney) {
                    // A new round: only once nobody is ringing, every eligible attorney has
                    // passed, and an offer timeout has gone by since the last pass.
                    prop_assert!(r.offers.is_empty(), "new round while offers ring");
                    prop_assert!(self.eligible_for(&request).iter().all(|a| r.passed.contains_key(a)));
                    prop_assert!(
                        r.last_pass.is_some_and(|at| at + self.offer_timeout <= now),
                        "round restarted early"
                    );
                }
                let r = self.requests.get_mut(encounter).expect("open");
                if r.passed.contains_key(attorney) {
                    r.passed.clear();
                }
                // Nobody better who has not passed and has room for one more ring is left unrung.
                let r = &self.requests[encounter];
                let mine = self.rank(*attorney);
                for other in self.eligible_for(&request) {
                    let free = self.held(other) < self.room(other);
                    if other != *attorney && free && !r.offers.contains_key(&other) && !r.passed.contains_key(&other) {
                        prop_assert!(self.rank(other) > mine, "rang {:?} before better {:?}", attorney, other);
                    }
                }
                let r = self.requests.get_mut(encounter).expect("open");
                r.offers.insert(*attorney, *expires_at_us);
                r.queued = None;
            }
            Effect::WithdrawOffer {
                attorney,
                encounter,
                reason,
            } => {
                let r = self
                    .requests
                    .get_mut(encounter)
                    .expect("withdrawal for an open request");
                let expires = r.offers.remove(attorney);
                prop_assert!(expires.is_some(), "withdrew an offer that was not ringing");
                match reason {
                    WithdrawReason::Declined | WithdrawReason::Expired => {
                        let how = if *reason == WithdrawReason::Declined {
                            Passed::Declined
                        } else {
                            prop_assert!(expires.is_some_and(|at| at <= now), "expired early");
                            Passed::Expired
                        };
                        r.passed.insert(*attorney, how);
                        r.last_pass = Some(now);
                    }
                    WithdrawReason::TakenByOther => {
                        prop_assert!(r.connected.is_some_and(|c| c != *attorney));
                    }
                    _ => {}
                }
            }
            Effect::Connected { attorney, encounter } => {
                prop_assert!(
                    self.attorneys.values().all(|a| !a.calls.contains(encounter)),
                    "two attorneys on one call"
                );
                let r = self.requests.get_mut(encounter).expect("connected an open request");
                prop_assert!(r.connected.is_none());
                prop_assert!(r.offers.remove(attorney).is_some(), "connected without an offer");
                r.connected = Some(*attorney);
                r.queued = None;
                let a = self.attorneys.get_mut(attorney).expect("known attorney");
                prop_assert!(a.calls.len() < a.profile.capacity as usize, "accepted beyond capacity");
                a.calls.insert(*encounter);
            }
            Effect::Queued { encounter, position } => {
                let r = self.requests.get_mut(encounter).expect("queued an open request");
                prop_assert!(r.connected.is_none() && r.offers.is_empty() && r.queued.is_none());
                r.queued = Some(*position);
            }
            Effect::QueuePositionChanged { encounter, position } => {
                let r = self.requests.get_mut(encounter).expect("moved an open request");
                prop_assert!(r.queued.is_some_and(|p| p != *position));
                r.queued = Some(*position);
            }
            Effect::CoverageGap {
                org,
                encounter,
                language,
                state,
                reason,
            } => {
                let r = &self.requests[encounter];
                prop_assert!(r.queued.is_some());
                prop_assert_eq!(
                    (*org, *language, *state),
                    (r.request.org, r.request.language, r.request.state)
                );
                let eligible = self.eligible_for(&r.request);
                let nobody = eligible.is_empty();
                prop_assert_eq!(*reason == GapReason::NobodyAvailable, nobody);
                // Waiting behind others' offers is not a gap.
                prop_assert!(
                    nobody || eligible.iter().all(|a| r.passed.contains_key(a)),
                    "a gap while someone could still ring"
                );
            }
            Effect::AcceptRefused { .. } => {}
            Effect::Closed {
                encounter,
                outcome,
                attorney,
            } => {
                let r = self.requests.remove(encounter).expect("closed an open request");
                prop_assert!(r.offers.is_empty(), "closed with offers ringing");
                prop_assert_eq!(r.connected, *attorney);
                prop_assert_eq!(*outcome == Outcome::Ended, attorney.is_some());
                if let Some(who) = attorney {
                    let a = self.attorneys.get_mut(who).expect("known attorney");
                    a.calls.remove(encounter);
                    if a.calls.is_empty() {
                        a.idle_since = now;
                    }
                }
            }
        }
        Ok(())
    }

    /// The invariants after every step.
    pub(super) fn check(&self, dispatcher: &Dispatcher) -> Result<(), TestCaseError> {
        let snapshot = dispatcher.snapshot(self.now);
        prop_assert_eq!(snapshot.requests.len(), self.requests.len(), "open requests differ");
        let mut queues: BTreeMap<OrgId, Vec<(i64, EncounterId, u32)>> = BTreeMap::new();
        for (encounter, r) in &self.requests {
            // Exactly one of offering, queued, connected.
            let stages = [r.connected.is_some(), !r.offers.is_empty(), r.queued.is_some()];
            prop_assert_eq!(
                stages.iter().filter(|s| **s).count(),
                1,
                "{:?} in {:?}",
                encounter,
                stages
            );
            let expected = match (r.connected, r.queued) {
                (Some(attorney), _) => RequestStatus::Connected { attorney },
                (None, Some(position)) => RequestStatus::Queued { position },
                (None, None) => RequestStatus::Offering {
                    attorneys: r.offers.keys().copied().collect(),
                },
            };
            prop_assert_eq!(dispatcher.request_status(*encounter), Some(expected));
            if let Some(attorney) = r.connected {
                prop_assert!(self.attorneys[&attorney].calls.contains(encounter));
                continue;
            }
            for (attorney, expires_at) in &r.offers {
                prop_assert!(self.eligible(*attorney, &r.request), "ringing an ineligible attorney");
                prop_assert!(*expires_at > self.now, "ringing past the offer's time");
            }
            // Liveness: no free, eligible attorney who has not passed is left unrung while the
            // ring has room, and a request everyone passed on waits at most an offer timeout.
            let eligible = self.eligible_for(&r.request);
            if r.offers.len() < self.ring {
                let idle: Vec<_> = eligible
                    .iter()
                    .filter(|a| !r.offers.contains_key(a) && !r.passed.contains_key(a))
                    .filter(|a| self.held(**a) < self.room(**a))
                    .collect();
                prop_assert!(idle.is_empty(), "{:?} could ring {:?}", encounter, idle);
            }
            // (A new round needs someone with room to ring: one busy ringing for others is not.)
            let all_passed = eligible.iter().all(|a| r.passed.contains_key(a));
            let someone_free = eligible.iter().any(|a| self.held(*a) < self.room(*a));
            if r.queued.is_some() && !eligible.is_empty() && all_passed && someone_free {
                prop_assert!(
                    r.last_pass.is_some_and(|at| self.now < at + self.offer_timeout),
                    "stuck in queue"
                );
            }
            if let Some(position) = r.queued {
                let key = (r.request.requested_at_us, *encounter, position);
                queues.entry(r.request.org).or_default().push(key);
            }
        }
        for queue in queues.values_mut() {
            queue.sort();
            for (place, (_, _, position)) in queue.iter().enumerate() {
                prop_assert_eq!(*position as usize, place + 1, "queue out of order");
            }
        }
        let mut on_calls = BTreeSet::new();
        for (id, a) in &self.attorneys {
            for encounter in &a.calls {
                prop_assert!(on_calls.insert(*encounter), "two attorneys on one call");
                prop_assert_eq!(self.requests[encounter].connected, Some(*id));
            }
        }
        Ok(())
    }
}
