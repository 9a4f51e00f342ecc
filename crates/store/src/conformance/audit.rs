//! The responders' audit log read a page at a time (issue 6): newest first, by cursor, and
//! filtered by responder, report or incident.

use super::rapid::{action, cell, incident_from, report};
use super::{T0, account, ok};
use crate::{AuditEntry, AuditQuery, Question, ResponderAction, Store};
use amparo_core::ids::QuestionId;

fn actions_of(page: &[AuditEntry]) -> Vec<&str> {
    page.iter().map(|e| e.action.action.as_str()).collect()
}

pub async fn the_audit_log_pages_newest_first_and_filters(store: &dyn Store) {
    let reporter = account(store, "au_rep").await;
    let ana = account(store, "au_ana").await;
    let ben = account(store, "au_ben").await;
    let first = report(reporter.id, cell(8), T0);
    let second = report(reporter.id, cell(8), T0 + 1);
    for r in [&first, &second] {
        ok(store.create_report(r).await, "create_report");
    }
    let ask = |by, r: &crate::Report, at| {
        let question = Question {
            id: QuestionId::new(),
            report: r.id,
            asked_by: by,
            asked_at_us: at,
            text: "Which corner?".into(),
            answer: None,
            answered_at_us: None,
        };
        (question, action(by, "ask", Some(r.id), at))
    };
    let (q, a) = ask(ana.id, &first, T0 + 10);
    ok(store.ask_question(&q, &a).await, "ask");
    let (q, a) = ask(ben.id, &second, T0 + 11);
    ok(store.ask_question(&q, &a).await, "ask");
    let incident = incident_from(&first, ana.id, T0 + 12);
    let verify = ResponderAction {
        incident: Some(incident.id),
        ..action(ana.id, "verify", Some(first.id), T0 + 12)
    };
    ok(store.verify_report(first.id, &incident, &verify).await, "verify");
    ok(
        store
            .reject_report(
                second.id,
                "a prank",
                &action(ben.id, "reject", Some(second.id), T0 + 13),
            )
            .await,
        "reject",
    );
    let withdraw = ResponderAction {
        incident: Some(incident.id),
        ..action(ben.id, "withdraw", None, T0 + 14)
    };
    let withdrawn = crate::Incident {
        withdrawn_at_us: Some(T0 + 14),
        ..incident.clone()
    };
    ok(store.update_incident(&withdrawn, &withdraw).await, "withdraw");

    let query = |q: AuditQuery| async move { ok(store.audit_log(&q).await, "audit_log") };
    let by_ana = query(AuditQuery {
        responder: Some(ana.id),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        actions_of(&by_ana),
        vec!["verify", "ask"],
        "one responder's, newest first"
    );
    assert!(by_ana[0].seq > by_ana[1].seq);
    assert_eq!(by_ana[0].action, verify, "every field kept");

    let about_incident = query(AuditQuery {
        incident: Some(incident.id),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(actions_of(&about_incident), vec!["withdraw", "verify"]);
    let about_second = query(AuditQuery {
        report: Some(second.id),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(actions_of(&about_second), vec!["reject", "ask"]);
    let ben_on_second = query(AuditQuery {
        report: Some(second.id),
        responder: Some(ben.id),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(ben_on_second.len(), 2, "filters combine");

    // Pages of two, by cursor: every entry of both responders once, in order.
    let mut seen = Vec::new();
    for responder in [ana.id, ben.id] {
        let mut before = None;
        let mut theirs = Vec::new();
        loop {
            let page = query(AuditQuery {
                before,
                responder: Some(responder),
                limit: 2,
                ..AuditQuery::default()
            })
            .await;
            theirs.extend(page.iter().map(|e| e.seq));
            match page.last() {
                Some(last) if page.len() == 2 => before = Some(last.seq),
                _ => break,
            }
        }
        assert!(
            theirs.windows(2).all(|w| w[0] > w[1]),
            "newest first across pages: {theirs:?}"
        );
        seen.extend(theirs);
    }
    assert_eq!(seen.len(), 5, "each entry once: {seen:?}");
    let latest = query(AuditQuery {
        limit: 1,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(actions_of(&latest), vec!["withdraw"], "the whole log, newest first");
}
