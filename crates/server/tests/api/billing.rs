//! The billing webhook over HTTP: off unless configured, signed requests only, each event applied
//! once, stale and forged signatures refused, bad events explained, strangers rate-limited.

use crate::harness::{TestServer, problem};
use amparo_core::roles::Role;
use amparo_server::alerts::Secret;
use amparo_server::alerts::signature::sign;
use amparo_server::limits::Limits;
use amparo_server::plans::PlanSettings;
use amparo_server::routes::billing::BillingSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

const SECRET: &str = "billing-secret-0123456789abcdef";
const PATH: &str = "/api/v1/billing/events";

async fn server(requests_per_minute: u32) -> TestServer {
    let billing = BillingSettings {
        webhook_secret: Secret::new(SECRET),
        requests_per_minute,
    };
    let limits = Limits {
        anonymous_requests_per_minute: 10_000,
        ..Limits::default()
    };
    TestServer::start_with_plans(limits, PlanSettings::default(), billing).await
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

/// POSTs `body` signed at `timestamp` with `secret`.
async fn deliver(server: &TestServer, body: &[u8], timestamp: u64, secret: &str) -> reqwest::Response {
    server
        .request(Method::POST, PATH, None)
        .header("content-type", "application/json")
        .header("Amparo-Timestamp", timestamp.to_string())
        .header("Amparo-Signature", sign(secret.as_bytes(), timestamp, body))
        .body(body.to_vec())
        .send()
        .await
        .expect("send")
}

async fn signed(server: &TestServer, event: &Value) -> reqwest::Response {
    deliver(server, event.to_string().as_bytes(), now(), SECRET).await
}

async fn applied(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
    response.json().await.expect("json")
}

fn event_id() -> String {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn the_webhook_is_off_until_a_secret_is_set() {
    let server = TestServer::start().await;
    let event = json!({"id": "evt_1", "type": "household.period", "household_id": uuid::Uuid::new_v4().to_string(),
                       "period": {"starts_at": "2025-01-01T00:00:00Z"}});
    let off = problem(signed(&server, &event).await, 404).await;
    assert!(
        off["detail"].as_str().is_some_and(|d| d.contains("webhook_secret")),
        "{off}"
    );
}

#[tokio::test]
async fn events_set_plans_once_each() {
    let server = server(1_000).await;
    let (owner, _) = server.member().await;
    let household: Value = server
        .request(Method::POST, "/api/v1/households", Some(&owner))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = event_id();
    let event = json!({"id": id, "type": "household.period", "household_id": household["id"],
                       "period": {"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2099-02-01T00:00:00Z", "grace_days": 14}});
    let first = applied(signed(&server, &event).await).await;
    assert_eq!((&first["event_id"], &first["result"]), (&json!(id), &json!("applied")));
    assert_eq!(first["ends_at"], "2099-02-01T00:00:00Z");
    let read: Value = server
        .request(Method::GET, "/api/v1/households/current", Some(&owner))
        .send()
        .await
        .expect("current")
        .json()
        .await
        .expect("json");
    assert_eq!(read["period"]["grace_days"], 14);

    // The same id again, even with other contents: nothing changes.
    let mut replay = event.clone();
    replay["period"]["grace_days"] = json!(0);
    let again = applied(signed(&server, &replay).await).await;
    assert_eq!(again["result"], "already applied");

    // An organization's pool shrunk below its seats in use: accepted, the over-allocation reported.
    let (admin, admin_id) = server.member().await;
    server
        .store
        .grant_role(admin_id.parse().expect("id"), Role::Admin)
        .await
        .expect("admin");
    let org: Value = server
        .post_json(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "Union Local 7", "seats": 5}),
        )
        .await
        .json()
        .await
        .expect("org");
    let member_id = server.member().await.1;
    let seated = server.store.assign_seat(
        org["id"].as_str().expect("id").parse().expect("org id"),
        member_id.parse().expect("id"),
        0,
    );
    assert!(seated.await.expect("assign").is_ok());
    let shrink = json!({"id": event_id(), "type": "organization.plan", "organization_id": org["id"], "seats": 0,
                        "period": {"starts_at": "2025-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}});
    let report = applied(signed(&server, &shrink).await).await;
    assert_eq!(
        report["seats"],
        json!({"total": 0, "used": 1, "free": 0, "over_allocated": 1})
    );

    // An unknown target is refused, and the same event can be sent again later.
    let unknown = json!({"id": event_id(), "type": "organization.plan", "organization_id": uuid::Uuid::new_v4().to_string(), "seats": 3,
                         "period": {"starts_at": "2025-01-01T00:00:00Z"}});
    problem(signed(&server, &unknown).await, 404).await;
    problem(signed(&server, &unknown).await, 404).await;
}

#[tokio::test]
async fn only_fresh_signatures_with_the_secret_are_accepted() {
    let server = server(1_000).await;
    let body =
        json!({"id": event_id(), "type": "organization.plan", "organization_id": uuid::Uuid::new_v4().to_string(),
                      "seats": 1, "period": {"starts_at": "2025-01-01T00:00:00Z"}})
        .to_string();
    let bytes = body.as_bytes();
    let stale = problem(deliver(&server, bytes, now() - 301, SECRET).await, 401).await;
    assert!(
        stale["detail"].as_str().is_some_and(|d| d.contains("300 seconds")),
        "{stale}"
    );
    problem(deliver(&server, bytes, now() + 301, SECRET).await, 401).await;
    problem(deliver(&server, bytes, now(), "another-secret-0123456789").await, 401).await;
    let unsigned = server
        .request(Method::POST, PATH, None)
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    problem(unsigned, 401).await;
    let forged = server
        .request(Method::POST, PATH, None)
        .header("Amparo-Timestamp", now().to_string())
        .header("Amparo-Signature", "v1=00")
        .body(body.clone())
        .send()
        .await
        .expect("send");
    problem(forged, 401).await;
    // Signed at the edge of the window, it gets as far as the (unknown) organization.
    problem(deliver(&server, bytes, now() - 290, SECRET).await, 404).await;
}

#[tokio::test]
async fn bad_events_are_explained_and_nothing_panics() {
    let server = server(1_000).await;
    let org = uuid::Uuid::new_v4().to_string();
    let period = json!({"starts_at": "2025-01-01T00:00:00Z"});
    for (event, field) in [
        (
            json!({"id": "", "type": "household.period", "household_id": org, "period": period}),
            "id",
        ),
        (
            json!({"id": "has space", "type": "household.period", "household_id": org, "period": period}),
            "id",
        ),
        (
            json!({"id": "x".repeat(201), "type": "household.period", "household_id": org, "period": period}),
            "id",
        ),
        (json!({"id": "e1", "type": "refund", "period": period}), "type"),
        (
            json!({"id": "e1", "type": "household.period", "period": period}),
            "household_id",
        ),
        (
            json!({"id": "e1", "type": "household.period", "household_id": "nope", "period": period}),
            "household_id",
        ),
        (
            json!({"id": "e1", "type": "organization.plan", "organization_id": org, "period": period}),
            "seats",
        ),
        (
            json!({"id": "e1", "type": "organization.plan", "organization_id": org, "seats": 2_000_000, "period": period}),
            "seats",
        ),
        (
            json!({"id": "e1", "type": "organization.plan", "organization_id": org, "seats": 1, "period": {"starts_at": "soon"}}),
            "starts_at",
        ),
        (
            json!({"id": "e1", "type": "organization.plan", "organization_id": org, "seats": 1}),
            "period",
        ),
        (
            json!({"id": "e1", "type": "organization.plan", "organization_id": org, "seats": 1, "period": period, "x": 1}),
            "x",
        ),
    ] {
        let body = problem(signed(&server, &event).await, 400).await;
        assert_eq!(body["field"], field, "{event} -> {body}");
    }
    for junk in [&b"not json"[..], b"", b"[]", b"\xff\xfe", b"{\"id\": 1}"] {
        problem(deliver(&server, junk, now(), SECRET).await, 400).await;
    }
    let huge = vec![b' '; 100 * 1024];
    problem(deliver(&server, &huge, now(), SECRET).await, 413).await;
}

#[tokio::test]
async fn strangers_are_rate_limited_before_any_signature_work() {
    let server = server(3).await;
    for _ in 0..3 {
        problem(deliver(&server, b"{}", now(), "wrong-secret-0123456789").await, 401).await;
    }
    let limited = deliver(&server, b"{}", now(), SECRET).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429).await;
}
