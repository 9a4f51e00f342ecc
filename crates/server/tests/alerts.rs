//! Alert channels against real peers on loopback: an SMTP server (Python's aiosmtpd, see
//! `support/smtp_sink.py`) and HTTP receivers served by axum inside the test.

use amparo_server::alerts::email::{EmailChannel, EmailSettings, SmtpTls};
use amparo_server::alerts::signature::{self, SignatureError};
use amparo_server::alerts::webhook::{WebhookChannel, WebhookPayload, WebhookSettings};
use amparo_server::alerts::{Alert, AlertKind, Channel, DeliveryError, Language, Place, Recipient, Secret};
use axum::http::StatusCode;
use std::time::Duration;
use time::macros::datetime;

fn alert() -> Alert {
    Alert {
        kind: AlertKind::EncounterStarted,
        who: "Ana María".to_owned(),
        when: datetime!(2025-03-01 14:02:10 -06:00),
        place: Some(Place::Point {
            lat: 41.857_12,
            lon: -87.656_3,
            accuracy_m: Some(25.0),
        }),
        attorney_on_line: true,
        follow_url: "https://amparo.example/follow/3f2a".to_owned(),
        message: None,
    }
}

fn recipient(language: Language, address: &str) -> Recipient {
    Recipient {
        name: Some("Luis Pérez".to_owned()),
        language,
        address: address.to_owned(),
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

// ---- email ----

#[path = "support/smtp.rs"]
mod smtp;
use smtp::SmtpSink;

fn field<'a>(message: &'a serde_json::Value, name: &str) -> &'a str {
    message[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {message}"))
}

fn assert_plain_text(message: &serde_json::Value) {
    assert_eq!(field(message, "content_type"), "text/plain");
    assert_eq!(message["is_multipart"], false);
    let raw = field(message, "raw").to_ascii_lowercase();
    assert!(!raw.contains("text/html") && !raw.contains("<html"), "{raw}");
}

#[tokio::test]
async fn email_alerts_arrive_in_the_recipients_language() {
    let sink = SmtpSink::start();
    let email = sink.channel();

    email
        .deliver(&recipient(Language::Es, "luis@example.org"), &alert())
        .await
        .expect("delivered in Spanish");
    let es = sink.message(1);
    assert_eq!(es["rcpt_tos"], serde_json::json!(["luis@example.org"]));
    assert_eq!(field(&es, "mail_from"), "alertas@amparo.example");
    assert_eq!(field(&es, "from"), "Amparo <alertas@amparo.example>");
    assert_eq!(field(&es, "to"), "Luis Pérez <luis@example.org>");
    assert_eq!(field(&es, "subject"), "Ana María está grabando un encuentro");
    let body = field(&es, "body");
    assert!(
        body.contains("Ana María empezó a grabar un encuentro a las 14:02 UTC-06:00 cerca de 41.85712, -87.65630"),
        "{body}"
    );
    assert!(body.contains("Hay un abogado en la línea."), "{body}");
    assert!(body.contains("Seguir: https://amparo.example/follow/3f2a"), "{body}");
    assert_plain_text(&es);

    let mut ended = alert();
    ended.kind = AlertKind::RecordingStopped { silent_secs: 20 };
    ended.place = Some(Place::Text {
        text: "Pilsen, Chicago".to_owned(),
    });
    email
        .deliver(&recipient(Language::En, "maria@example.org"), &ended)
        .await
        .expect("delivered in English");
    let en = sink.message(2);
    assert_eq!(en["rcpt_tos"], serde_json::json!(["maria@example.org"]));
    assert_eq!(
        field(&en, "subject"),
        "Ana María's recording stopped: the phone may have been taken"
    );
    let body = field(&en, "body");
    assert!(body.contains("near Pilsen, Chicago without being ended"), "{body}");
    assert!(body.contains("The phone may have been taken."), "{body}");
    assert!(body.contains("Follow: https://amparo.example/follow/3f2a"), "{body}");
    assert_plain_text(&en);
}

#[tokio::test]
async fn email_failures_say_whether_to_try_again() {
    let sink = SmtpSink::start();
    let email = sink.channel();
    let refused = email
        .deliver(&recipient(Language::En, "refuse@example.org"), &alert())
        .await;
    assert!(matches!(refused, Err(DeliveryError::Refused(_))), "{refused:?}");
    let bad = email
        .deliver(&recipient(Language::En, "not an address"), &alert())
        .await;
    assert!(matches!(bad, Err(DeliveryError::BadAddress(_))), "{bad:?}");

    let mut settings = EmailSettings {
        host: "127.0.0.1".to_owned(),
        port: Some(free_port()),
        tls: SmtpTls::None,
        username: String::new(),
        password: Secret::default(),
        from: "alertas@amparo.example".to_owned(),
    };
    let down = EmailChannel::new(&settings).expect("valid settings");
    let unreachable = down.deliver(&recipient(Language::En, "a@example.org"), &alert()).await;
    assert!(
        matches!(unreachable, Err(DeliveryError::Unreachable { tries: 1, .. })),
        "{unreachable:?}"
    );

    settings.host = "smtp.example.org".to_owned();
    assert!(
        EmailChannel::new(&settings).is_err(),
        "plaintext SMTP off this machine is refused"
    );
}

// ---- webhook ----

const SECRET: &str = "a-shared-secret-of-some-length";

#[path = "support/receiver.rs"]
mod receiver;
use receiver::{requests, start_receiver};

fn webhook(url: &str) -> WebhookChannel {
    WebhookChannel::new(&WebhookSettings {
        url: url.to_owned(),
        secret: Secret::new(SECRET),
    })
    .expect("valid settings")
    // Short pauses keep the test quick; the policy is the same.
    .with_retries(3, Duration::from_millis(20))
}

fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().unsigned_abs()
}

#[tokio::test]
async fn webhook_alerts_are_signed_json() {
    let (url, receiver) = start_receiver(&[StatusCode::NO_CONTENT]).await;
    let to = recipient(Language::Es, "+13125550123");
    webhook(&url).deliver(&to, &alert()).await.expect("delivered");

    let seen = requests(&receiver);
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        signature::verify_request(SECRET.as_bytes(), headers, body, now()),
        Ok(())
    );
    assert_eq!(
        signature::verify_request(b"another-secret-entirely", headers, body, now()),
        Err(SignatureError::Mismatch)
    );
    // The same request replayed six minutes later is refused.
    assert_eq!(
        signature::verify_request(SECRET.as_bytes(), headers, body, now() + 360),
        Err(SignatureError::Stale)
    );
    let mut tampered = body.to_vec();
    tampered[0] = b' ';
    assert_eq!(
        signature::verify_request(SECRET.as_bytes(), headers, &tampered, now()),
        Err(SignatureError::Mismatch)
    );

    let payload: WebhookPayload = serde_json::from_slice(body).expect("a WebhookPayload");
    assert_eq!(payload.alert, alert());
    assert_eq!(payload.recipient, to);
    assert_eq!(payload.subject, "Ana María está grabando un encuentro");
    assert!(
        payload.text.starts_with("Ana María empezó a grabar"),
        "{}",
        payload.text
    );
    let json: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(json["alert"]["kind"]["type"], "encounter_started");
    assert_eq!(json["alert"]["when"], "2025-03-01T14:02:10-06:00");
    assert_eq!(json["recipient"]["language"], "es");
}

#[tokio::test]
async fn webhook_retries_until_the_receiver_recovers() {
    let unavailable = StatusCode::SERVICE_UNAVAILABLE;
    let (url, receiver) = start_receiver(&[unavailable, unavailable, StatusCode::OK]).await;
    webhook(&url)
        .deliver(&recipient(Language::En, "+13125550123"), &alert())
        .await
        .expect("delivered on the third try");
    let seen = requests(&receiver);
    assert_eq!(seen.len(), 3);
    let ids: Vec<WebhookPayload> = seen
        .iter()
        .map(|(headers, body)| {
            assert_eq!(
                signature::verify_request(SECRET.as_bytes(), headers, body, now()),
                Ok(())
            );
            serde_json::from_slice(body).expect("a WebhookPayload")
        })
        .collect();
    assert!(ids.iter().all(|p| p.id == ids[0].id), "one delivery id on every try");
}

#[tokio::test]
async fn webhook_tries_are_bounded() {
    let (url, receiver) = start_receiver(&[StatusCode::BAD_GATEWAY]).await;
    let result = webhook(&url).deliver(&recipient(Language::En, "+1"), &alert()).await;
    match result {
        Err(DeliveryError::Unreachable { tries: 3, last }) => assert!(last.contains("502"), "{last}"),
        other => panic!("expected three failed tries, got {other:?}"),
    }
    assert_eq!(requests(&receiver).len(), 3);

    let down = format!("http://127.0.0.1:{}/sms", free_port());
    let result = webhook(&down).deliver(&recipient(Language::En, "+1"), &alert()).await;
    assert!(
        matches!(result, Err(DeliveryError::Unreachable { tries: 3, .. })),
        "{result:?}"
    );
    assert!(!result.unwrap_err().to_string().contains(SECRET));
}

#[tokio::test]
async fn webhook_refusals_are_not_retried() {
    let (url, receiver) = start_receiver(&[StatusCode::BAD_REQUEST]).await;
    let result = webhook(&url).deliver(&recipient(Language::En, "+1"), &alert()).await;
    assert!(
        matches!(&result, Err(DeliveryError::Refused(e)) if e.contains("400")),
        "{result:?}"
    );
    assert_eq!(requests(&receiver).len(), 1);
}
