//! The attorney line's history (issue 4): duty spans (one open per attorney, also under a race,
//! read by overlap) and calls (saved by encounter and request time, listed per organization, per
//! attorney and while open).

use super::organizations::org;
use super::{T0, account, encounter, not_found, ok};
use crate::{CallOutcome, CallRecord, DutySpan, Store};
use amparo_core::ids::{AccountId, EncounterId, OrgId};

fn span(attorney: AccountId, org: OrgId, since_us: i64, until_us: Option<i64>) -> DutySpan {
    DutySpan {
        attorney,
        org,
        since_us,
        until_us,
    }
}

/// Starting a span closes the attorney's open one first; ending closes it, and ending with none
/// open is fine. However starts race, one span stays open.
pub async fn duty_spans_open_one_at_a_time(store: &dyn Store) {
    let (ours, theirs) = (org(store, 1).await.id, org(store, 1).await.id);
    let (ana, ben) = (account(store, "ana").await, account(store, "ben").await);
    let all = || store.duty_spans(ours, i64::MIN, i64::MAX);
    ok(store.start_duty(ana.id, ours, T0).await, "start_duty");
    ok(store.start_duty(ana.id, ours, T0 + 10).await, "start_duty(still open)");
    assert_eq!(
        ok(all().await, "duty_spans"),
        [span(ana.id, ours, T0, Some(T0 + 10)), span(ana.id, ours, T0 + 10, None)],
        "the open span was closed when the next began"
    );
    ok(store.end_duty(ana.id, T0 + 20).await, "end_duty");
    ok(store.end_duty(ana.id, T0 + 30).await, "end_duty(none open)");
    ok(store.end_duty(ben.id, T0 + 30).await, "end_duty(never on duty)");
    let closed = [
        span(ana.id, ours, T0, Some(T0 + 10)),
        span(ana.id, ours, T0 + 10, Some(T0 + 20)),
    ];
    assert_eq!(ok(all().await, "duty_spans(ended)"), closed);

    // Starting twice in one microsecond leaves an empty span and one open.
    ok(store.start_duty(ana.id, ours, T0 + 40).await, "start_duty");
    ok(
        store.start_duty(ana.id, ours, T0 + 40).await,
        "start_duty(same instant)",
    );
    let spans = ok(all().await, "duty_spans(same instant)");
    assert_eq!(
        spans[2..],
        [
            span(ana.id, ours, T0 + 40, Some(T0 + 40)),
            span(ana.id, ours, T0 + 40, None)
        ]
    );
    // A refused start changes nothing: the open span stays open.
    not_found(
        store.start_duty(AccountId::new(), ours, T0 + 50).await,
        "start_duty(unknown account)",
    );
    not_found(
        store.start_duty(ana.id, OrgId::new(), T0 + 50).await,
        "start_duty(unknown org)",
    );
    assert_eq!(ok(all().await, "duty_spans(after refusals)"), spans);

    let start = |at_us: i64| store.start_duty(ben.id, theirs, at_us);
    let raced = tokio::join!(start(T0 + 1), start(T0 + 2), start(T0 + 3), start(T0 + 4));
    for result in [raced.0, raced.1, raced.2, raced.3] {
        ok(result, "start_duty in the race");
    }
    let spans = ok(store.duty_spans(theirs, i64::MIN, i64::MAX).await, "duty_spans(race)");
    assert_eq!(spans.len(), 4, "{spans:?}");
    let open = spans.iter().filter(|s| s.until_us.is_none()).count();
    assert_eq!(open, 1, "one open span after racing starts: {spans:?}");
    assert!(spans.iter().all(|s| s.attorney == ben.id && s.org == theirs));
}

/// Spans overlapping `[since, until)`, oldest first, open ones included, one organization's.
pub async fn duty_spans_are_read_by_overlap(store: &dyn Store) {
    let (ours, theirs) = (org(store, 1).await.id, org(store, 1).await.id);
    let (ana, ben, eva) = (
        account(store, "ana").await,
        account(store, "ben").await,
        account(store, "eva").await,
    );
    ok(store.start_duty(ana.id, ours, T0 + 100).await, "start_duty(ana)");
    ok(store.end_duty(ana.id, T0 + 200).await, "end_duty(ana)");
    ok(store.start_duty(ben.id, ours, T0 + 150).await, "start_duty(ben)");
    ok(store.start_duty(eva.id, theirs, T0).await, "start_duty(eva, other org)");
    let ana_span = span(ana.id, ours, T0 + 100, Some(T0 + 200));
    let ben_span = span(ben.id, ours, T0 + 150, None);
    let read = |since: i64, until: i64| store.duty_spans(ours, since, until);
    assert_eq!(
        ok(read(T0, T0 + 1000).await, "all"),
        [ana_span.clone(), ben_span.clone()]
    );
    assert_eq!(ok(read(T0, T0 + 100).await, "before both"), []);
    assert_eq!(
        ok(read(T0, T0 + 101).await, "ana's first microsecond"),
        std::slice::from_ref(&ana_span)
    );
    assert_eq!(
        ok(read(T0 + 199, T0 + 300).await, "ana's last"),
        [ana_span, ben_span.clone()]
    );
    assert_eq!(
        ok(read(T0 + 200, T0 + 300).await, "after ana"),
        std::slice::from_ref(&ben_span)
    );
    assert_eq!(ok(read(T0 + 10_000, T0 + 20_000).await, "open"), [ben_span]);
    let theirs_spans = ok(store.duty_spans(theirs, T0, T0 + 1).await, "other org");
    assert_eq!(theirs_spans, [span(eva.id, theirs, T0, None)]);
}

fn call(encounter: EncounterId, org: OrgId, requested_at_us: i64) -> CallRecord {
    CallRecord {
        encounter,
        org,
        language: "es".to_owned(),
        us_state: "CA".to_owned(),
        requested_at_us,
        offered_at_us: None,
        connected_at_us: None,
        attorney: None,
        closed_at_us: None,
        outcome: None,
    }
}

/// The open calls among `ours` (other checks share the store and may leave calls open).
async fn open_among(store: &dyn Store, ours: &[EncounterId]) -> Vec<CallRecord> {
    let open = ok(store.open_calls().await, "open_calls");
    open.into_iter().filter(|c| ours.contains(&c.encounter)).collect()
}

/// A call is created, then updated in place (key: encounter and request time) until it closes;
/// asking again makes a new row. Listed per organization in `[since, until)` oldest first, per
/// attorney newest first up to a limit, and while open, oldest first.
pub async fn calls_are_saved_in_place_and_listed(store: &dyn Store) {
    let (ours, theirs) = (org(store, 1).await.id, org(store, 1).await.id);
    let (owner, ana, ben) = (
        account(store, "owner").await,
        account(store, "ana").await,
        account(store, "ben").await,
    );
    let stops = [
        encounter(owner.id, T0),
        encounter(owner.id, T0),
        encounter(owner.id, T0),
    ];
    for stop in &stops {
        ok(store.create_encounter(stop).await, "create_encounter");
    }
    let ids = stops.each_ref().map(|s| s.id);

    let mut first = call(ids[0], ours, T0 + 1);
    ok(store.save_call(&first).await, "save_call");
    assert_eq!(open_among(store, &ids).await, [first.clone()]);
    first.offered_at_us = Some(T0 + 2);
    first.connected_at_us = Some(T0 + 3);
    first.attorney = Some(ana.id);
    ok(store.save_call(&first).await, "save_call(connected)");
    assert_eq!(open_among(store, &ids).await, [first.clone()], "updated in place");
    first.closed_at_us = Some(T0 + 9);
    first.outcome = Some(CallOutcome::Ended);
    ok(store.save_call(&first).await, "save_call(ended)");
    assert_eq!(open_among(store, &ids).await, [], "closed");

    let mut cancelled = call(ids[1], ours, T0 + 5);
    cancelled.language = "en".to_owned();
    cancelled.us_state = "TX".to_owned();
    cancelled.offered_at_us = Some(T0 + 6);
    cancelled.closed_at_us = Some(T0 + 7);
    cancelled.outcome = Some(CallOutcome::Cancelled);
    let mut again = call(ids[0], ours, T0 + 20);
    again.offered_at_us = Some(T0 + 21);
    again.connected_at_us = Some(T0 + 22);
    again.attorney = Some(ana.id);
    let waiting = call(ids[2], theirs, T0 + 6);
    for c in [&cancelled, &again, &waiting] {
        ok(store.save_call(c).await, "save_call");
    }

    let of_org = |org: OrgId, since: i64, until: i64| store.calls_of_org(org, since, until);
    let all_ours = [first.clone(), cancelled.clone(), again.clone()];
    assert_eq!(ok(of_org(ours, T0, T0 + 100).await, "calls_of_org"), all_ours);
    assert_eq!(ok(of_org(ours, T0 + 5, T0 + 20).await, "[since, until)"), [cancelled]);
    assert_eq!(ok(of_org(ours, T0 + 21, T0 + 100).await, "after"), []);
    assert_eq!(
        ok(of_org(theirs, T0, T0 + 100).await, "other org"),
        std::slice::from_ref(&waiting)
    );

    let of_lawyer = |who: AccountId, limit: u32| store.calls_of_attorney(who, limit);
    assert_eq!(
        ok(of_lawyer(ana.id, 10).await, "calls_of_attorney"),
        [again.clone(), first]
    );
    assert_eq!(ok(of_lawyer(ana.id, 1).await, "limit 1"), [again.clone()]);
    assert_eq!(ok(of_lawyer(ana.id, 0).await, "limit 0"), []);
    assert_eq!(ok(of_lawyer(ben.id, 10).await, "none taken"), []);

    assert_eq!(open_among(store, &ids).await, [waiting, again], "open, oldest first");
    not_found(
        store.save_call(&call(EncounterId::new(), ours, T0)).await,
        "save_call(unknown encounter)",
    );
    not_found(
        store.save_call(&call(ids[0], OrgId::new(), T0 + 50)).await,
        "save_call(unknown org)",
    );
    let mut stranger = call(ids[0], ours, T0 + 50);
    stranger.attorney = Some(AccountId::new());
    not_found(store.save_call(&stranger).await, "save_call(unknown attorney)");
}
