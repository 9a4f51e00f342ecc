//! Emergency contacts over HTTP: the five-contact limit, prepared messages sealed at rest and
//! never shown again, bad input, and "I'm being detained" sending each contact their message
//! once, by email to a real SMTP server.

use crate::harness::{TestServer, problem};
use amparo_server::alerts::fanout::Alerts;
use amparo_server::alerts::seal::MessageKey;
use amparo_server::alerts::signature;
use amparo_server::alerts::webhook::{WebhookPayload, WebhookSettings};
use amparo_server::alerts::{AlertKind, AlertSettings, Secret};
use amparo_server::limits::Limits;
use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[path = "../support/smtp.rs"]
mod smtp;

const MESSAGE: &str = "I have been detained.\nCall Ana at 312 555 0100.\nOur children are with Rosa.";

async fn add(server: &TestServer, token: &str, body: &Value) -> reqwest::Response {
    server.post_json("/api/v1/contacts", Some(token), body).await
}

async fn list(server: &TestServer, token: &str) -> Value {
    server
        .request(Method::GET, "/api/v1/contacts", Some(token))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json")
}

/// Every byte SQLite holds on disk for this server (the database and its write-ahead log).
fn database_bytes(server: &TestServer) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["amparo.db", "amparo.db-wal"] {
        if let Ok(more) = std::fs::read(server.dir.path().join(name)) {
            bytes.extend(more);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn contacts_are_kept_with_their_message_sealed_and_never_shown_again() {
    let server = TestServer::start().await;
    let (ana, _) = server.member().await;
    let (ben, _) = server.member().await;
    let created = add(
        &server,
        &ana,
        &json!({"name": "Lucía", "email": "lucia@example.org", "phone": "+1 (312) 555-0100", "language": "es", "prepared_message": MESSAGE}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let contact: Value = created.json().await.expect("json");
    assert_eq!(contact["name"], "Lucía");
    assert_eq!(contact["phone"], "+13125550100", "stored as E.164");
    assert_eq!(contact["has_prepared_message"], true);
    assert!(contact["prepared_message_saved_at"].is_string());
    assert_eq!(
        contact["reachable_by"],
        json!([]),
        "this server has no email or SMS channel"
    );
    let text = contact.to_string();
    assert!(!text.contains("Rosa"), "the message is not shown back: {text}");
    assert!(!list(&server, &ana).await.to_string().contains("Rosa"));
    assert_eq!(list(&server, &ben).await, json!([]), "contacts are the account's own");
    let disk = database_bytes(&server);
    assert!(
        contains(&disk, "lucia@example.org"),
        "the check below reads the right files"
    );
    assert!(
        !contains(&disk, "Our children are with Rosa"),
        "the database holds ciphertext only"
    );

    // Update: leaving the message out keeps it; null removes it; text replaces it.
    let id = contact["id"].as_str().expect("id");
    let path = format!("/api/v1/contacts/{id}");
    let put = |body: Value, token: String| {
        let request = server.request(Method::PUT, &path, Some(&token)).json(&body);
        async move { request.send().await.expect("put") }
    };
    let kept: Value = put(json!({"name": "Lucía P.", "email": "lucia@example.org"}), ana.clone())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (kept["name"].as_str(), kept["has_prepared_message"].as_bool()),
        (Some("Lucía P."), Some(true))
    );
    assert_eq!(kept["phone"], Value::Null, "the fields given replace the contact's");
    let removed: Value = put(
        json!({"name": "Lucía", "email": "lucia@example.org", "prepared_message": null}),
        ana.clone(),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(removed["has_prepared_message"], false);
    assert_eq!(removed["prepared_message_saved_at"], Value::Null);
    problem(
        put(json!({"name": "Mine now", "email": "x@example.org"}), ben.clone()).await,
        404,
    )
    .await;
    problem(
        server
            .request(Method::DELETE, &path, Some(&ben))
            .send()
            .await
            .expect("delete"),
        404,
    )
    .await;
    let deleted = server
        .request(Method::DELETE, &path, Some(&ana))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(list(&server, &ana).await, json!([]));
    problem(
        server
            .request(Method::DELETE, &path, Some(&ana))
            .send()
            .await
            .expect("delete"),
        404,
    )
    .await;
    problem(
        server
            .request(Method::GET, "/api/v1/contacts", None)
            .send()
            .await
            .expect("get"),
        401,
    )
    .await;
}

#[tokio::test]
async fn five_contacts_at_most_and_bad_input_is_named() {
    let server = TestServer::start().await;
    let (ana, _) = server.member().await;
    let cases = [
        (json!({"name": "", "email": "a@example.org"}), "name"),
        (json!({"name": "x".repeat(101), "email": "a@example.org"}), "name"),
        (json!({"name": "Ana"}), ""),
        (json!({"name": "Ana", "email": "not an address"}), "email"),
        (json!({"name": "Ana", "phone": "312 555 0100"}), "phone"),
        (json!({"name": "Ana", "phone": "+0123456789"}), "phone"),
        (
            json!({"name": "Ana", "email": "a@example.org", "language": "not a language!"}),
            "language",
        ),
        (
            json!({"name": "Ana", "email": "a@example.org", "prepared_message": "   "}),
            "prepared_message",
        ),
        (
            json!({"name": "Ana", "email": "a@example.org", "prepared_message": "x".repeat(2001)}),
            "prepared_message",
        ),
        (
            json!({"name": "Ana", "email": "a@example.org", "home_address": "no"}),
            "home_address",
        ),
    ];
    for (body, field) in cases {
        let refused = problem(add(&server, &ana, &body).await, 400).await;
        if !field.is_empty() {
            assert_eq!(refused["field"], field, "{body}: {refused}");
        }
    }
    for i in 0..5 {
        let added = add(
            &server,
            &ana,
            &json!({"name": format!("c{i}"), "email": format!("c{i}@example.org")}),
        )
        .await;
        assert_eq!(added.status(), StatusCode::CREATED);
    }
    let full = problem(
        add(&server, &ana, &json!({"name": "six", "email": "six@example.org"})).await,
        409,
    )
    .await;
    assert!(
        full["detail"].as_str().is_some_and(|d| d.contains("remove one")),
        "{full}"
    );
    assert_eq!(list(&server, &ana).await.as_array().map(Vec::len), Some(5));
}

/// The organization's SMS gateway: an HTTP receiver on loopback that keeps every signed request.
async fn sms_gateway() -> (String, Arc<Mutex<Vec<(HeaderMap, Bytes)>>>) {
    let seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let keep = keep.clone();
            async move {
                keep.lock().expect("not poisoned").push((headers, body));
                StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/sms", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

const SMS_SECRET: &str = "a-shared-secret-for-the-sms-gateway";

#[tokio::test]
async fn being_detained_sends_each_contact_their_own_message_once() {
    let sink = smtp::SmtpSink::start();
    let (sms_url, texts) = sms_gateway().await;
    let settings = AlertSettings {
        email: Some(sink.settings()),
        webhook: Some(WebhookSettings {
            url: sms_url,
            secret: Secret::new(SMS_SECRET),
        }),
        public_url: Some("https://amparo.example.org".to_owned()),
        ..AlertSettings::default()
    };
    let alerts = Alerts::new(&settings, MessageKey::generate(), "http://unused").expect("settings");
    let server = TestServer::start_with_alerts(
        Limits {
            anonymous_requests_per_minute: 10_000,
            ..Limits::default()
        },
        alerts,
    )
    .await;
    let (ana, _) = server.member().await;
    let (other, _) = server.member().await;
    let lucia = json!({"name": "Lucía", "email": "lucia@example.org", "phone": "+13125550100", "language": "es", "prepared_message": MESSAGE});
    let marco = json!({"name": "Marco", "email": "marco@example.org", "prepared_message": "Marco: the spare key is with Rosa."});
    let nobody = json!({"name": "Pat", "email": "pat@example.org"});
    for contact in [&lucia, &marco, &nobody] {
        let added: Value = add(&server, &ana, contact).await.json().await.expect("json");
        let channels = if contact == &lucia {
            json!(["email", "sms"])
        } else {
            json!(["email"])
        };
        assert_eq!(added["reachable_by"], channels);
    }
    let encounter = server.start_encounter(&ana).await;
    // The start: each contact is told (three messages), without any prepared message.
    let mut started = Vec::new();
    for n in 1..=3 {
        started.push(sink.wait_for(n, Duration::from_secs(5)).await);
    }
    let mut links = Vec::new();
    for message in &started {
        let body = message["body"].as_str().expect("body");
        assert!(
            !body.contains("Rosa"),
            "a prepared message goes out only on detention: {body}"
        );
        let prefix = format!("https://amparo.example.org/#/status/{encounter}/");
        let link = body
            .lines()
            .find_map(|l| l.split_whitespace().find(|w| w.starts_with(&prefix)));
        links.push(link.unwrap_or_else(|| panic!("a status link in {body}")).to_owned());
    }
    links.sort();
    links.dedup();
    assert_eq!(links.len(), 3, "each contact has their own link");

    // A contact's link shows the state without an account; a changed link shows nothing.
    let shared = |link: &str| {
        let path = link.replace("https://amparo.example.org/#/status/", "/api/v1/shared/");
        let request = server.request(Method::GET, &path, None);
        async move { request.send().await.expect("get") }
    };
    let status: Value = shared(&links[0]).await.json().await.expect("json");
    assert_eq!(status["ended_at"], Value::Null);
    assert!(
        status["who"].is_string() && status.get("recordings").is_none(),
        "{status}"
    );
    let mut forged = links[0].clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    problem(shared(&forged).await, 404).await;
    let tag_of = |link: &str| link[link.rfind('/').expect("tag")..].to_owned();
    let swapped = format!(
        "{}{}",
        &links[0][..links[0].rfind('/').expect("tag")],
        tag_of(&links[1])
    );
    problem(shared(&swapped).await, 404).await;

    let path = format!("/api/v1/encounters/{encounter}/detained");
    problem(server.post_json(&path, Some(&other), &json!({})).await, 403).await;
    let first: Value = server
        .post_json(&path, Some(&ana), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["first_time"], true);
    assert_eq!(first["messages_sent"], 4, "three emails and Lucía's text message");
    let mut detained = Vec::new();
    for n in 4..=6 {
        detained.push(sink.wait_for(n, Duration::from_secs(5)).await);
    }
    let to = |address: &str| {
        detained
            .iter()
            .find(|m| m["rcpt_tos"] == json!([address]))
            .unwrap_or_else(|| panic!("nothing to {address}: {detained:?}"))["body"]
            .as_str()
            .expect("body")
            // SMTP carries lines ending in CRLF.
            .replace("\r\n", "\n")
    };
    let lucia_body = to("lucia@example.org");
    assert!(lucia_body.contains("Mensaje de"), "in Lucía's language: {lucia_body}");
    assert!(
        lucia_body.contains("Call Ana at 312 555 0100.\nOur children are with Rosa."),
        "{lucia_body}"
    );
    assert!(!lucia_body.contains("spare key"), "only her own message: {lucia_body}");
    assert!(to("marco@example.org").contains("Marco: the spare key is with Rosa."));
    assert!(!to("pat@example.org").contains("Rosa"), "no message prepared for Pat");

    // Lucía's phone: the gateway got a signed request with her message, in Spanish, twice in all
    // (the start, then the detention).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while texts.lock().expect("not poisoned").len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let texts = texts.lock().expect("not poisoned").clone();
    assert_eq!(texts.len(), 2, "a text at the start and one for the detention");
    let now = time::OffsetDateTime::now_utc().unix_timestamp().unsigned_abs();
    let mut detention = None;
    for (headers, body) in &texts {
        assert_eq!(
            signature::verify_request(SMS_SECRET.as_bytes(), headers, body, now),
            Ok(())
        );
        let payload: WebhookPayload = serde_json::from_slice(body).expect("a webhook payload");
        assert_eq!(payload.recipient.address, "+13125550100");
        if payload.alert.kind == AlertKind::Detained {
            detention = Some(payload);
        }
    }
    let detention = detention.expect("the detention text");
    assert!(detention.text.contains("Mensaje de"), "{}", detention.text);
    assert!(
        detention.text.contains("Our children are with Rosa."),
        "{}",
        detention.text
    );
    assert!(
        detention.alert.follow_url.contains("/#/status/"),
        "{}",
        detention.alert.follow_url
    );

    let again: Value = server
        .post_json(&path, Some(&ana), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (again["first_time"].as_bool(), again["messages_sent"].as_u64()),
        (Some(false), Some(0))
    );
    assert_eq!(again["detained_at"], first["detained_at"]);
    // Ending as a detention now only says it ended: the messages went out already.
    let ended = server
        .post_json(
            &format!("/api/v1/encounters/{encounter}/end"),
            Some(&ana),
            &json!({"outcome": "detained"}),
        )
        .await;
    assert_eq!(ended.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sink.count(),
        9,
        "three detention messages once, then three 'ended' alerts"
    );
    problem(
        server
            .post_json(
                &format!("/api/v1/encounters/{encounter}/end"),
                Some(&ana),
                &json!({"outcome": "vanished"}),
            )
            .await,
        400,
    )
    .await;

    // Deleting a contact ends their link.
    let contacts = list(&server, &ana).await;
    for contact in contacts.as_array().expect("list") {
        let id = contact["id"].as_str().expect("id");
        let path = format!("/api/v1/contacts/{id}");
        server
            .request(Method::DELETE, &path, Some(&ana))
            .send()
            .await
            .expect("delete");
    }
    problem(shared(&links[0]).await, 404).await;
}
