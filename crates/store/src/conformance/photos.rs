//! Report photos (issue 6): rows round-trip, the cap per report holds (also under a race), an
//! incident's photos are those of the reports verified or merged into it, and sharing one is
//! logged.

use super::rapid::{action, cell, incident_from, report};
use super::{T0, account, conflict, not_found, ok};
use crate::{ReportPhoto, Store};
use amparo_core::ids::{PhotoId, ReportId};

pub(super) fn photo(report: ReportId, created_at_us: i64) -> ReportPhoto {
    ReportPhoto {
        id: PhotoId::new(),
        report,
        width: 1600,
        height: 1200,
        size_bytes: 234_567,
        created_at_us,
        shareable: false,
    }
}

pub async fn report_photos_are_capped_and_follow_their_incident(store: &dyn Store) {
    let reporter = account(store, "ph").await;
    let responder = account(store, "ph_resp").await;
    let first = report(reporter.id, cell(5), T0);
    let second = report(reporter.id, cell(5), T0 + 1);
    let alone = report(reporter.id, cell(6), T0 + 2);
    for r in [&first, &second, &alone] {
        ok(store.create_report(r).await, "create_report");
    }
    let a = photo(first.id, T0 + 10);
    let b = photo(first.id, T0 + 5);
    ok(store.add_report_photo(&a, 2).await, "add_report_photo");
    ok(store.add_report_photo(&b, 2).await, "add_report_photo");
    conflict(
        store.add_report_photo(&photo(first.id, T0 + 20), 2).await,
        "a photo past the cap",
    );
    not_found(
        store.add_report_photo(&photo(ReportId::new(), T0), 2).await,
        "a photo of no report",
    );
    assert_eq!(
        ok(store.photos_of_report(first.id).await, "photos_of_report"),
        vec![b.clone(), a.clone()],
        "oldest first, every field kept"
    );
    assert_eq!(ok(store.report_photo(a.id).await, "report_photo"), Some(a.clone()));
    assert_eq!(ok(store.report_photo(PhotoId::new()).await, "unknown photo"), None);

    let c = photo(second.id, T0 + 30);
    let d = photo(alone.id, T0 + 40);
    ok(store.add_report_photo(&c, 2).await, "add_report_photo");
    ok(store.add_report_photo(&d, 2).await, "add_report_photo");
    let incident = incident_from(&first, responder.id, T0 + 50);
    ok(
        store
            .verify_report(
                first.id,
                &incident,
                &action(responder.id, "verify", Some(first.id), T0 + 50),
            )
            .await,
        "verify",
    );
    ok(
        store
            .merge_report(
                second.id,
                incident.id,
                &action(responder.id, "merge", Some(second.id), T0 + 51),
            )
            .await,
        "merge",
    );
    assert_eq!(
        ok(store.photos_of_incident(incident.id).await, "photos_of_incident"),
        vec![b.clone(), a.clone(), c.clone()],
        "the verified and the merged report's photos, not another report's"
    );

    let share = action(responder.id, "photo_share", Some(first.id), T0 + 60);
    let shared = ok(
        store.set_photo_shareable(a.id, true, &share).await,
        "set_photo_shareable",
    );
    assert!(shared.shareable);
    assert_eq!(ok(store.report_photo(a.id).await, "report_photo"), Some(shared));
    not_found(
        store.set_photo_shareable(PhotoId::new(), true, &share).await,
        "share an unknown photo",
    );
    let log = ok(store.responder_actions(1_000).await, "responder_actions");
    assert!(
        log.iter()
            .any(|e| e.responder == responder.id && e.action == "photo_share" && e.at_us == T0 + 60),
        "sharing is in the audit log"
    );
}

pub async fn the_photo_cap_holds_under_a_race(store: &dyn Store) {
    let reporter = account(store, "ph_race").await;
    let r = report(reporter.id, cell(7), T0);
    ok(store.create_report(&r).await, "create_report");
    let photos: Vec<ReportPhoto> = (0..4).map(|i| photo(r.id, T0 + i)).collect();
    let add = |i: usize| store.add_report_photo(&photos[i], 3);
    let outcomes = tokio::join!(add(0), add(1), add(2), add(3));
    let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3];
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 3, "{outcomes:?}");
    conflict(
        outcomes.into_iter().find(Result::is_err).expect("one refused"),
        "the fourth of three",
    );
    assert_eq!(ok(store.photos_of_report(r.id).await, "photos_of_report").len(), 3);
}
