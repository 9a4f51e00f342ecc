//! Encounters, their attorneys and the access log.

use super::{T0, account, conflict, encounter, not_found, ok};
use crate::{AccessRecord, Encounter, Store};
use amparo_core::ids::EncounterId;

/// Encounters keep every fact (and every absent fact) and list newest first per owner.
pub async fn encounters_round_trip_newest_first(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let neighbour = account(store, "neighbour").await;

    let first = encounter(owner.id, T0 + 1);
    let third = Encounter {
        latitude: Some(-0.000_001),
        longitude: Some(179.999_999),
        accuracy_m: Some(0.0),
        ..encounter(owner.id, T0 + 3)
    };
    let bare = Encounter {
        latitude: None,
        longitude: None,
        accuracy_m: None,
        us_state: None,
        language: None,
        wants_attorney: false,
        note: None,
        ..encounter(owner.id, T0 + 2)
    };
    let theirs = encounter(neighbour.id, T0 + 4);
    // Stored out of order, so "newest first" cannot come from insertion order.
    for e in [&first, &third, &bare, &theirs] {
        ok(store.create_encounter(e).await, "create_encounter");
    }
    for e in [&first, &third, &bare] {
        assert_eq!(
            ok(store.encounter(e.id).await, "encounter").as_ref(),
            Some(e),
            "round trip"
        );
    }

    let listed = ok(store.encounters_of(owner.id).await, "encounters_of");
    assert_eq!(
        listed,
        [third.clone(), bare, first.clone()],
        "the owner's encounters, newest first"
    );
    assert_eq!(ok(store.encounters_of(neighbour.id).await, "encounters_of"), [theirs]);

    let copy = Encounter {
        note: Some("a second insert".into()),
        ..first.clone()
    };
    conflict(store.create_encounter(&copy).await, "create_encounter with a taken id");
    assert_eq!(
        ok(store.encounter(first.id).await, "encounter"),
        Some(first),
        "unchanged"
    );
    assert_eq!(
        ok(store.encounter(EncounterId::new()).await, "encounter(unknown)"),
        None
    );
    let nobody = account(store, "nobody").await;
    assert_eq!(
        ok(store.encounters_of(nobody.id).await, "encounters_of(no encounters)"),
        []
    );
}

/// An encounter ends once.
pub async fn encounters_end_once(store: &dyn Store) {
    let owner = account(store, "ender").await;
    let open = encounter(owner.id, T0);
    ok(store.create_encounter(&open).await, "create_encounter");

    let ended = ok(store.end_encounter(open.id, T0 + 600).await, "end_encounter");
    let expected = Encounter {
        ended_at_us: Some(T0 + 600),
        ..open.clone()
    };
    assert_eq!(ended, expected, "end_encounter returns the ended encounter");
    assert_eq!(
        ok(store.encounter(open.id).await, "encounter").as_ref(),
        Some(&expected)
    );

    conflict(store.end_encounter(open.id, T0 + 900).await, "end_encounter twice");
    let kept = ok(store.encounter(open.id).await, "encounter");
    assert_eq!(kept, Some(expected), "a second end changes nothing");
    not_found(
        store.end_encounter(EncounterId::new(), T0).await,
        "end_encounter(unknown)",
    );
}

/// Assigning the same attorney twice is assigning once; attorneys are listed by id.
pub async fn attorneys_assignment_is_idempotent(store: &dyn Store) {
    let owner = account(store, "client").await;
    let first = account(store, "counsel").await;
    let second = account(store, "counsel").await;
    let stop = encounter(owner.id, T0);
    let other = encounter(owner.id, T0 + 1);
    for e in [&stop, &other] {
        ok(store.create_encounter(e).await, "create_encounter");
    }
    assert_eq!(ok(store.encounter_attorneys(stop.id).await, "encounter_attorneys"), []);

    let mut expected = vec![first.id, second.id];
    expected.sort();
    // The larger id first, so a list in the order of assignment would not pass.
    for attorney in [expected[1], expected[0], expected[1]] {
        ok(store.assign_attorney(stop.id, attorney).await, "assign_attorney");
    }
    let assigned = ok(store.encounter_attorneys(stop.id).await, "encounter_attorneys");
    assert_eq!(assigned, expected, "each attorney once, sorted by id");
    assert_eq!(ok(store.encounter_attorneys(other.id).await, "encounter_attorneys"), []);
}

/// Accesses come back oldest first, per encounter.
pub async fn access_log_is_oldest_first(store: &dyn Store) {
    let owner = account(store, "witness").await;
    let lawyer = account(store, "lawyer").await;
    let stop = encounter(owner.id, T0);
    let other = encounter(owner.id, T0);
    for e in [&stop, &other] {
        ok(store.create_encounter(e).await, "create_encounter");
    }
    let access = |encounter: EncounterId, who: &crate::Account, role: &str, action: &str, at_us| AccessRecord {
        encounter,
        account: who.id,
        role: role.into(),
        action: action.into(),
        at_us,
    };
    let late = access(stop.id, &lawyer, "attorney", "export bundle", T0 + 30);
    let early = access(stop.id, &owner, "owner", "view", T0 + 10);
    let middle = access(stop.id, &lawyer, "attorney", "view", T0 + 20);
    let elsewhere = access(other.id, &owner, "owner", "export bundle", T0 + 15);
    // Recorded out of order (clocks of two servers may disagree): the log sorts by time.
    for record in [&late, &early, &elsewhere, &middle] {
        ok(store.record_access(record).await, "record_access");
    }
    assert_eq!(ok(store.access_log(stop.id).await, "access_log"), [early, middle, late]);
    assert_eq!(ok(store.access_log(other.id).await, "access_log"), [elsewhere]);
    assert_eq!(
        ok(store.access_log(EncounterId::new()).await, "access_log(unknown)"),
        []
    );
}
