//! Deleting and purging (issue 6): a reporter deletes their own report or photo and nobody
//! else can; a report verified into an incident goes while the incident stays as verified and
//! the responders' actions stay in the audit log; the purge takes the photos of rejected and
//! expired reports decided before its time, a batch at a time, and nothing else.

use super::photos::photo;
use super::rapid::{action, cell, incident_from, report};
use super::{T0, account, not_found, ok};
use crate::{Question, Store};
use amparo_core::ids::{PhotoId, QuestionId, ReportId};

const MINUTE: i64 = 60_000_000;

pub async fn reporters_delete_their_reports_and_photos(store: &dyn Store) {
    let reporter = account(store, "eraser").await;
    let other = account(store, "eraser_other").await;
    let responder = account(store, "eraser_resp").await;
    let open = report(reporter.id, cell(8), T0);
    let verified = report(reporter.id, cell(8), T0 + 1);
    for r in [&open, &verified] {
        ok(store.create_report(r).await, "create_report");
    }
    let (a, b, c) = (
        photo(open.id, T0 + 2),
        photo(open.id, T0 + 3),
        photo(verified.id, T0 + 4),
    );
    for p in [&a, &b, &c] {
        ok(store.add_report_photo(p, 6).await, "add_report_photo");
    }
    let question = Question {
        id: QuestionId::new(),
        report: open.id,
        asked_by: responder.id,
        asked_at_us: T0 + 5,
        text: "Which corner?".into(),
        answer: None,
        answered_at_us: None,
    };
    let asked = action(responder.id, "ask", Some(open.id), T0 + 5);
    ok(store.ask_question(&question, &asked).await, "ask_question");
    let incident = incident_from(&verified, responder.id, T0 + 6);
    let verify = action(responder.id, "verify", Some(verified.id), T0 + 6);
    ok(
        store.verify_report(verified.id, &incident, &verify).await,
        "verify_report",
    );

    // Only the reporter: not another member, not a responder.
    for who in [other.id, responder.id] {
        not_found(store.delete_report(open.id, who).await, "someone else's report");
        not_found(store.delete_report_photo(a.id, who).await, "someone else's photo");
    }
    not_found(store.delete_report(ReportId::new(), reporter.id).await, "no report");
    not_found(store.delete_report_photo(PhotoId::new(), reporter.id).await, "no photo");

    assert_eq!(
        ok(store.delete_report_photo(a.id, reporter.id).await, "delete photo"),
        a
    );
    assert_eq!(ok(store.report_photo(a.id).await, "report_photo"), None);
    assert_eq!(ok(store.photos_of_report(open.id).await, "photos"), vec![b.clone()]);

    // An unverified report goes outright, with its questions and remaining photos.
    assert_eq!(
        ok(store.delete_report(open.id, reporter.id).await, "delete report"),
        vec![b]
    );
    assert_eq!(ok(store.report(open.id).await, "report"), None);
    assert!(ok(store.questions_of(open.id).await, "questions").is_empty());
    assert!(ok(store.photos_of_report(open.id).await, "photos").is_empty());
    not_found(store.delete_report(open.id, reporter.id).await, "deleted twice");

    // A verified one: the report and its photos go, the incident stays as it was verified.
    assert_eq!(
        ok(store.delete_report(verified.id, reporter.id).await, "delete verified"),
        vec![c]
    );
    assert_eq!(ok(store.report(verified.id).await, "report"), None);
    assert_eq!(
        ok(store.incident(incident.id).await, "incident"),
        Some(incident.clone())
    );
    assert!(ok(store.photos_of_incident(incident.id).await, "incident photos").is_empty());
    assert!(ok(store.reports_of(reporter.id).await, "reports_of").is_empty());
    let log = ok(store.responder_actions(1_000).await, "responder_actions");
    for (what, id) in [("ask", open.id), ("verify", verified.id)] {
        assert!(
            log.iter().any(|e| e.action == what && e.report == Some(id)),
            "the responder's {what} stays in the audit log"
        );
    }
}

pub async fn photos_of_rejected_and_expired_reports_are_purged(store: &dyn Store) {
    // Long before every other check's reports, so the purge's cut-off reaches only these.
    let long_ago = T0 - 10_000 * MINUTE;
    let reporter = account(store, "purged").await;
    let responder = account(store, "purged_resp").await;
    let rejected = report(reporter.id, cell(9), long_ago);
    let expired = report(reporter.id, cell(9), long_ago + 1);
    let verified = report(reporter.id, cell(9), long_ago + 2);
    for r in [&rejected, &expired, &verified] {
        ok(store.create_report(r).await, "create_report");
    }
    let photos: Vec<_> = [&rejected, &expired, &expired, &verified]
        .iter()
        .enumerate()
        .map(|(i, r)| photo(r.id, long_ago + 10 + i as i64))
        .collect();
    for p in &photos {
        ok(store.add_report_photo(p, 6).await, "add_report_photo");
    }
    let reject = action(responder.id, "reject", Some(rejected.id), long_ago + MINUTE);
    ok(store.reject_report(rejected.id, "not seen", &reject).await, "reject");
    let incident = incident_from(&verified, responder.id, long_ago + MINUTE);
    let verify = action(responder.id, "verify", Some(verified.id), long_ago + MINUTE);
    ok(store.verify_report(verified.id, &incident, &verify).await, "verify");
    // The expired one's time is 240 minutes after it was made.
    let expired_at = expired.expires_at_us;
    ok(store.expire_reports(expired_at).await, "expire_reports");

    assert!(
        ok(store.purge_report_photos(long_ago, 100).await, "purge too early").is_empty(),
        "nothing decided before the cut-off"
    );
    let first = ok(store.purge_report_photos(expired_at, 2).await, "purge a batch");
    assert_eq!(first.len(), 2, "at most the limit");
    let rest = ok(store.purge_report_photos(expired_at, 100).await, "purge the rest");
    let mut purged: Vec<PhotoId> = first.iter().chain(&rest).map(|p| p.id).collect();
    purged.sort();
    let mut expected: Vec<PhotoId> = photos[..3].iter().map(|p| p.id).collect();
    expected.sort();
    assert_eq!(purged, expected, "the rejected and expired reports' photos, each once");
    assert!(ok(store.purge_report_photos(expired_at, 100).await, "again").is_empty());
    assert_eq!(
        ok(store.photos_of_report(verified.id).await, "kept"),
        vec![photos[3].clone()],
        "a verified report's photos stay"
    );
    assert!(
        ok(store.report(rejected.id).await, "report").is_some(),
        "the reports themselves stay"
    );
}
