//! Emergency contacts (the five-contact limit, also under a race) and detentions.

use super::{T0, account, conflict, encounter, not_found, ok};
use crate::{EmergencyContact, MAX_EMERGENCY_CONTACTS, Store};
use amparo_core::ids::{AccountId, ContactId, EncounterId};

fn contact(account: AccountId, name: &str) -> EmergencyContact {
    EmergencyContact {
        id: ContactId::new(),
        account,
        name: name.to_owned(),
        email: Some(format!("{name}@example.org")),
        phone: Some("+13125550100".to_owned()),
        language: "es".to_owned(),
        prepared_message: Some(vec![7; 64]),
        created_at_us: T0,
        updated_at_us: T0,
    }
}

/// Create, read back oldest first, update (keeping `created_at_us`), delete; only the owner's.
pub async fn contacts_round_trip_and_belong_to_one_account(store: &dyn Store) {
    let (ana, ben) = (account(store, "ana").await, account(store, "ben").await);
    let first = contact(ana.id, "lucia");
    let saved = ok(store.save_contact(&first).await, "save_contact");
    assert_eq!(saved, first, "a saved contact reads back as written");
    let mut second = contact(ana.id, "marco");
    second.created_at_us = T0 + 1;
    second.email = None;
    second.prepared_message = None;
    ok(store.save_contact(&second).await, "save_contact(second)");
    assert_eq!(
        ok(store.contacts_of(ana.id).await, "contacts_of"),
        [first.clone(), second.clone()],
        "oldest first"
    );
    assert_eq!(ok(store.contacts_of(ben.id).await, "contacts_of(other)"), []);

    let mut changed = first.clone();
    changed.name = "Lucía".to_owned();
    changed.prepared_message = Some(vec![9; 80]);
    changed.created_at_us = T0 + 50;
    changed.updated_at_us = T0 + 100;
    let updated = ok(store.save_contact(&changed).await, "save_contact(update)");
    assert_eq!(updated.name, "Lucía");
    assert_eq!(updated.prepared_message, Some(vec![9; 80]));
    assert_eq!(
        updated.created_at_us, T0,
        "an update keeps when the contact was created"
    );
    assert_eq!(updated.updated_at_us, T0 + 100);

    let mut stolen = first.clone();
    stolen.account = ben.id;
    not_found(store.save_contact(&stolen).await, "save_contact(another account's id)");
    not_found(
        store.delete_contact(ben.id, first.id).await,
        "delete_contact(another account's)",
    );
    ok(store.delete_contact(ana.id, first.id).await, "delete_contact");
    not_found(store.delete_contact(ana.id, first.id).await, "delete_contact twice");
    assert_eq!(ok(store.contacts_of(ana.id).await, "contacts_of"), [second]);
}

/// Six adds racing for five places: five stored, one `Conflict`.
pub async fn the_contact_limit_holds_under_a_race(store: &dyn Store) {
    let ana = account(store, "ana").await;
    let contacts: Vec<_> = (0..=MAX_EMERGENCY_CONTACTS)
        .map(|i| contact(ana.id, &format!("c{i}")))
        .collect();
    let save = |i: usize| store.save_contact(&contacts[i]);
    let outcomes = tokio::join!(save(0), save(1), save(2), save(3), save(4), save(5));
    let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3, outcomes.4, outcomes.5];
    let saved = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(saved, MAX_EMERGENCY_CONTACTS, "{outcomes:?}");
    let refused = outcomes.into_iter().find(Result::is_err).expect("one refused");
    conflict(refused, "save_contact past the limit");
    let stored = ok(store.contacts_of(ana.id).await, "contacts_of");
    assert_eq!(stored.len(), MAX_EMERGENCY_CONTACTS);
    conflict(
        store.save_contact(&contact(ana.id, "late")).await,
        "save_contact when full",
    );
    // Updating one of the five is not adding a sixth.
    let mut edit = stored[0].clone();
    edit.name = "edited".to_owned();
    ok(store.save_contact(&edit).await, "save_contact(update when full)");
}

/// A detention is recorded once per encounter.
pub async fn detentions_are_marked_once(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let stop = encounter(owner.id, T0);
    ok(store.create_encounter(&stop).await, "create_encounter");
    assert_eq!(ok(store.detained_at(stop.id).await, "detained_at(before)"), None);
    assert!(
        ok(store.mark_detained(stop.id, T0 + 5).await, "mark_detained"),
        "first time"
    );
    assert!(
        !ok(store.mark_detained(stop.id, T0 + 9).await, "mark_detained again"),
        "second time"
    );
    assert_eq!(
        ok(store.detained_at(stop.id).await, "detained_at"),
        Some(T0 + 5),
        "the first time is kept"
    );
    not_found(
        store.mark_detained(EncounterId::new(), T0).await,
        "mark_detained(unknown encounter)",
    );
}
