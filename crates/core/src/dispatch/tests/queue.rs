//! Requests nobody can take: queued, numbered, alerted, served first come first served.

use super::*;

#[test]
fn nobody_eligible_queues_the_request_and_alerts_admins() {
    let mut desk = Desk::new();
    let effects = desk.ask(1, "es", "TX");
    assert_eq!(
        effects,
        [
            Effect::Queued {
                encounter: enc(1),
                position: 1
            },
            Effect::CoverageGap {
                org: ORG,
                encounter: enc(1),
                language: lang("es"),
                state: state("TX"),
                reason: GapReason::NobodyAvailable
            }
        ]
    );
    assert_eq!(desk.status(1), Some(RequestStatus::Queued { position: 1 }));
}

#[test]
fn coming_on_duty_serves_the_queue_head_first() {
    let mut desk = Desk::new();
    desk.ask(2, "en", "CA");
    // Requested earlier, though it reached the dispatcher later (a replay): it is the head.
    desk.send(Event::RequestAttorney(Request {
        encounter: enc(1),
        org: ORG,
        language: lang("en"),
        state: state("CA"),
        requested_at_us: desk.now - SEC,
    }));
    assert_eq!(desk.dispatcher.queue_position(enc(1)), Some(1));
    assert_eq!(desk.dispatcher.queue_position(enc(2)), Some(2));

    let effects = desk.on_duty(7, english_ca());
    // Room for one call: rung for one request at a time, the head first; the other stays next.
    assert_eq!(offered(&effects), [(lawyer(7), enc(1))]);
    assert_eq!(desk.dispatcher.queue_position(enc(2)), Some(1));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::CoverageGap { .. })),
        "waiting behind an offer is not a coverage gap"
    );
    // Taking the head fills attorney 7 up; the other request keeps its place, first.
    let effects = desk.accept(7, 1);
    assert!(offered(&effects).is_empty());
    assert_eq!(desk.dispatcher.queue_position(enc(2)), Some(1));
    // Had they declined instead, the next request would have rung them at once.
    let mut other = Desk::new();
    other.ask(1, "en", "CA");
    other.ask(2, "en", "CA");
    other.on_duty(7, english_ca());
    let effects = other.decline(7, 1);
    assert_eq!(offered(&effects), [(lawyer(7), enc(2))]);
}

#[test]
fn a_waiting_request_moves_up_when_one_ahead_cancels() {
    let mut desk = Desk::new();
    for n in 1..=3 {
        desk.ask(n, "en", "CA");
        desk.wait(1);
    }
    // Another organization's queue is counted on its own.
    assert!(desk.ask_in(4, OTHER_ORG, "en", "CA").contains(&Effect::Queued {
        encounter: enc(4),
        position: 1
    }));
    let effects = desk.send(Event::CancelRequest { encounter: enc(1) });
    assert_eq!(
        effects,
        [
            Effect::Closed {
                encounter: enc(1),
                outcome: Outcome::Cancelled,
                attorney: None
            },
            Effect::QueuePositionChanged {
                encounter: enc(2),
                position: 1
            },
            Effect::QueuePositionChanged {
                encounter: enc(3),
                position: 2
            },
        ]
    );
    assert_eq!(desk.status(1), None);
}

#[test]
fn cancelling_withdraws_every_offer() {
    let mut desk = Desk::new();
    for n in 1..=2 {
        desk.on_duty(n, english_ca());
    }
    desk.ask(1, "en", "CA");
    let effects = desk.send(Event::CancelRequest { encounter: enc(1) });
    assert_eq!(
        withdrawn(&effects),
        [1, 2].map(|n| (lawyer(n), enc(1), WithdrawReason::Cancelled))
    );
    assert_eq!(
        desk.accept(1, 1),
        [Effect::AcceptRefused {
            attorney: lawyer(1),
            encounter: enc(1),
            reason: RefuseReason::NotOffered
        }]
    );
}
