//! The rapid-response network in the field, in real browsers (issue 6): report photos lose the
//! phone's Exif before a responder sees them; a responder available to observe gets the offer
//! for a verified incident and accepts, and the incident page shows who is on the way; a report
//! made offline waits on the phone and is sent once when the connection returns, even when the
//! first send's answer is lost; a reporter deletes a photo and a verified report, and the
//! incident stays; only server admins are linked to the audit log. tests/e2e/rapid-field.mjs
//! drives the pages; this file sets up, checks what the server holds afterwards, and runs
//! inside a network namespace with only `lo` (no packet leaves).

mod common;

use common::{Amparo, PASSWORD, admin, assert_no_audit_problems};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;

/// Pilsen, Chicago: where the phones say they are.
const PLACE: (f64, f64) = (41.85712, -87.6563);

#[tokio::test(flavor = "multi_thread")]
async fn observers_photos_offline_reports_and_deleting_in_the_browser() {
    if !common::in_network_namespace("observers_photos_offline_reports_and_deleting_in_the_browser") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let amparo = Amparo::spawn_with(dir.path(), &[("AMPARO_LIMITS__REPORTS_PER_HOUR", "100")]);
    let result = scenario(&amparo, dir.path()).await;
    check_pages(&result);
    check_server(&amparo, &result).await;
    assert_no_audit_problems(&result["details"]);
}

/// Four accounts, roles granted as an operator would, then the browsers.
async fn scenario(amparo: &Amparo, data_dir: &Path) -> Value {
    let name = |role: &str| format!("{role}{}", rand::random::<u32>());
    let (member, asker, observer, boss) = (name("member"), name("asker"), name("observer"), name("admin"));
    for username in [&member, &asker, &observer, &boss] {
        amparo.sign_up(username).await;
    }
    admin(data_dir, &["grant-role", &asker, "responder"]);
    admin(data_dir, &["grant-role", &observer, "responder"]);
    admin(data_dir, &["grant-role", &boss, "admin"]);
    let out = common::e2e_out("rapid-field");
    std::fs::create_dir_all(&out).expect("out dir");
    let setup = out.join("setup.json");
    let credentials = |username: &str| json!({"username": username, "password": PASSWORD});
    let setup_json = json!({
        "member": credentials(&member),
        "asker": credentials(&asker),
        "observer": credentials(&observer),
        "observerName": observer,
        "admin": credentials(&boss),
        "place": {"latitude": PLACE.0, "longitude": PLACE.1},
    });
    std::fs::write(&setup, setup_json.to_string()).expect("setup");
    let mut result = common::run_e2e("rapid-field.mjs", &[amparo.base.as_ref(), out.as_ref(), setup.as_ref()]);
    result["observerName"] = json!(observer);
    result
}

/// What the pages showed.
fn check_pages(result: &Value) {
    let details = &result["details"];
    assert_eq!(details["nav"]["memberAuditLink"], 0, "members have no audit link");
    assert_eq!(
        details["triagePhotoLoaded"], true,
        "the responder sees the photo in triage"
    );
    let photo = &details["photoFacts"];
    assert_eq!(photo["jpeg"], true, "a JPEG: {photo}");
    assert_eq!(photo["exif"], false, "no Exif left: {photo}");
    assert_eq!(photo["make"], false, "no make or model left: {photo}");
    assert_eq!(photo["sameBytes"], false, "never the phone's bytes: {photo}");
    assert_eq!(
        details["onTheWay"], result["observerName"],
        "the incident page shows who is on the way"
    );
    assert_eq!(details["requestState"], "fulfilled");
    assert!(
        details["offlineWhere"]
            .as_str()
            .is_some_and(|s| s.contains("No connection")),
        "offline, the report uses the phone's location: {}",
        details["offlineWhere"]
    );
    assert_eq!(details["waitingText"], "Waiting to send");
    assert_eq!(details["lost"], 1, "the first send's answer was dropped");
    assert!(details["posts"].as_u64() >= Some(2), "and the report was sent again");
    assert!(
        details["deleteWarning"].as_str().is_some_and(|s| s.contains("stays")),
        "deleting a verified report says the alert stays: {}",
        details["deleteWarning"]
    );
    assert_eq!(
        details["incidentPhotosAfter"], 0,
        "the incident no longer shows the photo"
    );
}

/// What the server holds afterwards, asked with each person's own token.
async fn check_server(amparo: &Amparo, result: &Value) {
    let call = |method: Method, path: String, who: &str| {
        let token = result["tokens"][who].as_str().expect("token").to_owned();
        let request = amparo.request(method, &path, &token);
        async move { request.send().await.expect("request") }
    };
    let json = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.expect("json")
    };
    let report = result["reportId"].as_str().expect("report");
    let incident = result["incidentId"].as_str().expect("incident");

    // The verified report is gone for everyone; its incident stays, with the observer.
    let gone = call(Method::GET, format!("/api/v1/reports/{report}"), "asker").await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let kept = json(call(Method::GET, format!("/api/v1/incidents/{incident}"), "asker").await).await;
    assert_eq!(kept["verified_how"], "in_person");
    let photos = json(call(Method::GET, format!("/api/v1/incidents/{incident}/photos"), "asker").await).await;
    assert_eq!(photos, json!([]), "the deleted report's photo went with it");
    let observers = json(call(Method::GET, format!("/api/v1/incidents/{incident}/observers"), "asker").await).await;
    assert_eq!(observers["observers"][0]["display_name"], result["observerName"]);
    assert!(observers["observers"][0]["arrived_at"].is_string(), "{observers}");

    // The offline report: stored once, its photo deleted by its reporter.
    let mine = json(call(Method::GET, "/api/v1/reports/mine".to_owned(), "member").await).await;
    let offline: Vec<&Value> = mine
        .as_array()
        .expect("reports")
        .iter()
        .filter(|r| r["description"].as_str().is_some_and(|d| d.contains("Blue Island")))
        .collect();
    assert_eq!(offline.len(), 1, "one report, though it was sent twice: {mine}");
    let photos = json(
        call(
            Method::GET,
            format!("/api/v1/reports/{}/photos", offline[0]["id"].as_str().expect("id")),
            "member",
        )
        .await,
    )
    .await;
    assert_eq!(photos, json!([]), "its photo was sent once, then deleted");

    // Every responder action is in the audit log the admin reads.
    let log = json(call(Method::GET, "/api/v1/audit-log?limit=200".to_owned(), "admin").await).await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for what in ["verify", "request_observers", "observer_accept", "observer_arrived"] {
        assert!(actions.contains(&what), "{what} in the audit log: {actions:?}");
    }
    let refused = call(Method::GET, "/api/v1/audit-log".to_owned(), "member").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
