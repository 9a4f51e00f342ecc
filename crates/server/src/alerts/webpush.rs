//! Alerts as Web Push notifications (RFC 8030), to every browser an account subscribed.
//!
//! Each message is encrypted to the browser's keys ([`ece`], RFC 8291) and signed for the push
//! service with the server's VAPID key ([`vapid`], RFC 8292), with `Urgency: high` and a TTL. What
//! the push service answers decides what happens next: 201/202 delivered; 404/410 the browser
//! unsubscribed, so the subscription is deleted; 413 our bug (logged); 429, 5xx and connection
//! failures are tried again a few times, with doubling pauses, then given up on. Every try has a
//! timeout, so [`WebPush::notify`] returns within about [`WebPush::worst_case`].
//!
//! Built on RustCrypto primitives rather than the `web-push` crate (see the workspace manifest).

pub mod ece;
mod subscription;
pub mod vapid;

pub use subscription::{MAX_ENDPOINT_LEN, MAX_SUBSCRIPTIONS_PER_ACCOUNT, SubscriptionError, parse_subscription};

use super::text::{self, one_line};
use super::{Alert, InvalidSettings, Language};
use amparo_core::ids::AccountId;
use amparo_store::{PushSubscription, Store, StoreError};
use p256::PublicKey;
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use vapid::VapidKey;

/// How long a push service keeps an alert for a browser that is offline: an alert about an
/// encounter still matters hours later, not days.
pub const TTL_SECS: u32 = 6 * 60 * 60;

/// The `[alerts.push]` settings. Web Push needs no account anywhere, so it is always on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushSettings {
    /// How push services can reach the operator (RFC 8292 `sub`): `mailto:` or `https:`.
    pub subject: String,
    /// Accepts subscriptions whose endpoint is plain `http://` on this machine. Only for tests
    /// against a local push service: otherwise anyone could make the server POST to it.
    pub allow_loopback_endpoints: bool,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            subject: "mailto:admin@amparo.localhost".to_owned(),
            allow_loopback_endpoints: false,
        }
    }
}

impl PushSettings {
    /// Refuses, at start-up, a subject push services could not use.
    pub fn check(&self) -> Result<(), InvalidSettings> {
        check_subject(&self.subject)
    }
}

/// What a browser receives, decrypted by the service worker: the words to show and the facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushPayload {
    pub title: String,
    pub body: String,
    /// A later notification with the same tag replaces the earlier (an encounter's end replaces
    /// its start).
    pub tag: String,
    /// Opened when the person taps the notification.
    pub url: String,
    pub language: Language,
    /// `None` for a test message.
    pub alert: Option<Alert>,
}

/// The Web Push channel. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WebPush(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    key: VapidKey,
    settings: PushSettings,
    tries: u32,
    first_pause: Duration,
    timeout: Duration,
}

/// Why one message did not get through.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// 404 or 410: the browser unsubscribed, or its subscription expired.
    #[error("the subscription is gone")]
    Gone,
    /// 413, or too big to encrypt: a bug in what we send.
    #[error("the message is too large: {0}")]
    TooLarge(String),
    /// Any other 4xx: retrying will not help.
    #[error("the push service refused the message: {0}")]
    Refused(String),
    #[error("the push service could not be reached after {tries} tries: {last}")]
    Unreachable { tries: u32, last: String },
}

impl WebPush {
    /// Four-second timeout per try, three tries, pauses of 0.25 s then 0.5 s.
    pub fn new(key: VapidKey, settings: &PushSettings) -> Result<Self, InvalidSettings> {
        settings.check()?;
        let timeout = Duration::from_secs(4);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            // An endpoint is the push service's; a redirect would send the alert elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| InvalidSettings(format!("building the HTTP client: {e}")))?;
        Ok(Self(Arc::new(Inner {
            client,
            key,
            settings: settings.clone(),
            tries: 3,
            first_pause: Duration::from_millis(250),
            timeout,
        })))
    }

    /// Changes the retry policy: `tries` in all (at least one), the first pause, then doubling.
    pub fn with_retries(self, tries: u32, first_pause: Duration) -> Self {
        let inner = &self.0;
        Self(Arc::new(Inner {
            client: inner.client.clone(),
            key: inner.key.clone(),
            settings: inner.settings.clone(),
            tries: tries.max(1),
            first_pause,
            timeout: inner.timeout,
        }))
    }

    /// The VAPID public key browsers subscribe with (base64url, uncompressed P-256 point).
    pub fn public_key(&self) -> &str {
        self.0.key.public_key()
    }

    pub fn settings(&self) -> &PushSettings {
        &self.0.settings
    }

    /// The longest one message can take, every try timing out.
    pub fn worst_case(&self) -> Duration {
        let tries = self.0.tries;
        let pauses = self
            .0
            .first_pause
            .saturating_mul(2u32.saturating_pow(tries.saturating_sub(1)));
        self.0.timeout.saturating_mul(tries).saturating_add(pauses)
    }

    /// Sends `alert` to every browser `account` subscribed, all at once, in each one's language.
    /// Deletes the subscriptions their push service says are gone. Returns how many took it.
    pub async fn notify(&self, store: &dyn Store, account: AccountId, alert: &Alert) -> Result<usize, StoreError> {
        self.to_account(store, account, |language| alert_payload(alert, language))
            .await
    }

    /// Sends a test message ("alerts reach this device") to every browser `account` subscribed.
    /// Returns how many took it, out of how many subscriptions.
    pub async fn notify_test(&self, store: &dyn Store, account: AccountId) -> Result<(usize, usize), StoreError> {
        let subscriptions = store.push_subscriptions_of(account).await?.len();
        let delivered = self.to_account(store, account, test_payload).await?;
        Ok((delivered, subscriptions))
    }

    /// Sends what `payload` writes in each browser's language to every browser `account`
    /// subscribed, all at once; deletes the gone ones. Returns how many took it.
    pub async fn to_account(
        &self,
        store: &dyn Store,
        account: AccountId,
        payload: impl Fn(Language) -> PushPayload,
    ) -> Result<usize, StoreError> {
        let subscriptions = store.push_subscriptions_of(account).await?;
        let sends = subscriptions.iter().map(|subscription| {
            let payload = payload(Language::from_tag(&subscription.language));
            async move { (subscription, self.send(subscription, &payload).await) }
        });
        let mut delivered = 0;
        for (subscription, result) in futures::future::join_all(sends).await {
            let host = host_of(&subscription.endpoint);
            match result {
                Ok(()) => delivered += 1,
                Err(PushError::Gone) => {
                    tracing::info!(%account, host, "push subscription gone: deleting it");
                    if let Err(error) = store.delete_push_subscription(account, &subscription.endpoint).await {
                        tracing::warn!(%account, %error, "could not delete a gone push subscription");
                    }
                }
                Err(error @ PushError::TooLarge(_)) => tracing::error!(%account, host, %error, "push alert not sent"),
                Err(error) => tracing::warn!(%account, host, %error, "push alert not delivered"),
            }
        }
        Ok(delivered)
    }

    /// One message to one browser, tried again while failures may pass.
    pub async fn send(&self, subscription: &PushSubscription, payload: &PushPayload) -> Result<(), PushError> {
        let endpoint =
            Url::parse(&subscription.endpoint).map_err(|e| PushError::Refused(format!("bad endpoint: {e}")))?;
        let browser_key =
            PublicKey::from_sec1_bytes(&subscription.p256dh).map_err(|_| PushError::Refused("bad p256dh".into()))?;
        let plaintext = serde_json::to_vec(payload).map_err(|e| PushError::TooLarge(e.to_string()))?;
        let body = ece::encrypt(&browser_key, &subscription.auth, &plaintext)
            .map_err(|e| PushError::TooLarge(e.to_string()))?;
        let body = bytes::Bytes::from(body);
        let mut pause = self.0.first_pause;
        let mut last = String::new();
        for attempt in 1..=self.0.tries {
            match self.post(&endpoint, body.clone()).await {
                Ok(()) => return Ok(()),
                Err(Retry::No(error)) => return Err(error),
                Err(Retry::Yes(error)) => {
                    tracing::debug!(host = host_of(&subscription.endpoint), attempt, %error, "push try failed");
                    last = error;
                }
            }
            if attempt < self.0.tries {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2);
            }
        }
        Err(PushError::Unreachable {
            tries: self.0.tries,
            last,
        })
    }

    async fn post(&self, endpoint: &Url, body: bytes::Bytes) -> Result<(), Retry> {
        let authorization = self.0.key.authorization(endpoint, &self.0.settings.subject, unix_now());
        let response = self
            .0
            .client
            .post(endpoint.clone())
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header("TTL", TTL_SECS.to_string())
            .header("Urgency", "high")
            .header(reqwest::header::AUTHORIZATION, authorization)
            .body(body)
            .send()
            .await;
        let status = match response {
            Ok(response) => response.status(),
            // Without the URL: the endpoint is a capability, whoever holds it can push.
            Err(e) => return Err(Retry::Yes(e.without_url().to_string())),
        };
        match status {
            StatusCode::CREATED | StatusCode::ACCEPTED | StatusCode::OK => Ok(()),
            StatusCode::NOT_FOUND | StatusCode::GONE => Err(Retry::No(PushError::Gone)),
            StatusCode::PAYLOAD_TOO_LARGE => Err(Retry::No(PushError::TooLarge(format!("HTTP {status}")))),
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT => {
                Err(Retry::Yes(format!("HTTP {s}")))
            }
            s => Err(Retry::No(PushError::Refused(format!("HTTP {s}")))),
        }
    }
}

enum Retry {
    Yes(String),
    No(PushError),
}

/// Well under the 4 KB a push message holds (services count the encryption's 103 bytes too).
pub const PAYLOAD_BUDGET: usize = 3_000;
const _: () = assert!(PAYLOAD_BUDGET < ece::MAX_PLAINTEXT);

/// The alert's words in `language`, and its facts. Whatever people typed, the JSON stays within
/// [`PAYLOAD_BUDGET`]: long text is cut, and if escaping still makes it too big, the facts are
/// left out (the words and the link are what a lock screen shows).
pub fn alert_payload(alert: &Alert, language: Language) -> PushPayload {
    let words = text::render(alert, language);
    let mut payload = PushPayload {
        title: clip(&words.subject, 240),
        body: clip(&words.body, 1_000),
        tag: clip(&alert.follow_url, 200),
        url: clip(&alert.follow_url, 500),
        language,
        alert: Some(Alert {
            who: clip(&one_line(&alert.who), 120),
            place: alert.place.clone().map(|place| match place {
                super::Place::Text { text } => super::Place::Text { text: clip(&text, 200) },
                point => point,
            }),
            follow_url: clip(&alert.follow_url, 500),
            ..alert.clone()
        }),
    };
    if serde_json::to_vec(&payload).map_or(usize::MAX, |json| json.len()) > PAYLOAD_BUDGET {
        payload.alert = None;
        payload.body = clip(&payload.body, 300);
    }
    payload
}

/// The message "Send a test alert" sends.
pub fn test_payload(language: Language) -> PushPayload {
    let (title, body) = match language {
        Language::En => (
            "Amparo alerts work on this device",
            "If someone in your household is stopped, you will be alerted here.",
        ),
        Language::Es => (
            "Las alertas de Amparo funcionan en este dispositivo",
            "Si detienen a alguien de su hogar, recibirá la alerta aquí.",
        ),
    };
    PushPayload {
        title: title.to_owned(),
        body: body.to_owned(),
        tag: "amparo-test".to_owned(),
        url: "/#settings".to_owned(),
        language,
        alert: None,
    }
}

/// At most `max` bytes of UTF-8 (an ellipsis marks a cut): the payload must stay well under the
/// 4 KB a push message holds, whatever people typed.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn check_subject(subject: &str) -> Result<(), InvalidSettings> {
    let subject = subject.trim();
    let ok = (subject.starts_with("mailto:") && subject.len() > 7 && subject.contains('@'))
        || Url::parse(subject).is_ok_and(|url| url.scheme() == "https" && url.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(InvalidSettings(
            "alerts.push.subject must be a mailto: address or an https:// URL where push services can reach \
             the operator (RFC 8292), e.g. \"mailto:ops@example.org\""
                .to_owned(),
        ))
    }
}

/// The endpoint's host, for logs: the full URL is a secret that lets anyone push to the browser.
fn host_of(endpoint: &str) -> String {
    Url::parse(endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default()
}

fn unix_now() -> u64 {
    u64::try_from(crate::clock::now_us() / 1_000_000).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{AlertKind, Place};

    fn alert(who: &str, place: &str) -> Alert {
        Alert {
            kind: AlertKind::RecordingStopped { silent_secs: 20 },
            who: who.to_owned(),
            when: time::macros::datetime!(2025-03-01 14:02 UTC),
            place: Some(Place::Text { text: place.to_owned() }),
            attorney_on_line: true,
            follow_url: "https://amparo.example/follow/abc".to_owned(),
            message: None,
        }
    }

    #[test]
    fn payloads_stay_well_under_a_push_message_whatever_people_typed() {
        for long in [
            "ñ".repeat(5_000),
            "😀".repeat(3_000),
            "\"\\".repeat(4_000),
            "a".repeat(10_000),
        ] {
            for language in [Language::En, Language::Es] {
                let payload = alert_payload(&alert(&long, &long), language);
                let bytes = serde_json::to_vec(&payload).expect("json");
                assert!(bytes.len() <= PAYLOAD_BUDGET, "{} bytes", bytes.len());
                assert!(!payload.title.is_empty(), "the words are never dropped");
                assert_eq!(payload.url, "https://amparo.example/follow/abc");
            }
        }
        let payload = alert_payload(&alert("Ana", "Pilsen"), Language::Es);
        assert_eq!(
            payload.title,
            "La grabación de Ana se detuvo: puede que le hayan quitado el teléfono"
        );
        assert_eq!(payload.url, "https://amparo.example/follow/abc");
        assert_eq!(payload.alert.expect("alert").who, "Ana");
    }

    #[test]
    fn subjects_must_reach_someone() {
        for good in ["mailto:ops@example.org", "https://example.org/contact"] {
            assert!(check_subject(good).is_ok(), "{good}");
        }
        for bad in ["", "mailto:", "ops@example.org", "http://example.org", "https://"] {
            assert!(check_subject(bad).is_err(), "{bad}");
        }
        assert!(WebPush::new(VapidKey::generate(), &PushSettings::default()).is_ok());
    }

    #[test]
    fn the_worst_case_is_bounded() {
        let push = WebPush::new(VapidKey::generate(), &PushSettings::default()).expect("push");
        assert!(push.worst_case() <= Duration::from_secs(15), "{:?}", push.worst_case());
    }
}
