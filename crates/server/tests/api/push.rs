//! Web Push over HTTP: the key, subscribing and unsubscribing (own only, capped, hostile input),
//! and delivery to a push service on loopback that answers as real ones do: accepted, gone, too
//! large, failing. (Decryption by a real browser is `crates/amparo/tests/push.rs`.)

use crate::harness::{TestServer, problem, test_web_push};
use amparo_core::ids::AccountId;
use amparo_server::alerts::webpush::MAX_SUBSCRIPTIONS_PER_ACCOUNT;
use amparo_server::alerts::{Alert, AlertKind};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A browser's `PushSubscription.toJSON()` for `endpoint`, with real keys.
pub(crate) fn browser_subscription(endpoint: &str) -> Value {
    let key = p256::SecretKey::random(&mut rand::rngs::OsRng).public_key();
    json!({
        "endpoint": endpoint,
        "expirationTime": null,
        "keys": {
            "p256dh": URL_SAFE_NO_PAD.encode(key.to_encoded_point(false).as_bytes()),
            "auth": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
        },
    })
}

pub(crate) async fn subscribe(server: &TestServer, token: &str, body: &Value) -> reqwest::Response {
    server.post_json("/api/v1/push/subscriptions", Some(token), body).await
}

async fn unsubscribe(server: &TestServer, token: &str, endpoint: &str) -> reqwest::Response {
    server
        .request(Method::DELETE, "/api/v1/push/subscriptions", Some(token))
        .json(&json!({ "endpoint": endpoint }))
        .send()
        .await
        .expect("delete")
}

fn account(id: &str) -> AccountId {
    id.parse().expect("account id")
}

/// How many browsers the account has subscribed, as stored.
async fn devices(server: &TestServer, id: &str) -> usize {
    server
        .store
        .push_subscriptions_of(account(id))
        .await
        .expect("list")
        .len()
}

#[tokio::test]
async fn the_key_is_a_p256_point_for_anyone() {
    let server = TestServer::start().await;
    let response = server
        .request(Method::GET, "/api/v1/push/key", None)
        .send()
        .await
        .expect("key");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let point = URL_SAFE_NO_PAD
        .decode(body["public_key"].as_str().expect("public_key"))
        .expect("base64url");
    assert!(p256::PublicKey::from_sec1_bytes(&point).is_ok() && point.len() == 65 && point[0] == 4);
}

#[tokio::test]
async fn subscribing_again_replaces_and_only_the_owner_unsubscribes() {
    let server = TestServer::start().await;
    let (ana, ana_id) = server.member().await;
    let (ben, ben_id) = server.member().await;
    let endpoint = "https://push.example.org/wpush/v2/abc";
    let mut body = browser_subscription(endpoint);
    body["language"] = json!("es-MX");
    let response = subscribe(&server, &ana, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let view: Value = response.json().await.expect("json");
    assert_eq!(view["language"], "es");
    assert_eq!(view["endpoint"], endpoint);
    // The same browser again: still one subscription, with the new keys.
    let again = browser_subscription(endpoint);
    assert_eq!(subscribe(&server, &ana, &again).await.status(), StatusCode::CREATED);
    let stored = server
        .store
        .push_subscriptions_of(account(&ana_id))
        .await
        .expect("list");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].language, "en", "no language: English");
    assert_eq!(
        URL_SAFE_NO_PAD.encode(stored[0].p256dh),
        again["keys"]["p256dh"].as_str().expect("p256dh")
    );

    let not_yours = problem(unsubscribe(&server, &ben, endpoint).await, 404).await;
    assert!(not_yours["detail"].as_str().expect("detail").contains("not subscribed"));
    assert_eq!(devices(&server, &ana_id).await, 1);
    assert_eq!(
        unsubscribe(&server, &ana, endpoint).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(unsubscribe(&server, &ana, endpoint).await, 404).await;

    // A browser signed in to another account moves with it.
    assert_eq!(subscribe(&server, &ana, &body).await.status(), StatusCode::CREATED);
    assert_eq!(subscribe(&server, &ben, &body).await.status(), StatusCode::CREATED);
    assert!(
        server
            .store
            .push_subscriptions_of(account(&ana_id))
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(devices(&server, &ben_id).await, 1);
}

#[tokio::test]
async fn hostile_subscriptions_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let (token, id) = server.member().await;
    let good = browser_subscription("https://push.example.org/wpush/1");
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let mut at = &mut body;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let cases = [
        (
            with(&["endpoint"], json!("http://push.example.org/wpush/1")),
            "endpoint",
        ),
        (with(&["endpoint"], json!("https://10.1.2.3/wpush/1")), "endpoint"),
        (with(&["endpoint"], json!("javascript:alert(1)")), "endpoint"),
        (
            with(
                &["endpoint"],
                json!(format!("https://push.example.org/{}", "a".repeat(2_000))),
            ),
            "endpoint",
        ),
        (
            with(&["keys", "p256dh"], json!(URL_SAFE_NO_PAD.encode([4u8; 65]))),
            "keys.p256dh",
        ),
        (with(&["keys", "p256dh"], json!("not base64 at all!")), "keys.p256dh"),
        (
            with(&["keys", "auth"], json!(URL_SAFE_NO_PAD.encode([1u8; 32]))),
            "keys.auth",
        ),
        (with(&["language"], json!("<script>")), "language"),
        (with(&["extra"], json!(1)), "extra"),
        (json!({ "endpoint": "https://push.example.org/x" }), "keys"),
    ];
    for (body, field) in cases {
        let refused = problem(subscribe(&server, &token, &body).await, 400).await;
        assert_eq!(refused["field"], field, "{body} -> {refused}");
    }
    problem(subscribe(&server, "not-a-token", &good).await, 401).await;
    let not_json = server
        .request(Method::POST, "/api/v1/push/subscriptions", Some(&token))
        .body("endpoint=x")
        .send()
        .await
        .expect("post");
    problem(not_json, 415).await;
    assert!(
        server
            .store
            .push_subscriptions_of(account(&id))
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn an_account_has_at_most_ten_devices() {
    let server = TestServer::start().await;
    let (token, _) = server.member().await;
    for i in 0..MAX_SUBSCRIPTIONS_PER_ACCOUNT {
        let body = browser_subscription(&format!("https://push.example.org/wpush/{i}"));
        assert_eq!(subscribe(&server, &token, &body).await.status(), StatusCode::CREATED);
    }
    let over = browser_subscription("https://push.example.org/wpush/over");
    let refused = problem(subscribe(&server, &token, &over).await, 409).await;
    assert!(
        refused["detail"]
            .as_str()
            .expect("detail")
            .contains("Alerts on this device")
    );
    let renewed = browser_subscription("https://push.example.org/wpush/3");
    assert_eq!(subscribe(&server, &token, &renewed).await.status(), StatusCode::CREATED);
}

/// A push service on loopback: records each request and answers with the next queued status
/// (201 when none is queued).
#[derive(Clone, Default)]
pub(crate) struct PushPeer {
    seen: Arc<Mutex<Vec<(String, HeaderMap, usize)>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl PushPeer {
    pub(crate) async fn start() -> (Self, String) {
        let peer = Self::default();
        let state = peer.clone();
        let app = axum::Router::new().route(
            "/wpush/{token}",
            axum::routing::post(
                move |axum::extract::Path(token): axum::extract::Path<String>,
                      headers: HeaderMap,
                      body: bytes::Bytes| {
                    let state = state.clone();
                    async move {
                        state.seen.lock().expect("lock").push((token, headers, body.len()));
                        let status = state.answers.lock().expect("lock").pop_front().unwrap_or(201);
                        AxumStatus::from_u16(status).expect("status")
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (peer, base)
    }

    fn answer(&self, statuses: &[u16]) {
        self.answers.lock().expect("lock").extend(statuses);
    }

    pub(crate) fn tries(&self, token: &str) -> usize {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|(t, _, _)| t == token)
            .count()
    }
}

fn alert() -> Alert {
    Alert {
        kind: AlertKind::EncounterStarted,
        who: "Ana".into(),
        when: time::OffsetDateTime::now_utc(),
        place: None,
        attorney_on_line: false,
        follow_url: "https://amparo.example/#/follow/1".into(),
        message: None,
    }
}

#[tokio::test]
async fn delivery_prunes_gone_subscriptions_and_retries_failures() {
    let server = TestServer::start().await;
    let (peer, base) = PushPeer::start().await;
    let (token, id) = server.member().await;
    for name in ["ok", "gone", "expired", "failing", "huge", "flaky"] {
        let body = browser_subscription(&format!("{base}/wpush/{name}"));
        assert_eq!(subscribe(&server, &token, &body).await.status(), StatusCode::CREATED);
    }
    let push = test_web_push();
    let answers: &[(&str, &[u16])] = &[
        ("ok", &[201]),
        ("gone", &[410]),
        ("expired", &[404]),
        ("failing", &[503, 503, 503]),
        ("huge", &[413]),
        ("flaky", &[429, 202]),
    ];
    let mut delivered = 0;
    for (name, statuses) in answers {
        // One subscription at a time, so the queued answers are this one's.
        let only = server
            .store
            .push_subscriptions_of(account(&id))
            .await
            .expect("list")
            .into_iter()
            .find(|s| s.endpoint.ends_with(&format!("/wpush/{name}")))
            .expect("subscription");
        peer.answer(statuses);
        let payload = amparo_server::alerts::webpush::alert_payload(&alert(), amparo_server::alerts::Language::En);
        if push.send(&only, &payload).await.is_ok() {
            delivered += 1;
        }
        assert_eq!(peer.tries(name), statuses.len(), "{name}: tries");
    }
    assert_eq!(delivered, 2, "201 and 429-then-202");

    // notify: every subscription at once. `send` alone deletes nothing; notify deletes what its
    // push service says is gone (here whichever arrives first) and keeps the others.
    assert_eq!(devices(&server, &id).await, 6);
    peer.answer(&[410]);
    let sent = push
        .notify(&*server.store, account(&id), &alert())
        .await
        .expect("notify");
    assert_eq!(sent, 5, "one of six answered 410");
    assert_eq!(devices(&server, &id).await, 5);

    // What a push service sees: VAPID for its own origin, with the port; encrypted; urgent.
    let seen = peer.seen.lock().expect("lock").clone();
    let (_, headers, size) = seen.last().expect("a request");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert_eq!(headers["urgency"], "high");
    assert!(headers["ttl"].to_str().expect("ttl").parse::<u32>().expect("number") > 0);
    assert!(*size > 86 && *size <= 4096, "{size} bytes");
    let authorization = headers["authorization"].to_str().expect("ascii");
    let jwt = authorization.strip_prefix("vapid t=").expect("vapid scheme");
    let claims = jwt.split('.').nth(1).expect("claims");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("b64")).expect("json");
    assert_eq!(claims["aud"], base.as_str());
    assert!(authorization.ends_with(&format!(", k={}", push.public_key())));
}

#[tokio::test]
async fn the_test_alert_goes_to_my_devices_only_and_is_rate_limited() {
    let server = TestServer::start().await;
    let (peer, base) = PushPeer::start().await;
    let (ana, _) = server.member().await;
    let (ben, _) = server.member().await;
    let refused = problem(server.post_json("/api/v1/push/test", Some(&ana), &json!({})).await, 404).await;
    assert!(refused["detail"].as_str().expect("detail").contains("Settings"));
    let body = browser_subscription(&format!("{base}/wpush/ana"));
    assert_eq!(subscribe(&server, &ana, &body).await.status(), StatusCode::CREATED);
    let body = browser_subscription(&format!("{base}/wpush/ben"));
    assert_eq!(subscribe(&server, &ben, &body).await.status(), StatusCode::CREATED);

    let sent = server.post_json("/api/v1/push/test", Some(&ana), &json!({})).await;
    assert_eq!(sent.status(), StatusCode::OK);
    let sent: Value = sent.json().await.expect("json");
    assert_eq!(sent, json!({ "delivered": 1, "devices": 1 }));
    assert_eq!((peer.tries("ana"), peer.tries("ben")), (1, 0));

    let mut limited = false;
    for _ in 0..5 {
        let response = server.post_json("/api/v1/push/test", Some(&ana), &json!({})).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "test alerts are rate-limited");
    problem(server.post_json("/api/v1/push/test", None, &json!({})).await, 401).await;
}
