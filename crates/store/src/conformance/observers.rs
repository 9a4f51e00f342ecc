//! Legal observers (issue 6): a request per incident (asked again, it keeps its place while
//! open and starts afresh once closed), open requests oldest first, observers sent once each,
//! marks that only move forward, and every responder action in the audit log.

use super::rapid::{action, cell, incident_from, report};
use super::{T0, account, conflict, not_found, ok};
use crate::{ObserverDispatch, ObserverMark, ObserverRequest, ResponderAction, Store};
use amparo_core::ids::{AccountId, IncidentId};

const MINUTE: i64 = 60_000_000;

fn audit(by: AccountId, what: &str, incident: IncidentId, at_us: i64) -> ResponderAction {
    ResponderAction {
        incident: Some(incident),
        ..action(by, what, None, at_us)
    }
}

async fn verified_incident(store: &dyn Store, by: AccountId, at_us: i64) -> IncidentId {
    let reporter = account(store, "obsrep").await;
    let made = report(reporter.id, cell(7), at_us - MINUTE);
    ok(store.create_report(&made).await, "create_report");
    let incident = incident_from(&made, by, at_us);
    let verify = action(by, "verify", Some(made.id), at_us);
    ok(store.verify_report(made.id, &incident, &verify).await, "verify_report");
    incident.id
}

pub async fn observer_requests_and_dispatches_round_trip(store: &dyn Store) {
    let responder = account(store, "obsresp").await;
    let observer = account(store, "obs").await;
    let at = T0 + 30 * MINUTE;
    let first = verified_incident(store, responder.id, at).await;
    let second = verified_incident(store, responder.id, at).await;
    let request = |incident, wanted, requested_at_us| ObserverRequest {
        incident,
        requested_by: responder.id,
        wanted,
        requested_at_us,
        closed_at_us: None,
    };

    not_found(
        store
            .request_observers(
                &request(IncidentId::new(), 1, at),
                &audit(responder.id, "request_observers", first, at),
            )
            .await,
        "request observers at no incident",
    );
    let asked = audit(responder.id, "request_observers", first, at);
    let stored = ok(store.request_observers(&request(first, 1, at), &asked).await, "request");
    assert_eq!(stored, request(first, 1, at));
    ok(
        store.request_observers(&request(second, 1, at - 1), &asked).await,
        "request the second",
    );
    // Asked again while open: the number changes, the place in line does not.
    let again = ok(
        store.request_observers(&request(first, 2, at + MINUTE), &asked).await,
        "request again",
    );
    assert_eq!(again, request(first, 2, at));
    assert_eq!(
        ok(store.observer_request(first).await, "observer_request"),
        Some(request(first, 2, at)),
        "read by its key"
    );
    assert_eq!(
        ok(store.observer_request(IncidentId::new()).await, "observer_request"),
        None
    );
    let open: Vec<IncidentId> = ok(store.open_observer_requests().await, "open requests")
        .into_iter()
        .map(|r| r.incident)
        .filter(|i| [first, second].contains(i))
        .collect();
    assert_eq!(open, vec![second, first], "oldest first");

    ok(store.close_observer_request(second, at + 2 * MINUTE).await, "close");
    ok(
        store.close_observer_request(second, at + 3 * MINUTE).await,
        "close twice is nothing",
    );
    assert!(
        !ok(store.open_observer_requests().await, "open requests")
            .iter()
            .any(|r| r.incident == second),
        "a closed request is not open"
    );
    // Asked again once closed: a fresh request, with the new time.
    let reopened = ok(
        store
            .request_observers(&request(second, 1, at + 4 * MINUTE), &asked)
            .await,
        "reopen",
    );
    assert_eq!(reopened, request(second, 1, at + 4 * MINUTE));
    ok(
        store.close_observer_request(second, at + 5 * MINUTE).await,
        "close again",
    );
    let closed = ok(store.observer_request(second).await, "observer_request");
    assert_eq!(
        closed.and_then(|r| r.closed_at_us),
        Some(at + 5 * MINUTE),
        "a closed request is read too"
    );
    ok(
        store
            .request_observers(&request(second, 1, at + 4 * MINUTE), &asked)
            .await,
        "reopen",
    );

    let sent = ObserverDispatch {
        incident: first,
        observer: observer.id,
        display_name: observer.username.clone(),
        accepted_at_us: at + MINUTE,
        arrived_at_us: None,
        done_at_us: None,
        lapsed_at_us: None,
    };
    let accept = audit(observer.id, "observer_accept", first, at + MINUTE);
    ok(store.add_observer(&sent, &accept).await, "add_observer");
    conflict(store.add_observer(&sent, &accept).await, "send the same observer twice");
    not_found(
        store
            .add_observer(
                &ObserverDispatch {
                    observer: AccountId::new(),
                    ..sent.clone()
                },
                &accept,
            )
            .await,
        "send an account that does not exist",
    );
    assert_eq!(ok(store.observers_of(first).await, "observers_of"), vec![sent.clone()]);
    assert!(ok(store.observers_of(second).await, "observers_of").is_empty());

    let mark = |m, at_us| store.mark_observer(first, observer.id, m, at_us, &accept);
    not_found(
        store
            .mark_observer(second, observer.id, ObserverMark::Arrived, at, &accept)
            .await,
        "mark where not sent",
    );
    let arrived = ok(mark(ObserverMark::Arrived, at + 5 * MINUTE).await, "arrived");
    assert_eq!(arrived.arrived_at_us, Some(at + 5 * MINUTE));
    conflict(mark(ObserverMark::Arrived, at + 6 * MINUTE).await, "arrive twice");
    let done = ok(mark(ObserverMark::Done, at + 9 * MINUTE).await, "done");
    assert_eq!(
        (done.arrived_at_us, done.done_at_us),
        (Some(at + 5 * MINUTE), Some(at + 9 * MINUTE))
    );
    conflict(mark(ObserverMark::Done, at + 10 * MINUTE).await, "done twice");

    assert!(
        !ok(
            store.lapse_observer(first, observer.id, at + 10 * MINUTE).await,
            "lapse"
        ),
        "one who is done does not lapse"
    );
    observers_lapse(store, second, observer.id, &accept, at).await;

    let decline = audit(observer.id, "observer_decline", second, at + 11 * MINUTE);
    ok(store.log_responder_action(&decline).await, "log_responder_action");
    let log = ok(store.responder_actions(50).await, "responder_actions");
    let ours: Vec<&str> = log
        .iter()
        .filter(|a| a.incident.is_some_and(|i| i == first || i == second))
        .map(|a| a.action.as_str())
        .collect();
    assert!(ours.starts_with(&["observer_decline"]), "newest first: {ours:?}");
    for what in ["request_observers", "observer_accept"] {
        assert!(ours.contains(&what), "{what} is in the audit log: {ours:?}");
    }
    assert_eq!(
        ours.iter().filter(|a| **a == "observer_accept").count(),
        4,
        "both accepts and both marks (logged with the accept's action here), and nothing refused"
    );
}

/// An observer who lapsed is marked once, is no longer going, and no mark counts after it.
async fn observers_lapse(
    store: &dyn Store,
    incident: IncidentId,
    observer: AccountId,
    audit: &ResponderAction,
    at: i64,
) {
    let sent = ObserverDispatch {
        incident,
        observer,
        display_name: "late".to_owned(),
        accepted_at_us: at + MINUTE,
        arrived_at_us: None,
        done_at_us: None,
        lapsed_at_us: None,
    };
    ok(store.add_observer(&sent, audit).await, "add_observer");
    assert!(ok(
        store.lapse_observer(incident, observer, at + 2 * MINUTE).await,
        "lapse"
    ));
    assert!(
        !ok(
            store.lapse_observer(incident, observer, at + 3 * MINUTE).await,
            "lapse twice"
        ),
        "lapsed once"
    );
    assert!(
        !ok(
            store.lapse_observer(incident, AccountId::new(), at).await,
            "lapse nobody"
        ),
        "nobody sent: nothing marked"
    );
    let rows = ok(store.observers_of(incident).await, "observers_of");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].lapsed_at_us, Some(at + 2 * MINUTE));
    assert!(
        !rows[0].going() && !rows[0].went(),
        "lapsed before arriving: neither going nor gone"
    );
    for mark in [ObserverMark::Arrived, ObserverMark::Done] {
        conflict(
            store
                .mark_observer(incident, observer, mark, at + 4 * MINUTE, audit)
                .await,
            "a mark after lapsing",
        );
    }
}
