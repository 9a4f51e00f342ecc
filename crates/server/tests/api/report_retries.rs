//! Sending a report or a photo again (issue 6): the app queues what it made offline and sends
//! it when the connection returns, with an id it chose, so a retry after a lost answer finds
//! what the first send stored and never makes a second (nor uses up the report allowance).

use crate::harness::{TestServer, problem};
use crate::photos::{list, phone_jpeg};
use amparo_server::limits::Limits;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PILSEN: (f64, f64) = (41.85712, -87.6563);

fn body(id: &str) -> Value {
    json!({
        "id": id,
        "kind": "checkpoint",
        "place": {"latitude": PILSEN.0, "longitude": PILSEN.1},
        "description": "Checkpoint on Cermak, made while offline",
    })
}

#[tokio::test]
async fn a_report_sent_twice_is_stored_once() {
    // One report an hour: the retry must not count.
    let server = TestServer::start_with(Limits {
        reports_per_hour: 1,
        ..Limits::default()
    })
    .await;
    let (reporter, _) = server.member().await;
    let (other, _) = server.member().await;
    let id = uuid::Uuid::new_v4().to_string();
    let mut answer = body(&id);
    let five_minutes_ago = amparo_server::clock::now_us() - 5 * 60_000_000;
    answer["observed_at"] = json!(amparo_server::clock::rfc3339(five_minutes_ago));

    let first = server.post_json("/api/v1/reports", Some(&reporter), &answer).await;
    assert_eq!(first.status(), StatusCode::CREATED, "{:?}", first.text().await);
    let again = server.post_json("/api/v1/reports", Some(&reporter), &answer).await;
    assert_eq!(again.status(), StatusCode::OK, "the retry finds the stored report");
    let again: Value = again.json().await.expect("report");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(list(&server, "/api/v1/reports/mine", &reporter).await.len(), 1);

    // The same id from another account is refused, and says what to do.
    let taken = server.post_json("/api/v1/reports", Some(&other), &answer).await;
    assert!(
        problem(taken, 409).await["detail"]
            .as_str()
            .expect("detail")
            .contains("new random id")
    );
    let bad = server.post_json("/api/v1/reports", Some(&other), &body("seven")).await;
    problem(bad, 400).await;

    // A photo sent twice under one id is one photo.
    let photo_id = uuid::Uuid::new_v4();
    let send = || {
        server
            .request(
                Method::POST,
                &format!("/api/v1/reports/{id}/photos?id={photo_id}"),
                Some(&reporter),
            )
            .header("Content-Type", "image/jpeg")
            .body(phone_jpeg())
            .send()
    };
    assert_eq!(send().await.expect("photo").status(), StatusCode::CREATED);
    let again = send().await.expect("photo again");
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.expect("photo");
    assert_eq!(again["id"], photo_id.to_string());
    assert_eq!(
        list(&server, &format!("/api/v1/reports/{id}/photos"), &reporter)
            .await
            .len(),
        1
    );
    let stolen = server
        .request(
            Method::POST,
            &format!("/api/v1/reports/{id}/photos?id={photo_id}"),
            Some(&other),
        )
        .header("Content-Type", "image/jpeg")
        .body(phone_jpeg())
        .send()
        .await
        .expect("someone else's id");
    problem(stolen, 409).await;
}
