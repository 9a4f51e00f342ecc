//! One test per rule, each a short story told in events at a [`Desk`]: a dispatcher and a clock.

use super::*;
use crate::geo::{Cell, Precision};
use crate::ids::{AccountId, IncidentId};
use std::num::NonZeroUsize;
use uuid::Uuid;

const SEC: i64 = 1_000_000;

fn who(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn incident(n: u128) -> IncidentId {
    IncidentId(Uuid::from_u128(0x1000 + n))
}

/// The incidents' cell: Pilsen, Chicago, at the default precision.
fn here() -> Cell {
    Precision::new(8)
        .expect("resolution")
        .cell_of(41.85712, -87.6563)
        .expect("cell")
}

/// A cell exactly `steps` grid steps from `here()`.
fn away(steps: u32) -> Cell {
    here()
        .disk(steps)
        .into_iter()
        .find(|c| c.grid_distance(here()) == Some(steps))
        .expect("a cell at that distance")
}

struct Desk {
    dispatcher: ObserverDispatcher,
    now: i64,
}

impl Desk {
    fn new() -> Self {
        Self::with(ObserverSettings {
            max_distance: 3,
            ..ObserverSettings::default()
        })
    }

    fn with(settings: ObserverSettings) -> Self {
        Self {
            dispatcher: ObserverDispatcher::new(settings),
            now: 1_790_000_000 * SEC,
        }
    }

    fn at(&mut self, event: Event) -> Vec<Effect> {
        self.dispatcher.handle(self.now, event)
    }

    fn wait(&mut self, secs: i64) -> Vec<Effect> {
        self.now += secs * SEC;
        self.at(Event::Tick)
    }

    fn available(&mut self, n: u128, steps: u32) -> Vec<Effect> {
        self.at(Event::Available {
            responder: who(n),
            cell: away(steps),
        })
    }

    fn request(&mut self, n: u128, wanted: u32) -> Vec<Effect> {
        let request = Request {
            incident: incident(n),
            cell: here(),
            wanted,
            requested_at_us: self.now,
        };
        self.at(Event::Request {
            request,
            on_the_way: Vec::new(),
            done: 0,
        })
    }

    fn accept(&mut self, n: u128, i: u128) -> Vec<Effect> {
        self.at(Event::Accept {
            responder: who(n),
            incident: incident(i),
        })
    }
}

fn offered(effects: &[Effect]) -> Vec<AccountId> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Offer { responder, .. } => Some(*responder),
            _ => None,
        })
        .collect()
}

fn withdrawn(effects: &[Effect], why: WithdrawReason) -> Vec<AccountId> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WithdrawOffer { responder, reason, .. } if *reason == why => Some(*responder),
            _ => None,
        })
        .collect()
}

#[test]
fn the_nearest_are_asked_first_then_the_longest_idle() {
    let mut desk = Desk::new();
    desk.available(1, 3);
    desk.available(2, 1);
    desk.now += SEC;
    desk.available(3, 0);
    desk.available(4, 2);
    desk.available(5, 1); // as near as 2, but idle for less time
    assert_eq!(offered(&desk.request(1, 1)), vec![who(3), who(2), who(5)]);
}

#[test]
fn the_first_accept_wins_and_the_others_are_withdrawn_at_once() {
    let mut desk = Desk::new();
    for n in 1..=3 {
        desk.available(n, 1);
    }
    desk.request(1, 1);
    let effects = desk.accept(2, 1);
    assert_eq!(
        effects[0],
        Effect::Dispatched {
            responder: who(2),
            incident: incident(1)
        }
    );
    assert_eq!(withdrawn(&effects, WithdrawReason::TakenByOther), vec![who(1), who(3)]);
    let late = desk.accept(3, 1);
    assert!(matches!(
        late[..],
        [Effect::AcceptRefused {
            reason: RefuseReason::AlreadyTaken,
            ..
        }]
    ));
    assert_eq!(
        desk.dispatcher.request_status(incident(1)),
        Some(RequestStatus::Fulfilled)
    );
}

#[test]
fn an_unanswered_offer_expires_and_goes_to_the_next_nearest() {
    let mut desk = Desk::with(ObserverSettings {
        offer_count: NonZeroUsize::MIN,
        max_distance: 3,
        ..ObserverSettings::default()
    });
    desk.available(1, 0);
    desk.available(2, 2);
    assert_eq!(offered(&desk.request(1, 1)), vec![who(1)]);
    assert!(offered(&desk.wait(59)).is_empty());
    let effects = desk.wait(1);
    assert_eq!(withdrawn(&effects, WithdrawReason::Expired), vec![who(1)]);
    assert_eq!(offered(&effects), vec![who(2)]);
    let late = desk.accept(1, 1);
    assert!(matches!(
        late[..],
        [Effect::AcceptRefused {
            reason: RefuseReason::Expired,
            ..
        }]
    ));
}

#[test]
fn nobody_near_enough_waits_and_is_offered_when_someone_comes_available() {
    let mut desk = Desk::new();
    desk.available(1, 4); // past the max distance of 3
    let effects = desk.request(1, 1);
    assert_eq!(effects, vec![Effect::Waiting { incident: incident(1) }]);
    assert!(desk.wait(600).is_empty(), "waiting is said once");
    assert_eq!(offered(&desk.available(2, 3)), vec![who(2)]);
}

#[test]
fn too_far_or_unavailable_responders_lose_their_offers() {
    let mut desk = Desk::new();
    desk.available(1, 1);
    desk.available(2, 1);
    desk.request(1, 1);
    let effects = desk.available(1, 5);
    assert_eq!(withdrawn(&effects, WithdrawReason::NoLongerEligible), vec![who(1)]);
    let effects = desk.at(Event::Unavailable { responder: who(2) });
    assert_eq!(withdrawn(&effects, WithdrawReason::OffDuty), vec![who(2)]);
    assert!(effects.contains(&Effect::Waiting { incident: incident(1) }));
    assert_eq!(desk.dispatcher.available_at(who(2)), None, "the cell is forgotten");
}

#[test]
fn availability_lapses_without_a_refresh_and_the_cell_is_forgotten() {
    let mut desk = Desk::with(ObserverSettings {
        availability_ttl_us: 600 * SEC,
        max_distance: 3,
        ..ObserverSettings::default()
    });
    desk.available(1, 1);
    desk.wait(300);
    desk.available(1, 2); // a refresh, from another cell: it replaces the last
    assert_eq!(desk.dispatcher.available_at(who(1)), Some(away(2)));
    desk.wait(599);
    assert!(desk.dispatcher.available_at(who(1)).is_some());
    assert_eq!(desk.dispatcher.next_deadline(), Some(desk.now + SEC));
    desk.wait(1);
    assert_eq!(desk.dispatcher.available_at(who(1)), None);
    assert_eq!(desk.request(1, 1), vec![Effect::Waiting { incident: incident(1) }]);
}

#[test]
fn a_decline_is_not_asked_again_for_that_request() {
    let mut desk = Desk::new();
    desk.available(1, 1);
    desk.request(1, 1);
    let effects = desk.at(Event::Decline {
        responder: who(1),
        incident: incident(1),
    });
    assert_eq!(withdrawn(&effects, WithdrawReason::Declined), vec![who(1)]);
    assert!(effects.contains(&Effect::Waiting { incident: incident(1) }));
    assert!(offered(&desk.wait(600)).is_empty());
    assert!(
        offered(&desk.available(1, 1)).is_empty(),
        "a refresh does not undo the decline"
    );
    assert_eq!(offered(&desk.request(2, 1)), vec![who(1)], "another incident asks them");
}

#[test]
fn one_on_the_way_is_not_asked_elsewhere_until_done() {
    let mut desk = Desk::new();
    desk.available(1, 1);
    desk.request(1, 1);
    desk.accept(1, 1);
    assert_eq!(desk.dispatcher.on_the_way_to(who(1)), Some(incident(1)));
    assert_eq!(desk.request(2, 1), vec![Effect::Waiting { incident: incident(2) }]);
    let effects = desk.at(Event::Done {
        responder: who(1),
        incident: incident(1),
    });
    assert_eq!(offered(&effects), vec![who(1)]);
    assert_eq!(desk.dispatcher.request_status(incident(1)), None, "fulfilled and done");
}

#[test]
fn asking_for_more_sends_more_and_never_too_many() {
    let mut desk = Desk::new();
    for n in 1..=3 {
        desk.available(n, 1);
    }
    desk.request(1, 2);
    let first = desk.accept(1, 1);
    assert!(
        withdrawn(&first, WithdrawReason::TakenByOther).is_empty(),
        "one more is wanted"
    );
    let second = desk.accept(2, 1);
    assert_eq!(withdrawn(&second, WithdrawReason::TakenByOther), vec![who(3)]);
    // Asking again for the same number changes nothing; asking for three asks the third again.
    assert!(desk.request(1, 2).is_empty());
    assert_eq!(offered(&desk.request(1, 3)), vec![who(3)]);
}

#[test]
fn a_restored_request_keeps_its_observers_and_cancelling_tells_them() {
    let mut desk = Desk::new();
    desk.available(1, 1);
    desk.available(2, 1);
    let request = Request {
        incident: incident(1),
        cell: here(),
        wanted: 2,
        requested_at_us: desk.now,
    };
    let effects = desk.at(Event::Request {
        request,
        on_the_way: vec![who(1)],
        done: 0,
    });
    assert_eq!(offered(&effects), vec![who(2)], "who is on the way is not asked again");
    let effects = desk.at(Event::Cancel { incident: incident(1) });
    assert_eq!(withdrawn(&effects, WithdrawReason::Cancelled), vec![who(2)]);
    assert!(effects.contains(&Effect::Cancelled {
        incident: incident(1),
        on_the_way: vec![who(1)]
    }));
    assert_eq!(desk.dispatcher.on_the_way_to(who(1)), None);
}

#[test]
fn an_observer_who_never_arrives_lapses_and_the_next_nearest_is_asked() {
    let mut desk = Desk::new();
    let ttl = ObserverSettings::default().on_the_way_ttl_us / SEC;
    desk.available(1, 1);
    desk.available(2, 2);
    desk.request(1, 1);
    desk.accept(1, 1);
    // Both stay available (their apps refresh); only the observer's silence counts.
    desk.now += (ttl - 1) * SEC;
    desk.available(1, 1);
    desk.available(2, 2);
    assert_eq!(desk.dispatcher.next_deadline(), Some(desk.now + SEC));
    let effects = desk.wait(1);
    assert!(effects.contains(&Effect::Lapsed {
        responder: who(1),
        incident: incident(1),
        arrived: false,
    }));
    assert_eq!(offered(&effects), vec![who(2)], "the request asks again, not them");
    assert_eq!(desk.dispatcher.on_the_way_to(who(1)), None, "free again");
    assert_eq!(
        desk.accept(1, 1),
        vec![Effect::AcceptRefused {
            responder: who(1),
            incident: incident(1),
            reason: RefuseReason::NotOffered,
        }]
    );
}

#[test]
fn an_observer_who_arrived_and_goes_quiet_lapses_as_done() {
    let mut desk = Desk::new();
    let ttl = ObserverSettings::default().on_the_way_ttl_us / SEC;
    desk.available(1, 1);
    desk.available(2, 1);
    desk.request(1, 1);
    desk.accept(1, 1);
    desk.now += (ttl - 10) * SEC;
    desk.at(Event::Arrived {
        responder: who(1),
        incident: incident(1),
    });
    assert!(desk.wait(10).is_empty(), "arriving started their clock again");
    desk.now += (ttl - 11) * SEC;
    desk.available(2, 1);
    let effects = desk.wait(1);
    assert_eq!(
        effects,
        vec![Effect::Lapsed {
            responder: who(1),
            incident: incident(1),
            arrived: true,
        }],
        "they went: nobody else is asked"
    );
    assert_eq!(desk.dispatcher.request_status(incident(1)), None, "fulfilled and over");
    assert_eq!(desk.dispatcher.on_the_way_to(who(1)), None);
}
