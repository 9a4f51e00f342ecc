//! What a server relies on between events: deadlines, a clock that never steps back, the state on disk, the codes.

use super::*;

#[test]
fn next_deadline_is_the_earliest_expiry_or_lapse() {
    let mut desk = Desk::with(DispatchSettings::default());
    assert_eq!(desk.dispatcher.next_deadline(), None);
    desk.on_duty(1, english_ca());
    let start = desk.now;
    desk.ask(1, "en", "CA");
    assert_eq!(
        desk.dispatcher.next_deadline(),
        Some(start + DEFAULT_HEARTBEAT_TIMEOUT_US)
    );
    desk.now += 5 * SEC;
    desk.send(Event::Heartbeat { attorney: lawyer(1) });
    assert_eq!(desk.dispatcher.next_deadline(), Some(start + DEFAULT_OFFER_TIMEOUT_US));
}

#[test]
fn time_never_runs_backwards() {
    let mut desk = Desk::new();
    desk.on_duty(1, english_ca());
    let effects = desk.ask(1, "en", "CA");
    let Some(Effect::Offer { expires_at_us, .. }) = effects.first().cloned() else {
        panic!("expected an offer, got {effects:?}");
    };
    desk.now -= 60 * SEC;
    desk.wait(0);
    desk.now = expires_at_us - 1;
    assert!(desk.wait(0).is_empty(), "the deadline did not move");
}

#[test]
fn the_state_survives_serialization_mid_call() {
    let mut desk = Desk::new();
    for n in 1..=2 {
        desk.on_duty(n, english_ca());
    }
    desk.ask(1, "en", "CA");
    desk.ask(2, "en", "CA");
    desk.accept(1, 1);
    let json = serde_json::to_string(&desk.dispatcher).expect("serialize");
    let mut restored: Dispatcher = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(restored, desk.dispatcher);
    let later = desk.now + 20 * SEC;
    assert_eq!(
        restored.handle(later, Event::Tick),
        desk.dispatcher.handle(later, Event::Tick)
    );
}

#[test]
fn codes_parse_once_and_serialize_as_text() {
    assert_eq!(state(" ca ").as_str(), "CA");
    assert_eq!(state("pr").to_string(), "PR");
    assert!("XX".parse::<UsState>().is_err());
    assert!("CAL".parse::<UsState>().is_err());
    assert_eq!(lang("EN-us").as_str(), "en");
    assert_eq!(lang("es_MX"), lang("es"));
    assert_eq!(lang("yue-HK").as_str(), "yue");
    for bad in ["", "e", "x-klingon", "english", "e1"] {
        assert!(bad.parse::<Language>().is_err(), "{bad:?}");
    }
    let json = serde_json::to_string(&profile(&["es", "en"], &["TX"])).expect("serialize");
    assert!(json.contains(r#""bar_admissions":["TX"]"#) && json.contains(r#""languages":["en","es"]"#));
    assert!(serde_json::from_str::<UsState>(r#""ZZ""#).is_err());
    let set: BTreeSet<Language> = serde_json::from_str(r#"["es","en"]"#).expect("languages");
    assert_eq!(set.len(), 2);
}

#[test]
fn specialties_and_state_policies_parse_their_json_names() {
    for specialty in [Specialty::Immigration, Specialty::Criminal] {
        let json = serde_json::to_string(&specialty).expect("serialize");
        assert_eq!(json, format!("\"{specialty}\""));
        assert_eq!(specialty.as_str().parse(), Ok(specialty));
    }
    for policy in [StatePolicy::AdmittedInState, StatePolicy::AnyUsAdmission] {
        let json = serde_json::to_string(&policy).expect("serialize");
        assert_eq!(json, format!("\"{policy}\""));
        assert_eq!(policy.as_str().parse(), Ok(policy));
    }
    assert!("Immigration".parse::<Specialty>().is_err());
    assert!("".parse::<StatePolicy>().is_err());
}
