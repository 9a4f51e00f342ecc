//! The attorney line's profiles and settings (issue 4): attorneys vetted one per account and
//! listed by name, an organization's admins, state policies, and notes that are only ever added.

use super::organizations::org;
use super::{T0, account, conflict, encounter, fresh_name, new_account, not_found, ok};
use crate::{Account, Note, OrgDispatchPolicy, Store, StoreError, StoredAttorney};
use amparo_core::dispatch::{AttorneyProfile, Specialty, StatePolicy};
use amparo_core::ids::{AccountId, EncounterId, NoteId, OrgId};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::str::FromStr;

/// Codes as the dispatch types parse them.
fn codes<T: FromStr + Ord>(texts: &[&str]) -> BTreeSet<T>
where
    T::Err: Debug,
{
    texts
        .iter()
        .map(|text| text.parse().unwrap_or_else(|e| panic!("{text:?}: {e:?}")))
        .collect()
}

/// A vetted attorney of `org` with every list filled, saved by `admin`.
fn attorney(who: &Account, org: OrgId, admin: &Account, display_name: &str) -> StoredAttorney {
    StoredAttorney {
        account: who.id,
        display_name: display_name.to_owned(),
        profile: AttorneyProfile {
            org,
            vetted: true,
            bar_admissions: codes(&["CA", "TX", "PR", "DC"]),
            languages: codes(&["es", "en", "yue"]),
            specialties: [Specialty::Immigration, Specialty::Criminal].into(),
            capacity: 2,
        },
        updated_by: admin.id,
        updated_at_us: T0,
    }
}

/// A profile reads back exactly as saved; saving again replaces it (one row per account).
pub async fn attorney_profiles_round_trip_one_per_account(store: &dyn Store) {
    let (first, second) = (org(store, 1).await.id, org(store, 1).await.id);
    let (ana, admin) = (account(store, "ana").await, account(store, "admin").await);
    let saved = attorney(&ana, first, &admin, "Ana Ruiz");
    assert_eq!(ok(store.save_attorney(&saved).await, "save_attorney"), saved);
    assert_eq!(ok(store.attorney(ana.id).await, "attorney"), Some(saved.clone()));

    // Capacity zero, nothing vetted, empty lists, another organization: all kept as given.
    let replaced = StoredAttorney {
        display_name: "Ana María Ruiz".to_owned(),
        profile: AttorneyProfile {
            capacity: 0,
            ..AttorneyProfile::new(second)
        },
        updated_at_us: T0 + 1,
        ..saved.clone()
    };
    assert_eq!(
        ok(store.save_attorney(&replaced).await, "save_attorney(replace)"),
        replaced
    );
    assert_eq!(
        ok(store.attorney(ana.id).await, "attorney(replaced)"),
        Some(replaced.clone())
    );
    assert_eq!(ok(store.attorneys_of(first).await, "attorneys_of(old org)"), []);
    assert_eq!(ok(store.attorneys_of(second).await, "attorneys_of"), [replaced]);

    let mut one_state = saved.clone();
    one_state.profile.bar_admissions = codes(&["NY"]);
    one_state.profile.languages = codes(&["en"]);
    one_state.profile.specialties = [Specialty::Criminal].into();
    assert_eq!(
        ok(store.save_attorney(&one_state).await, "save_attorney(one of each)"),
        one_state
    );
    assert_eq!(
        ok(store.attorney(ana.id).await, "attorney(one of each)"),
        Some(one_state)
    );

    assert_eq!(ok(store.attorney(AccountId::new()).await, "attorney(unknown)"), None);
    let mut stranger = saved.clone();
    stranger.account = AccountId::new();
    not_found(store.save_attorney(&stranger).await, "save_attorney(unknown account)");
    let mut orphan = saved.clone();
    orphan.profile.org = OrgId::new();
    not_found(store.save_attorney(&orphan).await, "save_attorney(unknown org)");
}

/// An organization's attorneys by display name in byte order (capitals first, as both backends
/// sort), then account; no other organization's.
pub async fn attorneys_are_listed_by_name_per_organization(store: &dyn Store) {
    let (ours, theirs) = (org(store, 1).await.id, org(store, 1).await.id);
    let admin = account(store, "admin").await;
    let mut expected = Vec::new();
    for name in ["de la Cruz", "Eva Soto", "Bruno Díaz", "Álvaro Gil", "Ana Ruiz"] {
        let saved = attorney(&account(store, "lawyer").await, ours, &admin, name);
        ok(store.save_attorney(&saved).await, "save_attorney");
        expected.push(saved);
    }
    let elsewhere = attorney(&account(store, "elsewhere").await, theirs, &admin, "Aaron");
    ok(store.save_attorney(&elsewhere).await, "save_attorney(other org)");
    expected.sort_by(|a, b| (a.display_name.as_bytes(), a.account).cmp(&(b.display_name.as_bytes(), b.account)));
    let names = |list: &[StoredAttorney]| list.iter().map(|a| a.display_name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&expected),
        ["Ana Ruiz", "Bruno Díaz", "Eva Soto", "de la Cruz", "Álvaro Gil"]
    );
    let listed = ok(store.attorneys_of(ours).await, "attorneys_of");
    assert_eq!(names(&listed), names(&expected), "by display name, byte order");
    assert_eq!(listed, expected);
    assert_eq!(ok(store.attorneys_of(theirs).await, "attorneys_of(other)"), [elsewhere]);
    assert_eq!(ok(store.attorneys_of(OrgId::new()).await, "attorneys_of(unknown)"), []);
}

/// The admins of one organization, oldest account first (not in the order they were named).
pub async fn org_admins_are_listed_oldest_account_first(store: &dyn Store) {
    let (ours, theirs) = (org(store, 1).await.id, org(store, 1).await.id);
    let mut aged = Vec::new();
    for age in [3, 1, 2] {
        let mut new = new_account(fresh_name("admin"));
        new.created_at_us = T0 - age;
        aged.push(ok(store.create_account(&new).await, "create_account"));
    }
    assert_eq!(ok(store.org_admins(ours).await, "org_admins(none yet)"), []);
    for admin in aged.iter().rev() {
        ok(store.add_org_admin(ours, admin.id).await, "add_org_admin");
    }
    ok(store.add_org_admin(theirs, aged[1].id).await, "add_org_admin(other)");
    let oldest_first = [aged[0].id, aged[2].id, aged[1].id];
    assert_eq!(ok(store.org_admins(ours).await, "org_admins"), oldest_first);
    assert_eq!(ok(store.org_admins(theirs).await, "org_admins(other)"), [aged[1].id]);
    not_found(store.org_admins(OrgId::new()).await, "org_admins(unknown org)");
}

/// Each organization's state policy, both kinds, set again in place; none for one that did not
/// choose.
pub async fn dispatch_policies_round_trip(store: &dyn Store) {
    let (any, strict, silent) = (org(store, 1).await.id, org(store, 1).await.id, org(store, 1).await.id);
    ok(
        store.set_dispatch_policy(any, StatePolicy::AdmittedInState).await,
        "set_dispatch_policy",
    );
    ok(
        store.set_dispatch_policy(any, StatePolicy::AnyUsAdmission).await,
        "set_dispatch_policy(again)",
    );
    ok(
        store.set_dispatch_policy(strict, StatePolicy::AdmittedInState).await,
        "set_dispatch_policy",
    );
    let ours = |all: Vec<OrgDispatchPolicy>| {
        let mut mine: Vec<_> = all
            .into_iter()
            .filter(|p| [any, strict, silent].contains(&p.org))
            .collect();
        mine.sort_by_key(|p| p.org);
        mine
    };
    let mut expected = vec![
        OrgDispatchPolicy {
            org: any,
            state_policy: StatePolicy::AnyUsAdmission,
        },
        OrgDispatchPolicy {
            org: strict,
            state_policy: StatePolicy::AdmittedInState,
        },
    ];
    expected.sort_by_key(|p| p.org);
    assert_eq!(ours(ok(store.dispatch_policies().await, "dispatch_policies")), expected);
    not_found(
        store
            .set_dispatch_policy(OrgId::new(), StatePolicy::AnyUsAdmission)
            .await,
        "set_dispatch_policy(unknown org)",
    );
}

fn note(encounter: EncounterId, author: AccountId, text: &str, at_us: i64) -> Note {
    Note {
        id: NoteId::new(),
        encounter,
        author,
        text: text.to_owned(),
        at_us,
    }
}

/// Notes read back oldest first and per encounter; an id is used once; encounter and author
/// must exist.
pub async fn notes_are_added_once_and_read_oldest_first(store: &dyn Store) {
    let (owner, lawyer) = (account(store, "owner").await, account(store, "lawyer").await);
    let (stop, other) = (encounter(owner.id, T0), encounter(owner.id, T0));
    ok(store.create_encounter(&stop).await, "create_encounter");
    ok(store.create_encounter(&other).await, "create_encounter(other)");
    let later = note(stop.id, lawyer.id, "Advised to stay silent; CBP, two agents.", T0 + 20);
    let earlier = note(stop.id, lawyer.id, "Connected. Asked for her A-number: none.", T0 + 10);
    let elsewhere = note(other.id, lawyer.id, "Ñ — «quoted», \"escaped\", 'single'.", T0 + 5);
    for n in [&later, &earlier, &elsewhere] {
        ok(store.add_note(n).await, "add_note");
    }
    assert_eq!(ok(store.notes_of(stop.id).await, "notes_of"), [earlier.clone(), later]);
    assert_eq!(ok(store.notes_of(other.id).await, "notes_of(other)"), [elsewhere]);
    assert_eq!(ok(store.notes_of(EncounterId::new()).await, "notes_of(unknown)"), []);

    let mut again = earlier.clone();
    again.text = "A correction is a new note, with a new id.".to_owned();
    conflict(store.add_note(&again).await, "add_note(taken id)");
    let mut lost = note(EncounterId::new(), lawyer.id, "x", T0);
    not_found(store.add_note(&lost).await, "add_note(unknown encounter)");
    lost = note(stop.id, AccountId::new(), "x", T0);
    not_found(store.add_note(&lost).await, "add_note(unknown author)");
    assert_eq!(ok(store.notes_of(stop.id).await, "notes_of(after refusals)").len(), 2);
}

/// For a backend's own tests, which damage a row by hand in between: saves a vetted attorney of a
/// fresh organization.
pub async fn an_attorney_to_damage(store: &dyn Store) -> StoredAttorney {
    let org = org(store, 1).await.id;
    let (who, admin) = (account(store, "damaged").await, account(store, "admin").await);
    ok(
        store.save_attorney(&attorney(&who, org, &admin, "Ana Ruiz")).await,
        "save_attorney",
    )
}

/// Reading an attorney whose `column` no longer parses is a `Backend` error naming it, never a
/// panic, alone and in the organization's list.
pub async fn a_damaged_attorney_is_a_backend_error(store: &dyn Store, damaged: &StoredAttorney, column: &str) {
    let named = |result: Result<_, StoreError>, what: &str| match result {
        Err(StoreError::Backend(why)) => assert!(why.contains(column), "{what}: {why} does not name {column}"),
        other => panic!("{what}: expected Backend naming {column}, got {other:?}"),
    };
    named(store.attorney(damaged.account).await.map(|_| ()), "attorney");
    named(
        store.attorneys_of(damaged.profile.org).await.map(|_| ()),
        "attorneys_of",
    );
}
