//! Random evenings of a rapid-response network, checked step by step against what the world
//! looks like from outside the dispatcher (who said they were available where, and the offers
//! the effects announced), not against the dispatcher's own state.

use super::*;
use crate::geo::{Cell, Precision};
use crate::ids::{AccountId, IncidentId};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;
use uuid::Uuid;

const MS: i64 = 1_000;
const RESPONDERS: usize = 6;
const INCIDENTS: usize = 4;
const MAX_DISTANCE: u32 = 2;
const OFFER_TIMEOUT_MS: i64 = 60_000;
const TTL_MS: i64 = 300_000;
const ON_THE_WAY_TTL_MS: i64 = 200_000;

fn who(i: usize) -> AccountId {
    AccountId(Uuid::from_u128(i as u128 + 1))
}

fn incident(i: usize) -> IncidentId {
    IncidentId(Uuid::from_u128(0x1000 + i as u128))
}

/// Cells within four steps of Pilsen: responders stand in any, incidents happen in the middle
/// seven, so some responders are near enough and some are not.
fn pool() -> Vec<Cell> {
    let here = Precision::new(8)
        .expect("resolution")
        .cell_of(41.85712, -87.6563)
        .expect("cell");
    let mut cells = here.disk(4);
    cells.sort_by_key(|c| c.grid_distance(here));
    cells
}

fn incident_cell(pool: &[Cell], i: usize) -> Cell {
    pool[i % 7]
}

#[derive(Clone, Debug)]
enum Op {
    Available {
        who: usize,
        cell: usize,
    },
    Unavailable(usize),
    Request {
        incident: usize,
        wanted: u32,
    },
    Accept {
        who: usize,
        incident: usize,
    },
    Decline {
        who: usize,
        incident: usize,
    },
    /// Accept (or decline) the n-th offer out now, so dispatches are common.
    AcceptOffered(usize),
    DeclineOffered(usize),
    Arrived {
        who: usize,
        incident: usize,
    },
    Done {
        who: usize,
        incident: usize,
    },
    Cancel(usize),
    Wait {
        ms: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..RESPONDERS, 0..61usize).prop_map(|(who, cell)| Op::Available { who, cell }),
        1 => (0..RESPONDERS).prop_map(Op::Unavailable),
        3 => (0..INCIDENTS, 1..=2u32).prop_map(|(incident, wanted)| Op::Request { incident, wanted }),
        1 => (0..RESPONDERS, 0..INCIDENTS).prop_map(|(who, incident)| Op::Accept { who, incident }),
        1 => (0..RESPONDERS, 0..INCIDENTS).prop_map(|(who, incident)| Op::Decline { who, incident }),
        3 => any::<usize>().prop_map(Op::AcceptOffered),
        1 => any::<usize>().prop_map(Op::DeclineOffered),
        2 => (0..RESPONDERS, 0..INCIDENTS).prop_map(|(who, incident)| Op::Arrived { who, incident }),
        2 => (0..RESPONDERS, 0..INCIDENTS).prop_map(|(who, incident)| Op::Done { who, incident }),
        1 => (0..INCIDENTS).prop_map(Op::Cancel),
        3 => prop_oneof![3 => 0..20_000i64, 1 => 20_000..120_000i64].prop_map(|ms| Op::Wait { ms }),
    ]
}

/// The world as the events and effects tell it.
#[derive(Default)]
struct World {
    now: i64,
    /// Who said they are available, where, and when last.
    available: BTreeMap<AccountId, (Cell, i64)>,
    offers: BTreeSet<(AccountId, IncidentId)>,
    passed: BTreeSet<(AccountId, IncidentId)>,
    wanted: BTreeMap<IncidentId, u32>,
    cells: BTreeMap<IncidentId, Cell>,
    sent: BTreeMap<IncidentId, u32>,
    busy: BTreeMap<AccountId, IncidentId>,
    /// Each observer on the way: whether they arrived, and when they lapse if they mark nothing.
    going: BTreeMap<AccountId, (bool, i64)>,
}

impl World {
    fn fresh_cell(&self, responder: AccountId) -> Option<Cell> {
        let (cell, at) = self.available.get(&responder)?;
        (self.now < at + TTL_MS * MS).then_some(*cell)
    }

    fn eligible(&self, responder: AccountId, incident: IncidentId) -> bool {
        let Some(cell) = self.fresh_cell(responder) else {
            return false;
        };
        !self.busy.contains_key(&responder)
            && !self.passed.contains(&(responder, incident))
            && cell
                .grid_distance(self.cells[&incident])
                .is_some_and(|d| d <= MAX_DISTANCE)
    }
}

struct Run {
    dispatcher: ObserverDispatcher,
    world: World,
    log: Vec<(i64, Event, Vec<Effect>)>,
}

impl Run {
    fn send(&mut self, event: Event) -> Result<(), TestCaseError> {
        let w = &mut self.world;
        match &event {
            Event::Available { responder, cell } => {
                w.available.insert(*responder, (*cell, w.now));
            }
            Event::Unavailable { responder } => {
                w.available.remove(responder);
            }
            Event::Request { request, .. } => {
                w.wanted.insert(request.incident, request.wanted);
                w.cells.entry(request.incident).or_insert(request.cell);
            }
            Event::Arrived { responder, incident } => {
                let now = w.now;
                // Only an observer on the way there (and not lapsed by now) has a clock to reset.
                if w.busy.get(responder) == Some(incident)
                    && let Some(going) = w.going.get_mut(responder)
                    && going.1 > now
                {
                    *going = (true, now + ON_THE_WAY_TTL_MS * MS);
                }
            }
            _ => {}
        }
        let effects = self.dispatcher.handle(self.world.now, event.clone());
        for effect in &effects {
            self.apply(&event, effect)?;
        }
        self.check()?;
        // A request the dispatcher forgot (fulfilled, everyone done) starts afresh if asked again.
        for i in 0..INCIDENTS {
            if self.dispatcher.request_status(incident(i)).is_none() {
                self.world.passed.retain(|(_, x)| *x != incident(i));
            }
        }
        self.log.push((self.world.now, event, effects));
        Ok(())
    }

    fn apply(&mut self, event: &Event, effect: &Effect) -> Result<(), TestCaseError> {
        let w = &mut self.world;
        match effect {
            Effect::Offer {
                responder,
                incident,
                distance,
                ..
            } => {
                // Never an offer to an unavailable, lapsed, busy or too-far responder.
                prop_assert!(
                    w.eligible(*responder, *incident),
                    "offer to {responder:?} for {incident:?}"
                );
                prop_assert!(*distance <= MAX_DISTANCE);
                prop_assert!(w.offers.insert((*responder, *incident)), "offered twice at once");
            }
            Effect::WithdrawOffer {
                responder,
                incident,
                reason,
            } => {
                prop_assert!(w.offers.remove(&(*responder, *incident)), "withdrew an offer not out");
                if matches!(reason, WithdrawReason::Declined | WithdrawReason::Expired) {
                    w.passed.insert((*responder, *incident));
                }
            }
            Effect::Dispatched { responder, incident } => {
                prop_assert!(matches!(event, Event::Accept { .. }), "dispatched without an accept");
                prop_assert!(w.offers.remove(&(*responder, *incident)), "dispatched without an offer");
                prop_assert!(!w.busy.contains_key(responder), "on the way to two incidents");
                w.busy.insert(*responder, *incident);
                w.going.insert(*responder, (false, w.now + ON_THE_WAY_TTL_MS * MS));
                let sent = w.sent.entry(*incident).or_default();
                *sent += 1;
                // Never more observers than asked for.
                prop_assert!(
                    *sent <= w.wanted[incident],
                    "{sent} sent, {} wanted",
                    w.wanted[incident]
                );
            }
            Effect::Waiting { .. } | Effect::AcceptRefused { .. } => {}
            Effect::Lapsed {
                responder,
                incident,
                arrived,
            } => {
                // Only an observer on the way there, only once their time is up, as they left it.
                prop_assert_eq!(w.busy.remove(responder), Some(*incident));
                let going = w.going.remove(responder);
                prop_assert_eq!(going.map(|(a, _)| a), Some(*arrived));
                prop_assert!(going.is_some_and(|(_, at)| at <= w.now), "lapsed early");
                if !arrived {
                    // No longer counts: the request may ask someone else, never them again.
                    if let Some(sent) = w.sent.get_mut(incident) {
                        *sent -= 1;
                    }
                    w.passed.insert((*responder, *incident));
                }
            }
            Effect::Cancelled { incident, on_the_way } => {
                for responder in on_the_way {
                    prop_assert_eq!(w.busy.remove(responder), Some(*incident));
                    w.going.remove(responder);
                }
                prop_assert!(w.offers.iter().all(|(_, i)| i != incident));
                w.sent.remove(incident);
                w.wanted.remove(incident);
                w.passed.retain(|(_, i)| i != incident);
            }
        }
        Ok(())
    }

    /// After every step: each open request is offering, waiting or fulfilled as the world says;
    /// a waiting one has nobody eligible left; every offer out is one the world knows of.
    fn check(&self) -> Result<(), TestCaseError> {
        let w = &self.world;
        // No observer is left on the way past their time.
        for (responder, (_, at)) in &w.going {
            prop_assert!(*at > w.now, "{responder:?} should have lapsed");
        }
        for i in 0..INCIDENTS {
            let incident = incident(i);
            let out: Vec<AccountId> = w
                .offers
                .iter()
                .filter(|(_, x)| *x == incident)
                .map(|(a, _)| *a)
                .collect();
            match self.dispatcher.request_status(incident) {
                None => prop_assert!(out.is_empty()),
                Some(RequestStatus::Offering { responders }) => prop_assert_eq!(responders, out),
                Some(RequestStatus::Waiting) => {
                    prop_assert!(out.is_empty());
                    for r in 0..RESPONDERS {
                        prop_assert!(!w.eligible(who(r), incident), "{r} could go but the request waits");
                    }
                }
                Some(RequestStatus::Fulfilled) => {
                    prop_assert!(out.is_empty());
                    prop_assert!(w.sent.get(&incident).copied().unwrap_or(0) >= w.wanted[&incident]);
                }
            }
        }
        Ok(())
    }

    fn nth_offer(&self, n: usize) -> Option<(AccountId, IncidentId)> {
        let all: Vec<_> = self.world.offers.iter().copied().collect();
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    fn play(&mut self, op: &Op, pool: &[Cell]) -> Result<(), TestCaseError> {
        let event = match *op {
            Op::Available { who: r, cell } => Event::Available {
                responder: who(r),
                cell: pool[cell % pool.len()],
            },
            Op::Unavailable(r) => Event::Unavailable { responder: who(r) },
            Op::Request { incident: i, wanted } => {
                let on_the_way: Vec<AccountId> = self
                    .world
                    .busy
                    .iter()
                    .filter(|(_, at)| **at == incident(i))
                    .map(|(r, _)| *r)
                    .collect();
                // A request never asks for fewer than it has sent (the server asks for more).
                let sent = self.world.sent.get(&incident(i)).copied().unwrap_or(0);
                Event::Request {
                    request: Request {
                        incident: incident(i),
                        cell: incident_cell(pool, i),
                        wanted: wanted.max(sent),
                        requested_at_us: self.world.now,
                    },
                    done: sent - on_the_way.len() as u32,
                    on_the_way,
                }
            }
            Op::Accept { who: r, incident: i } => Event::Accept {
                responder: who(r),
                incident: incident(i),
            },
            Op::Decline { who: r, incident: i } => Event::Decline {
                responder: who(r),
                incident: incident(i),
            },
            Op::AcceptOffered(n) | Op::DeclineOffered(n) => match self.nth_offer(n) {
                Some((responder, incident)) if matches!(op, Op::AcceptOffered(_)) => {
                    Event::Accept { responder, incident }
                }
                Some((responder, incident)) => Event::Decline { responder, incident },
                None => Event::Tick,
            },
            Op::Arrived { who: r, incident: i } => Event::Arrived {
                responder: who(r),
                incident: incident(i),
            },
            Op::Done { who: r, incident: i } => {
                let w = &mut self.world;
                // Done in time frees them; past their time the dispatcher lapses them first.
                let in_time = w.going.get(&who(r)).is_some_and(|(_, at)| *at > w.now);
                if w.busy.get(&who(r)) == Some(&incident(i)) && in_time {
                    w.busy.remove(&who(r));
                    w.going.remove(&who(r));
                }
                Event::Done {
                    responder: who(r),
                    incident: incident(i),
                }
            }
            Op::Cancel(i) => Event::Cancel { incident: incident(i) },
            Op::Wait { ms } => {
                self.world.now += ms * MS;
                Event::Tick
            }
        };
        self.send(event)
    }
}

fn settings(count: usize) -> ObserverSettings {
    ObserverSettings {
        offer_count: NonZeroUsize::new(count).expect("from 1"),
        offer_timeout_us: OFFER_TIMEOUT_MS * MS,
        max_distance: MAX_DISTANCE,
        availability_ttl_us: TTL_MS * MS,
        on_the_way_ttl_us: ON_THE_WAY_TTL_MS * MS,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn every_step_keeps_the_rules(count in 1usize..=3, ops in prop::collection::vec(op(), 1..120)) {
        let pool = pool();
        let mut run = Run {
            dispatcher: ObserverDispatcher::new(settings(count)),
            world: World { now: 1_790_000_000_000 * MS, ..World::default() },
            log: Vec::new(),
        };
        for op in &ops {
            run.play(op, &pool)?;
        }

        // The state a server might persist comes back the same.
        let json = serde_json::to_string(&run.dispatcher).expect("serialize");
        let restored: ObserverDispatcher = serde_json::from_str(&json).expect("deserialize");
        prop_assert_eq!(&restored, &run.dispatcher);

        // Nobody answers any more: every request ends fulfilled or waiting, none left asking.
        for _ in 0..=RESPONDERS {
            run.play(&Op::Wait { ms: OFFER_TIMEOUT_MS }, &pool)?;
        }
        for i in 0..INCIDENTS {
            let status = run.dispatcher.request_status(incident(i));
            prop_assert!(
                !matches!(status, Some(RequestStatus::Offering { .. })),
                "{:?} still offering after everyone let the offers lapse", status
            );
        }
        for i in 0..INCIDENTS {
            run.play(&Op::Cancel(i), &pool)?;
        }
        prop_assert!(run.world.offers.is_empty());
        prop_assert!(run.world.busy.is_empty());

        // Same events, same times, same effects.
        let mut replay = ObserverDispatcher::new(settings(count));
        for (now, event, effects) in &run.log {
            prop_assert_eq!(&replay.handle(*now, event.clone()), effects);
        }
    }
}
