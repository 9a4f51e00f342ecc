//! Deleting and purging report photos (issue 6): a reporter deletes their own photo or report
//! (bytes too) and nobody else can; a verified report's incident stays as verified while the
//! report and its photos go; the purge removes rejected reports' photos and blobs that never
//! got a row, on local files and on a real S3 server (s3s-fs), and nothing younger or still
//! wanted.

use crate::harness::{TestServer, problem, test_services};
use crate::photos::{get, limits, list, phone_jpeg, report, stored_photos, upload};
use crate::s3::s3fs::S3Fs;
use amparo_core::ids::{PhotoId, ReportId};
use amparo_core::roles::Role;
use amparo_server::rapid::purge::{Ages, Purged, purge_once};
use amparo_store::{Store, photo_blob_key};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

async fn delete(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    server
        .request(Method::DELETE, path, Some(token))
        .send()
        .await
        .expect("delete")
}

async fn photo_of(server: &TestServer, token: &str, report: &str) -> Value {
    let response = upload(server, token, report, phone_jpeg()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("photo")
}

#[tokio::test]
async fn a_reporter_deletes_their_photos_and_reports_and_nobody_else_can() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let (stranger, _) = server.member().await;
    let (responder, _) = server.with_role(Role::Responder).await;
    let open = report(&server, &reporter).await;
    let first = photo_of(&server, &reporter, &open).await;
    let second = photo_of(&server, &reporter, &open).await;
    let first_url = first["url"].as_str().expect("url").to_owned();
    assert_eq!(stored_photos(&server).len(), 2);

    for token in [&stranger, &responder] {
        problem(delete(&server, &first_url, token).await, 404).await;
        problem(delete(&server, &format!("/api/v1/reports/{open}"), token).await, 404).await;
    }
    problem(delete(&server, "/api/v1/photos/not-an-id", &reporter).await, 404).await;

    assert_eq!(
        delete(&server, &first_url, &reporter).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(get(&server, &first_url, &reporter).await, 404).await;
    let left = list(&server, &format!("/api/v1/reports/{open}/photos"), &reporter).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], second["id"]);
    assert_eq!(stored_photos(&server).len(), 1, "the bytes went with the row");

    // An unverified report goes outright, photos and all.
    assert_eq!(
        delete(&server, &format!("/api/v1/reports/{open}"), &reporter)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(get(&server, &format!("/api/v1/reports/{open}"), &responder).await, 404).await;
    assert!(stored_photos(&server).is_empty());
    problem(
        delete(&server, &format!("/api/v1/reports/{open}"), &reporter).await,
        404,
    )
    .await;

    // A verified one: the incident stays as the responder verified it; the report and its
    // photos (shared or not) go; the responder's actions stay in the audit log.
    let verified = report(&server, &reporter).await;
    let photo = photo_of(&server, &reporter, &verified).await;
    let made = server
        .post_json(
            &format!("/api/v1/reports/{verified}/verify"),
            Some(&responder),
            &json!({"how": "photo", "description": "Unmarked SUV at the school, seen in the photo"}),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED, "{:?}", made.text().await);
    let incident: Value = made.json().await.expect("incident");
    let incident_path = format!("/api/v1/incidents/{}", incident["id"].as_str().expect("id"));
    let share = server
        .request(
            Method::PUT,
            &format!("/api/v1/photos/{}/shareable", photo["id"].as_str().expect("id")),
            Some(&responder),
        )
        .json(&json!({"shareable": true}))
        .send()
        .await
        .expect("share");
    assert_eq!(share.status(), StatusCode::OK);
    let before: Value = get(&server, &incident_path, &responder)
        .await
        .json()
        .await
        .expect("incident");

    assert_eq!(
        delete(&server, &format!("/api/v1/reports/{verified}"), &reporter)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let after = get(&server, &incident_path, &responder).await;
    assert_eq!(after.status(), StatusCode::OK, "the incident stays");
    let after: Value = after.json().await.expect("incident");
    for field in [
        "kind",
        "description",
        "verified_how",
        "verified_at",
        "observed_at",
        "place",
    ] {
        assert_eq!(after[field], before[field], "{field} unchanged");
    }
    assert!(
        list(&server, &format!("{incident_path}/photos"), &responder)
            .await
            .is_empty()
    );
    assert!(stored_photos(&server).is_empty());
    let mine = list(&server, "/api/v1/reports/mine", &reporter).await;
    assert!(mine.is_empty(), "nothing of theirs is left: {mine:?}");
    let id: ReportId = verified.parse().expect("report id");
    let log = server.store.responder_actions(100).await.expect("audit log");
    for what in ["verify", "photo_share"] {
        assert!(
            log.iter()
                .any(|a| a.action == what && (a.report == Some(id) || what == "photo_share")),
            "{what} stays in the audit log"
        );
    }
}

/// Runs the purge over `server`'s store and `blobs`: a rejected report's photo and an orphan go
/// once old enough; an open report's photo stays. `keys` lists what `blobs` holds.
async fn purge_takes_only_what_is_due(
    server: &TestServer,
    blobs: Arc<dyn ObjectStore>,
    keys: impl Fn() -> Vec<String>,
) {
    let (reporter, _) = server.member().await;
    let (responder, _) = server.with_role(Role::Responder).await;
    let rejected = report(server, &reporter).await;
    let gone = photo_of(server, &reporter, &rejected).await;
    let open = report(server, &reporter).await;
    let kept = photo_of(server, &reporter, &open).await;
    let refused = server
        .post_json(
            &format!("/api/v1/reports/{rejected}/reject"),
            Some(&responder),
            &json!({"reason": "Nobody else saw it"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::OK, "{:?}", refused.text().await);
    // Bytes written with no row after them: what a crash between the two writes leaves.
    let orphan = photo_blob_key(ReportId::new(), PhotoId::new());
    blobs
        .put(&Path::from(orphan.clone()), PutPayload::from(phone_jpeg()))
        .await
        .expect("orphan written");
    assert_eq!(keys().len(), 3);

    let store: &dyn Store = server.store.as_ref();
    let now = amparo_server::clock::now_us() + 1_000;
    let hour = Duration::from_secs(3_600);
    let young = purge_once(
        store,
        blobs.as_ref(),
        now,
        Ages {
            rejected: hour,
            orphan: hour,
        },
    )
    .await;
    assert_eq!(young, Purged::default(), "nothing is old enough yet");
    assert_eq!(keys().len(), 3);

    let due = Ages {
        rejected: Duration::ZERO,
        orphan: Duration::ZERO,
    };
    let purged = purge_once(store, blobs.as_ref(), now, due).await;
    assert_eq!(purged, Purged { photos: 1, orphans: 1 });
    let left = keys();
    assert_eq!(left.len(), 1, "{left:?}");
    let kept_id = kept["id"].as_str().expect("id");
    assert!(left[0].contains(kept_id), "the open report's photo stays: {left:?}");
    problem(get(server, gone["url"].as_str().expect("url"), &reporter).await, 404).await;
    assert_eq!(
        get(server, kept["url"].as_str().expect("url"), &reporter)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(purge_once(store, blobs.as_ref(), now, due).await, Purged::default());
}

#[tokio::test]
async fn the_purge_removes_rejected_reports_photos_and_orphans_on_local_files() {
    let server = TestServer::start_with(limits()).await;
    let blobs: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(server.dir.path().join("media")).expect("media"));
    let files = || {
        stored_photos(&server)
            .into_iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    purge_takes_only_what_is_due(&server, blobs, files).await;
}

#[tokio::test]
async fn the_purge_removes_rejected_reports_photos_and_orphans_on_s3() {
    let s3 = S3Fs::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db"))
            .await
            .expect("sqlite store"),
    );
    let server = TestServer::start_on(store, s3.open("purge"), dir, limits(), test_services()).await;
    let keys = || {
        s3.stored_keys("purge")
            .into_iter()
            .filter(|k| k.starts_with("reports/"))
            .collect::<Vec<_>>()
    };
    purge_takes_only_what_is_due(&server, s3.open("purge"), keys).await;
}
