//! Who may be offered a request: presence, duty, vetting, language, organization and state.

use super::*;

#[test]
fn a_lapsed_heartbeat_withdraws_offers_and_a_new_one_brings_the_attorney_back() {
    let mut desk = Desk::with(DispatchSettings {
        ring_count: NonZeroUsize::MIN,
        ..DispatchSettings::default()
    });
    desk.on_duty(1, english_ca());
    desk.wait(1);
    desk.on_duty(2, english_ca());
    assert_eq!(offered(&desk.ask(1, "en", "CA")), [(lawyer(1), enc(1))]);
    desk.now += 8 * SEC;
    desk.send(Event::Heartbeat { attorney: lawyer(2) });
    // Attorney 1's last beat was 9 s ago; at 10 s they are away.
    assert!(desk.wait(0).is_empty());
    let effects = desk.wait(1);
    assert_eq!(withdrawn(&effects), [(lawyer(1), enc(1), WithdrawReason::Away)]);
    assert_eq!(offered(&effects), [(lawyer(2), enc(1))]);
    assert_eq!(
        desk.accept(1, 1),
        [Effect::AcceptRefused {
            attorney: lawyer(1),
            encounter: enc(1),
            reason: RefuseReason::NotOffered
        }]
    );
    // Back from the lapse, attorney 1 has not passed, so a fresh request rings them first.
    desk.send(Event::Heartbeat { attorney: lawyer(1) });
    assert_eq!(offered(&desk.ask(2, "en", "CA")), [(lawyer(1), enc(2))]);
}

#[test]
fn going_off_duty_withdraws_offers_but_not_calls() {
    let mut desk = Desk::new();
    desk.on_duty(
        1,
        AttorneyProfile {
            capacity: 2,
            ..english_ca()
        },
    );
    desk.ask(1, "en", "CA");
    desk.accept(1, 1);
    desk.ask(2, "en", "CA");
    let effects = desk.send(Event::AttorneyOffDuty { attorney: lawyer(1) });
    assert_eq!(withdrawn(&effects), [(lawyer(1), enc(2), WithdrawReason::OffDuty)]);
    assert_eq!(desk.status(1), Some(RequestStatus::Connected { attorney: lawyer(1) }));
    assert_eq!(desk.dispatcher.snapshot(desk.now).attorneys.len(), 1);
    let effects = desk.send(Event::CallEnded { encounter: enc(1) });
    assert_eq!(
        effects,
        [Effect::Closed {
            encounter: enc(1),
            outcome: Outcome::Ended,
            attorney: Some(lawyer(1))
        }]
    );
    assert!(
        desk.dispatcher.snapshot(desk.now).attorneys.is_empty(),
        "forgotten once done"
    );
}

#[test]
fn state_policy_decides_which_admissions_count() {
    let mut desk = Desk::new();
    desk.on_duty(1, profile(&["en"], &["NY"]));
    desk.on_duty(2, profile(&["en"], &[]));
    assert!(offered(&desk.ask(1, "en", "CA")).is_empty(), "admitted in NY, not CA");

    // An immigration-only organization allows any admission: attorney 1 now fits, and is rung
    // without waiting for another event. Attorney 2, admitted nowhere, never is.
    let effects = desk.send(Event::SetStatePolicy {
        org: ORG,
        policy: StatePolicy::AnyUsAdmission,
    });
    assert_eq!(offered(&effects), [(lawyer(1), enc(1))]);

    // Back to the strict rule: the offer no longer fits.
    let effects = desk.send(Event::SetStatePolicy {
        org: ORG,
        policy: StatePolicy::AdmittedInState,
    });
    assert_eq!(
        withdrawn(&effects),
        [(lawyer(1), enc(1), WithdrawReason::NoLongerEligible)]
    );
}

#[test]
fn never_offered_across_languages_organizations_or_without_vetting() {
    let mut desk = Desk::new();
    desk.on_duty(1, profile(&["es"], &["CA"]));
    desk.on_duty(
        2,
        AttorneyProfile {
            vetted: false,
            ..english_ca()
        },
    );
    desk.on_duty(
        3,
        AttorneyProfile {
            org: OTHER_ORG,
            ..english_ca()
        },
    );
    desk.on_duty(
        4,
        AttorneyProfile {
            capacity: 0,
            ..english_ca()
        },
    );
    assert!(offered(&desk.ask(1, "en", "CA")).is_empty());
    // A regional tag matches the language: a caller with "es-MX" reaches attorney 1.
    assert_eq!(offered(&desk.ask(2, "es-MX", "CA")), [(lawyer(1), enc(2))]);
}

#[test]
fn revoking_vetting_withdraws_offers() {
    let mut desk = Desk::new();
    desk.on_duty(1, english_ca());
    desk.ask(1, "en", "CA");
    let effects = desk.on_duty(
        1,
        AttorneyProfile {
            vetted: false,
            ..english_ca()
        },
    );
    assert_eq!(
        withdrawn(&effects),
        [(lawyer(1), enc(1), WithdrawReason::NoLongerEligible)]
    );
    assert!(effects.contains(&Effect::Queued {
        encounter: enc(1),
        position: 1
    }));
}
