//! The conformance suite every store backend passes.
//!
//! A backend's tests call [`run_all`] with a freshly opened store; each check is also public (and
//! listed by [`checks`]) so a backend can run one on its own while chasing a failure. A check
//! panics, naming the operation and what it expected, at the first difference.
//!
//! The checks share one store, in any order, so none assumes the store is empty: every account,
//! encounter and upload gets fresh random ids and names, and the log checks read the log's size
//! and frontier first and append on top of whatever is there (the [`Sequencer`]).
//!
//! Module map:
//! - this file: [`run_all`], the fixtures and the assertions every check uses.
//! - `sequencer`: a test sequencer that builds batches with real Merkle stored hashes.
//! - `accounts`: accounts, roles and sessions.
//! - `encounters`: encounters, attorneys and the access log.
//! - `uploads`: uploads, deferred lengths and termination.
//! - `log`: `append_batch`: atomicity, stale indexes and offsets, races.
//! - `upload_rules`: `append_batch` against terminated, complete and expired uploads.
//! - `reads`: stored hashes, leaf ranges, and the frontier rebuilt from them.
//! - `checkpoints`: published checkpoints.
//! - `households`: households, invitations, and the six-seat limit under a race (issue 5).
//! - `contacts`: emergency contacts, their limit under a race, and detentions (issue 5).
//! - `push`: Web Push subscriptions: by endpoint, moved between accounts, capped (issue 5).
//! - `organizations`: seat pools and their admins, the pool's size under a race, plan facts,
//!   billing events applied once, pending invitations revoked and purged (issue 5).
//! - `attorneys`: the attorney line's profiles (one per account, listed by name), organizations'
//!   admins, state policies, and notes that are only ever added (issue 4).
//! - `calls`: duty spans (one open per attorney, also under a race, read by overlap) and calls
//!   (saved in place, listed per organization, per attorney and while open) (issue 4).
//! - `recovery`: what a starting dispatcher reads and writes: requests rung but never recorded,
//!   found by their encounters; every open duty span ended at once (issue 7).
//! - `rapid`: reports decided once and audited, expiry, questions, incidents by cell, watch
//!   areas by cell, the vehicle registry's index (issue 6).
//! - `photos`: report photos capped per report (also under a race), found by incident, shared
//!   with the action logged (issue 6).
//! - `audit`: the audit log a page at a time, newest first, filtered (issue 6).
//! - `observers`: legal observers' requests (kept in line while open, fresh once closed), each
//!   observer sent once, marks only forward, the audit log (issue 6).
//! - `leases`: a lease held once per name, its holder's note, given up on drop ([`take_within`]
//!   tries until a lease is free, for backend tests of takeover).
//! - `deployment_keys`: the shared keys' fingerprints, the first claim kept (also under a race).
//! - `bench`: [`append_rate`], a micro benchmark of `append_batch` for any backend (not a check).

mod accounts;
mod attorneys;
mod audit;
mod bench;
mod calls;
mod checkpoints;
mod contacts;
mod deployment_keys;
mod encounters;
mod erase;
mod households;
mod leases;
mod log;
mod observers;
mod organizations;
mod photos;
mod plate_search;
mod push;
mod rapid;
mod reads;
mod recovery;
mod sequencer;
mod upload_rules;
mod uploads;

pub use accounts::{
    roles_always_include_member, sessions_expire_and_can_be_deleted, usernames_are_unique_case_insensitively,
};
pub use attorneys::{
    a_damaged_attorney_is_a_backend_error, an_attorney_to_damage, attorney_profiles_round_trip_one_per_account,
    attorneys_are_listed_by_name_per_organization, dispatch_policies_round_trip,
    notes_are_added_once_and_read_oldest_first, org_admins_are_listed_oldest_account_first,
};
pub use audit::the_audit_log_pages_newest_first_and_filters;
pub use bench::{AppendRate, append_rate};
pub use calls::{calls_are_saved_in_place_and_listed, duty_spans_are_read_by_overlap, duty_spans_open_one_at_a_time};
pub use checkpoints::checkpoints_are_immutable_and_found_by_index;
pub use contacts::{
    contacts_round_trip_and_belong_to_one_account, detentions_are_marked_once, the_contact_limit_holds_under_a_race,
};
pub use deployment_keys::deployment_keys_keep_the_first_fingerprint;
pub use encounters::{
    access_log_is_oldest_first, attorneys_assignment_is_idempotent, encounters_end_once,
    encounters_round_trip_newest_first,
};
pub use erase::{photos_of_rejected_and_expired_reports_are_purged, reporters_delete_their_reports_and_photos};
pub use households::{
    an_account_belongs_to_one_household, households_invite_accept_remove_and_leave,
    invitations_expire_and_are_used_once, plan_periods_are_stored, the_last_seat_is_filled_once_under_a_race,
};
pub use leases::{leases_are_held_once_and_given_up_on_drop, take_within};
pub use log::{
    append_batch_races_have_one_winner, append_batch_rejects_a_stale_index, append_batch_rejects_a_stale_offset,
    append_batch_updates_everything,
};
pub use observers::observer_requests_and_dispatches_round_trip;
pub use organizations::{
    billing_events_are_applied_exactly_once, invitations_are_listed_revoked_and_purged,
    organizations_have_admins_policies_and_plans, plan_facts_name_every_plan_that_may_cover,
    seats_are_given_once_per_account_and_reclaimed, the_last_org_seat_is_given_once_under_a_race,
};
pub use photos::{report_photos_are_capped_and_follow_their_incident, the_photo_cap_holds_under_a_race};
pub use plate_search::plate_search_reads_matches_as_typed_and_near;
pub use push::{push_subscriptions_are_capped_per_account, push_subscriptions_save_move_and_delete};
pub use rapid::{
    questions_and_incident_updates, reports_are_decided_once_and_audited, unverified_reports_expire_without_a_decision,
    vehicles_are_indexed_confirmed_and_cleared, watch_areas_are_found_by_cell,
};
pub use reads::{
    frontier_rebuilds_after_many_batches, log_ranges_read_short_at_the_end, read_hashes_keeps_order_and_reports_missing,
};
pub use recovery::{every_open_duty_span_ends_at_once, requests_never_recorded_are_found_by_their_encounters};
pub use sequencer::{Planned, Sequencer};
pub use upload_rules::{
    append_batch_and_termination_race_cleanly, append_batch_leaves_expiry_to_the_server,
    append_batch_refuses_a_terminated_upload, append_batch_refuses_to_pass_the_declared_length,
};
pub use uploads::{upload_length_is_set_once, uploads_round_trip_oldest_first, uploads_terminate_keeping_chunks};

use crate::{Account, Encounter, NewAccount, Store, StoreError, Upload};
use amparo_core::ids::{AccountId, EncounterId, RecordingId};
use amparo_core::leaf::CHAIN_START;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// One check, as a value: what [`checks`] lists.
pub type Check = for<'a> fn(&'a dyn Store) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Lists the checks by name, and makes [`checks`] from the list, so nothing can be listed in
/// one place and missing from the other.
macro_rules! checks {
    ($($check:ident),* $(,)?) => {
        /// Every check, by name, in the order [`run_all`] runs them.
        pub fn checks() -> Vec<(&'static str, Check)> {
            vec![$({
                fn boxed(store: &dyn Store) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
                    Box::pin($check(store))
                }
                (stringify!($check), boxed as Check)
            }),*]
        }
    };
}

checks![
    usernames_are_unique_case_insensitively,
    roles_always_include_member,
    sessions_expire_and_can_be_deleted,
    encounters_round_trip_newest_first,
    encounters_end_once,
    attorneys_assignment_is_idempotent,
    access_log_is_oldest_first,
    uploads_round_trip_oldest_first,
    upload_length_is_set_once,
    uploads_terminate_keeping_chunks,
    append_batch_updates_everything,
    append_batch_rejects_a_stale_index,
    append_batch_rejects_a_stale_offset,
    append_batch_races_have_one_winner,
    append_batch_refuses_a_terminated_upload,
    append_batch_refuses_to_pass_the_declared_length,
    append_batch_leaves_expiry_to_the_server,
    append_batch_and_termination_race_cleanly,
    read_hashes_keeps_order_and_reports_missing,
    log_ranges_read_short_at_the_end,
    frontier_rebuilds_after_many_batches,
    checkpoints_are_immutable_and_found_by_index,
    leases_are_held_once_and_given_up_on_drop,
    deployment_keys_keep_the_first_fingerprint,
    // Households (issue 5)
    households_invite_accept_remove_and_leave,
    invitations_expire_and_are_used_once,
    an_account_belongs_to_one_household,
    the_last_seat_is_filled_once_under_a_race,
    plan_periods_are_stored,
    // Emergency contacts and detention (issue 5)
    contacts_round_trip_and_belong_to_one_account,
    the_contact_limit_holds_under_a_race,
    detentions_are_marked_once,
    // --- Web Push subscriptions (issue 5) ---
    push_subscriptions_save_move_and_delete,
    push_subscriptions_are_capped_per_account,
    // Organizations and plans (issue 5)
    organizations_have_admins_policies_and_plans,
    seats_are_given_once_per_account_and_reclaimed,
    the_last_org_seat_is_given_once_under_a_race,
    plan_facts_name_every_plan_that_may_cover,
    billing_events_are_applied_exactly_once,
    invitations_are_listed_revoked_and_purged,
    // The attorney line (issue 4)
    attorney_profiles_round_trip_one_per_account,
    attorneys_are_listed_by_name_per_organization,
    org_admins_are_listed_oldest_account_first,
    dispatch_policies_round_trip,
    notes_are_added_once_and_read_oldest_first,
    duty_spans_open_one_at_a_time,
    duty_spans_are_read_by_overlap,
    calls_are_saved_in_place_and_listed,
    // A dispatcher starting (issue 7)
    requests_never_recorded_are_found_by_their_encounters,
    every_open_duty_span_ends_at_once,
    // Rapid response (issue 6)
    reports_are_decided_once_and_audited,
    unverified_reports_expire_without_a_decision,
    questions_and_incident_updates,
    watch_areas_are_found_by_cell,
    vehicles_are_indexed_confirmed_and_cleared,
    plate_search_reads_matches_as_typed_and_near,
    report_photos_are_capped_and_follow_their_incident,
    the_photo_cap_holds_under_a_race,
    reporters_delete_their_reports_and_photos,
    photos_of_rejected_and_expired_reports_are_purged,
    the_audit_log_pages_newest_first_and_filters,
    // Legal observers (issue 6)
    observer_requests_and_dispatches_round_trip,
];

/// Runs every check against one store, one after another.
pub async fn run_all(store: Arc<dyn Store>) {
    for (name, check) in checks() {
        // Shown with a failing test's output: which check the panic below belongs to.
        eprintln!("conformance: {name}");
        check(&*store).await;
    }
}

// --- fixtures ---

/// A fixed instant (June 2025, in microseconds): checks never read the clock, so they are
/// repeatable, and timestamps stay far from the edges of `i64`.
pub(crate) const T0: i64 = 1_750_000_000_000_000;
/// One day in microseconds.
pub(crate) const DAY: i64 = 86_400_000_000;

/// A name no other check (or earlier run against the same database) uses. Version 7 UUIDs carry
/// 74 random bits.
pub(crate) fn fresh_name(prefix: &str) -> String {
    format!("{prefix}_{}", AccountId::new().0.simple())
}

pub(crate) fn new_account(username: String) -> NewAccount {
    NewAccount {
        id: AccountId::new(),
        username,
        // The store treats the hash as opaque text; this is the shape of a real one.
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        created_at_us: T0,
    }
}

/// Creates an account with a fresh username.
pub(crate) async fn account(store: &dyn Store, prefix: &str) -> Account {
    let new = new_account(fresh_name(prefix));
    ok(store.create_account(&new).await, "create_account")
}

/// An encounter with every optional fact given.
pub(crate) fn encounter(owner: AccountId, started_at_us: i64) -> Encounter {
    Encounter {
        id: EncounterId::new(),
        owner,
        started_at_us,
        ended_at_us: None,
        latitude: Some(34.052_235),
        longitude: Some(-118.243_683),
        accuracy_m: Some(12.5),
        us_state: Some("CA".into()),
        language: Some("es-MX".into()),
        wants_attorney: true,
        note: Some("Two officers; asked for my papers.".into()),
    }
}

/// A deferred-length upload of `encounter`, created at `created_at_us`.
pub(crate) fn upload(encounter: &Encounter, created_at_us: i64) -> Upload {
    Upload {
        id: RecordingId::new(),
        encounter: encounter.id,
        owner: encounter.owner,
        length: None,
        offset: 0,
        chain: CHAIN_START,
        media_type: Some("audio/webm".into()),
        metadata: "filetype YXVkaW8vd2VibQ==,filename Y2xpcC53ZWJt".into(),
        created_at_us,
        expires_at_us: created_at_us + DAY,
        terminated_at_us: None,
    }
}

/// A fresh account, encounter and empty upload, stored: what most upload and log checks start
/// from.
pub(crate) async fn recording(store: &dyn Store) -> Upload {
    let owner = account(store, "rec").await;
    let encounter = encounter(owner.id, T0);
    ok(store.create_encounter(&encounter).await, "create_encounter");
    let upload = upload(&encounter, T0);
    ok(store.create_upload(&upload).await, "create_upload");
    upload
}

// --- assertions ---

/// The value of a call that must succeed.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T, StoreError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: expected success, got {error:?}"),
    }
}

/// A call that must fail with `Conflict`.
#[track_caller]
pub(crate) fn conflict<T: Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

/// A call that must fail with `NotFound`.
#[track_caller]
pub(crate) fn not_found<T: Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}
