//! Who rings, who wins, and what happens to offers nobody answers.

use super::*;

#[test]
fn rings_the_three_longest_idle_first() {
    let mut desk = Desk::new();
    for n in [3, 1, 5, 2, 4] {
        desk.on_duty(n, english_ca());
        desk.wait(1);
    }
    let effects = desk.ask(1, "en", "CA");
    assert_eq!(offered(&effects), [3, 1, 5].map(|n| (lawyer(n), enc(1))));
    let expires = desk.now + DEFAULT_OFFER_TIMEOUT_US;
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::Offer { expires_at_us, .. } if *expires_at_us == expires))
    );
}

#[test]
fn first_accept_wins_the_rest_are_withdrawn_and_a_late_accept_is_refused() {
    let mut desk = Desk::new();
    for n in 1..=3 {
        desk.on_duty(n, english_ca());
    }
    desk.ask(1, "en", "CA");
    let effects = desk.accept(2, 1);
    assert_eq!(
        effects[0],
        Effect::Connected {
            attorney: lawyer(2),
            encounter: enc(1)
        }
    );
    assert_eq!(
        withdrawn(&effects),
        [1, 3].map(|n| (lawyer(n), enc(1), WithdrawReason::TakenByOther))
    );
    assert_eq!(desk.status(1), Some(RequestStatus::Connected { attorney: lawyer(2) }));

    let late = desk.accept(3, 1);
    assert_eq!(
        late,
        [Effect::AcceptRefused {
            attorney: lawyer(3),
            encounter: enc(1),
            reason: RefuseReason::AlreadyTaken
        }]
    );
    // A retried accept by the winner changes nothing.
    assert!(desk.accept(2, 1).is_empty());
}

#[test]
fn unanswered_offers_expire_and_the_next_group_rings() {
    let mut desk = Desk::new();
    for n in 1..=5 {
        desk.on_duty(n, english_ca());
        desk.wait(1);
    }
    desk.ask(1, "en", "CA");
    assert!(desk.wait(14).is_empty(), "nothing expires before 15 s");
    let effects = desk.wait(1);
    assert_eq!(
        withdrawn(&effects),
        [1, 2, 3].map(|n| (lawyer(n), enc(1), WithdrawReason::Expired))
    );
    assert_eq!(offered(&effects), [4, 5].map(|n| (lawyer(n), enc(1))));

    // The second group is silent too: everyone has passed, so the request waits.
    let effects = desk.wait(15);
    assert!(offered(&effects).is_empty());
    assert!(effects.contains(&Effect::Queued {
        encounter: enc(1),
        position: 1
    }));
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::CoverageGap {
            reason: GapReason::NobodyAnswered,
            ..
        }
    )));
    // One offer timeout later a new round rings the best three again.
    assert!(offered(&desk.wait(14)).is_empty());
    assert_eq!(offered(&desk.wait(1)), [1, 2, 3].map(|n| (lawyer(n), enc(1))));
}

#[test]
fn a_decline_rings_the_next_at_once_and_the_decliner_waits_for_the_next_round() {
    let mut desk = Desk::new();
    for n in 1..=4 {
        desk.on_duty(n, english_ca());
        desk.wait(1);
    }
    desk.ask(1, "en", "CA");
    let effects = desk.decline(1, 1);
    assert_eq!(withdrawn(&effects), [(lawyer(1), enc(1), WithdrawReason::Declined)]);
    assert_eq!(offered(&effects), [(lawyer(4), enc(1))]);
    for n in 2..=4 {
        desk.decline(n, 1);
    }
    assert_eq!(desk.dispatcher.queue_position(enc(1)), Some(1));
    // Attorney 1 declined: not rung again for this request while the round lasts...
    assert!(offered(&desk.wait(5)).is_empty());
    // ...but a newcomer is.
    assert_eq!(offered(&desk.on_duty(9, english_ca())), [(lawyer(9), enc(1))]);
    desk.decline(9, 1);
    assert_eq!(
        offered(&desk.wait(15)),
        [1, 2, 3].map(|n| (lawyer(n), enc(1))),
        "a new round starts an offer timeout after the last pass"
    );
}

#[test]
fn an_attorney_fresh_from_a_call_rings_after_those_idle_longer() {
    let mut desk = Desk::new();
    desk.on_duty(1, english_ca());
    desk.wait(1);
    desk.on_duty(2, english_ca());
    desk.ask(1, "en", "CA");
    desk.accept(1, 1);
    desk.wait(60);
    desk.send(Event::CallEnded { encounter: enc(1) });
    let effects = desk.ask(2, "en", "CA");
    assert_eq!(offered(&effects), [2, 1].map(|n| (lawyer(n), enc(2))));
}

#[test]
fn capacity_two_takes_two_calls_but_not_three() {
    let mut desk = Desk::new();
    desk.on_duty(
        1,
        AttorneyProfile {
            capacity: 2,
            ..english_ca()
        },
    );
    for n in 1..=3 {
        desk.ask(n, "en", "CA");
    }
    // Room for two calls: rung for the two oldest requests, the third waits next in line.
    assert_eq!(ringing(&desk, 1), [lawyer(1)]);
    assert_eq!(ringing(&desk, 2), [lawyer(1)]);
    assert_eq!(desk.dispatcher.queue_position(enc(3)), Some(1));
    assert!(
        desk.accept(1, 1)
            .iter()
            .all(|e| !matches!(e, Effect::WithdrawOffer { .. } | Effect::Offer { .. }))
    );
    assert!(offered(&desk.accept(1, 2)).is_empty(), "full: nothing more rings them");
    assert_eq!(
        desk.accept(1, 3),
        [Effect::AcceptRefused {
            attorney: lawyer(1),
            encounter: enc(3),
            reason: RefuseReason::AtCapacity
        }]
    );
    // Ending a call frees a place, and the waiting request rings them again.
    let effects = desk.send(Event::CallEnded { encounter: enc(1) });
    assert_eq!(offered(&effects), [(lawyer(1), enc(3))]);
}

#[test]
fn an_accept_after_the_offer_ran_out_is_refused_as_expired() {
    let mut desk = Desk::new();
    desk.on_duty(1, english_ca());
    desk.ask(1, "en", "CA");
    desk.now += 15 * SEC;
    let effects = desk.accept(1, 1);
    assert_eq!(withdrawn(&effects), [(lawyer(1), enc(1), WithdrawReason::Expired)]);
    assert!(effects.contains(&Effect::AcceptRefused {
        attorney: lawyer(1),
        encounter: enc(1),
        reason: RefuseReason::Expired
    }));
}

#[test]
fn a_repeated_request_is_ignored() {
    let mut desk = Desk::new();
    desk.on_duty(1, english_ca());
    desk.ask(1, "en", "CA");
    desk.wait(5);
    assert!(desk.ask(1, "en", "CA").is_empty());
}
