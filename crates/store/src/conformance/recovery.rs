//! What a starting attorney dispatcher reads and writes (issue 7): the requests for an attorney a
//! previous dispatcher rang but never recorded, and every duty span left open by it.

use super::organizations::org;
use super::{DAY, T0, account, encounter, ok};
use crate::{CallRecord, DutySpan, Encounter, Store};
use amparo_core::ids::{AccountId, EncounterId};
use uuid::{NoContext, Timestamp, Uuid};

/// Far from every other check's times, so only this check's encounters are in its window.
const SINCE: i64 = T0 + 400 * DAY;

/// An encounter asking for an attorney, started at `at_us` with an id made then (ids are
/// version 7 UUIDs, made as the encounter starts).
fn asking(owner: AccountId, at_us: i64, id_at_us: i64) -> Encounter {
    let seconds = u64::try_from(id_at_us / 1_000_000).expect("a time after 1970");
    let nanos = u32::try_from(id_at_us % 1_000_000 * 1_000).expect("under a second");
    Encounter {
        id: EncounterId(Uuid::new_v7(Timestamp::from_unix(NoContext, seconds, nanos))),
        ..encounter(owner, at_us)
    }
}

/// Listed: open encounters since the time that asked for an attorney and have no call record and
/// no attorney, newest first, at most the limit. Not listed: ended ones, those that did not ask,
/// those with a call record (even a closed one: the person cancelled) or an attorney, those
/// started before the time, and those whose id was made before it (the read walks the key).
pub async fn requests_never_recorded_are_found_by_their_encounters(store: &dyn Store) {
    let owner = account(store, "asker").await;
    let lawyer = account(store, "lawyer").await;
    let ours = org(store, 1).await.id;
    let at = |n: i64| SINCE + n * 1_000_000;
    let make = |n: i64| asking(owner.id, at(n), at(n));
    let (lost, newer) = (make(1), make(2));
    let ended = make(3);
    let not_asking = Encounter {
        wants_attorney: false,
        ..make(4)
    };
    let (recorded, assigned) = (make(5), make(6));
    let before = asking(owner.id, SINCE - 1, SINCE - 1);
    let old_id = asking(owner.id, at(7), SINCE - 10 * DAY);
    for e in [
        &lost,
        &newer,
        &ended,
        &not_asking,
        &recorded,
        &assigned,
        &before,
        &old_id,
    ] {
        ok(store.create_encounter(e).await, "create_encounter");
    }
    ok(store.end_encounter(ended.id, at(8)).await, "end_encounter");
    let record = CallRecord {
        encounter: recorded.id,
        org: ours,
        language: "es".to_owned(),
        us_state: "CA".to_owned(),
        requested_at_us: at(5),
        offered_at_us: None,
        connected_at_us: None,
        attorney: None,
        closed_at_us: Some(at(6)),
        outcome: Some(crate::CallOutcome::Cancelled),
    };
    ok(store.save_call(&record).await, "save_call");
    ok(store.assign_attorney(assigned.id, lawyer.id).await, "assign_attorney");

    let found = ok(store.unrecorded_attorney_requests(SINCE, 10).await, "unrecorded");
    let ids: Vec<EncounterId> = found.iter().map(|e| e.id).collect();
    assert_eq!(ids, [newer.id, lost.id], "newest first, only those never recorded");
    assert_eq!(found[1], lost, "read back whole");
    let one = ok(store.unrecorded_attorney_requests(SINCE, 1).await, "unrecorded(limit)");
    assert_eq!(one.iter().map(|e| e.id).collect::<Vec<_>>(), [newer.id]);
    let later = ok(store.unrecorded_attorney_requests(at(2), 10).await, "unrecorded(later)");
    assert_eq!(later.iter().map(|e| e.id).collect::<Vec<_>>(), [newer.id]);
}

/// Every open span closes at the time given (at its start, if it began later); closed spans
/// keep their end, and an attorney can go on duty again.
pub async fn every_open_duty_span_ends_at_once(store: &dyn Store) {
    let ours = org(store, 1).await.id;
    let (ana, ben, cai) = (
        account(store, "ana").await,
        account(store, "ben").await,
        account(store, "cai").await,
    );
    let at = SINCE + DAY;
    ok(store.start_duty(ana.id, ours, at).await, "start_duty(ana)");
    ok(store.start_duty(ben.id, ours, at + 50).await, "start_duty(ben)");
    ok(store.start_duty(cai.id, ours, at + 5).await, "start_duty(cai)");
    ok(store.end_duty(cai.id, at + 7).await, "end_duty(cai)");
    let ended = ok(store.end_all_duty(at + 10).await, "end_all_duty");
    assert!(ended >= 2, "both open spans (and any another check left open): {ended}");
    let span = |attorney: AccountId, since_us: i64, until_us: Option<i64>| DutySpan {
        attorney,
        org: ours,
        since_us,
        until_us,
    };
    let spans = ok(store.duty_spans(ours, at, at + 100).await, "duty_spans");
    assert_eq!(
        spans,
        [
            span(ana.id, at, Some(at + 10)),
            span(cai.id, at + 5, Some(at + 7)),
            span(ben.id, at + 50, Some(at + 50)),
        ],
        "closed at the time, or at a later start; a closed span untouched"
    );
    assert_eq!(ok(store.end_all_duty(at + 20).await, "end_all_duty(none open)"), 0);
    ok(store.start_duty(ana.id, ours, at + 30).await, "start_duty(again)");
    let again = ok(store.duty_spans(ours, at + 30, at + 31).await, "duty_spans(again)");
    assert_eq!(again, [span(ana.id, at + 30, None)]);
    ok(store.end_duty(ana.id, at + 40).await, "end_duty(ana)");
}
