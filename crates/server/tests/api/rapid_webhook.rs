//! The network's incident webhook (`[rapid.webhook]`) against a real HTTP receiver on loopback:
//! each verified, updated and withdrawn incident arrives once, signed, retried with the same id
//! after a failure, with its facts and words in English and Spanish, and nobody's identity.

use crate::harness::{TestServer, test_services};
use crate::receiver::{Receiver, requests, start_receiver};
use amparo_core::roles::Role;
use amparo_server::alerts::Secret;
use amparo_server::alerts::signature::{self, SignatureError};
use amparo_server::alerts::webhook::{WebhookChannel, WebhookSettings};
use amparo_server::limits::Limits;
use amparo_server::state::Services;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const SECRET: &str = "the-networks-own-secret-0123";
const PILSEN: (f64, f64) = (41.85712, -87.6563);

/// Waits until `n` requests arrived (deliveries run on tasks of their own), then a moment
/// more to catch any extra one, and returns them all.
async fn wait_for(receiver: &Receiver, n: usize) -> Vec<(HeaderMap, Bytes)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while requests(receiver).len() < n && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    requests(receiver)
}

fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().unsigned_abs()
}

fn checked(request: &(HeaderMap, Bytes)) -> Value {
    let (headers, body) = request;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        signature::verify_request(SECRET.as_bytes(), headers, body, now()),
        Ok(())
    );
    assert_eq!(
        signature::verify_request(b"the-household-webhook-secret", headers, body, now()),
        Err(SignatureError::Mismatch)
    );
    serde_json::from_slice(body).expect("JSON")
}

#[tokio::test]
async fn incidents_reach_the_network_webhook_once_signed_and_without_identities() {
    let unavailable = StatusCode::SERVICE_UNAVAILABLE;
    let (url, receiver) = start_receiver(&[unavailable, StatusCode::NO_CONTENT]).await;
    let channel = WebhookChannel::for_section(
        &WebhookSettings {
            url,
            secret: Secret::new(SECRET),
        },
        "rapid.webhook",
    )
    .expect("valid settings")
    .with_retries(3, Duration::from_millis(20));
    let services = Services {
        rapid_webhook: Some(channel),
        ..test_services()
    };
    let limits = Limits {
        reports_per_hour: 1_000,
        reports_per_hour_per_address: 1_000,
        ..Limits::default()
    };
    let server = TestServer::start_with_services(limits, services).await;
    let (reporter, reporter_id) = server.member().await;
    let (responder, responder_id) = server.with_role(Role::Responder).await;
    let (watcher, watcher_id) = server.member().await;
    let area = json!({"label": "home", "circle": {"latitude": PILSEN.0, "longitude": PILSEN.1, "radius_m": 1000}});
    assert_eq!(
        server
            .post_json("/api/v1/watch-areas", Some(&watcher), &area)
            .await
            .status(),
        StatusCode::CREATED
    );
    let report = json!({
        "kind": "raid_workplace",
        "place": {"latitude": PILSEN.0, "longitude": PILSEN.1},
        "description": "Agents at the bakery on 18th Street",
    });
    let made: Value = server
        .post_json("/api/v1/reports", Some(&reporter), &report)
        .await
        .json()
        .await
        .expect("report");
    assert!(
        wait_for(&receiver, 1).await.is_empty(),
        "an unverified report is not sent"
    );

    let verified = server
        .post_json(
            &format!("/api/v1/reports/{}/verify", made["id"].as_str().expect("id")),
            Some(&responder),
            &json!({"how": "in_person", "description": "Agents at a workplace on 18th Street, confirmed on site"}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let incident: Value = verified.json().await.expect("incident");
    let id = incident["id"].as_str().expect("id").to_owned();

    // The first try met a 503; the second got through with the same delivery id.
    let seen = wait_for(&receiver, 2).await;
    assert_eq!(seen.len(), 2, "one delivery, tried twice");
    let (first, second) = (checked(&seen[0]), checked(&seen[1]));
    assert_eq!(first, second, "the same body on every try");
    assert_eq!(second["event"], "verified");
    let facts = &second["incident"];
    assert_eq!(facts["id"], id.as_str());
    assert_eq!(facts["kind"], "raid_workplace");
    assert_eq!(facts["verified_how"], "in_person");
    assert_eq!(facts["place"]["cell"], incident["place"]["cell"]);
    assert!(facts["place"]["latitude"].is_f64() && facts["place"]["longitude"].is_f64());
    assert!(facts["verified_at"].is_string());
    assert_eq!(
        facts["description"],
        "Agents at a workplace on 18th Street, confirmed on site"
    );
    assert!(
        second["text"]["en"]["title"]
            .as_str()
            .expect("en")
            .starts_with("Verified nearby"),
        "{second}"
    );
    assert!(
        second["text"]["es"]["body"]
            .as_str()
            .expect("es")
            .contains("verificado en persona"),
        "{second}"
    );
    let raw = String::from_utf8_lossy(&seen[1].1).to_string();
    for (who, account) in [
        ("reporter", &reporter_id),
        ("responder", &responder_id),
        ("subscriber", &watcher_id),
    ] {
        assert!(
            !raw.contains(account.as_str()),
            "the {who}'s account is in the webhook: {raw}"
        );
    }
    assert!(facts.get("verified_by").is_none());

    let change = |withdrawn: bool, note: &str| {
        server
            .request(Method::PATCH, &format!("/api/v1/incidents/{id}"), Some(&responder))
            .json(&json!({"note": note, "withdrawn": withdrawn}))
            .send()
    };
    assert_eq!(
        change(false, "Moved to the corner").await.expect("update").status(),
        StatusCode::OK
    );
    let seen = wait_for(&receiver, 3).await;
    assert_eq!(seen.len(), 3, "an update is sent once");
    let updated = checked(&seen[2]);
    assert_eq!(updated["event"], "updated");
    assert_eq!(updated["incident"]["note"], "Moved to the corner");
    assert_ne!(updated["id"], second["id"], "a new delivery, a new id");

    assert_eq!(
        change(true, "They left").await.expect("withdraw").status(),
        StatusCode::OK
    );
    let seen = wait_for(&receiver, 4).await;
    assert_eq!(seen.len(), 4, "a withdrawal is sent once");
    let withdrawn = checked(&seen[3]);
    assert_eq!(withdrawn["event"], "withdrawn");
    assert!(withdrawn["incident"]["withdrawn_at"].is_string());
    assert!(
        withdrawn["text"]["es"]["title"]
            .as_str()
            .expect("es")
            .starts_with("Retirado")
    );
}

#[test]
fn the_network_webhook_refuses_settings_it_cannot_use() {
    let settings = |url: &str, secret: &str| WebhookSettings {
        url: url.to_owned(),
        secret: Secret::new(secret),
    };
    let plain = WebhookChannel::for_section(&settings("http://alerts.example.org/x", SECRET), "rapid.webhook");
    assert!(
        plain
            .expect_err("plaintext off this machine")
            .to_string()
            .contains("rapid.webhook.url")
    );
    let short = WebhookChannel::for_section(&settings("https://alerts.example.org/x", "short"), "rapid.webhook");
    assert!(
        short
            .expect_err("short secret")
            .to_string()
            .contains("rapid.webhook.secret")
    );
}
