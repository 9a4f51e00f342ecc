//! Alerts as a signed JSON POST to an organization's URL, typically its SMS gateway.
//!
//! The body is a [`WebhookPayload`]; the request carries `Amparo-Timestamp` and
//! `Amparo-Signature` (see [`signature`](super::signature)), so the gateway can tell the alert came
//! from us and is not a replay. Failures that may pass (connection errors, timeouts, 5xx, 408,
//! 429) are retried a bounded number of times with doubling pauses; a refusal (other 4xx) is not.

use super::signature::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::text;
use super::{Alert, Channel, DeliveryError, InvalidSettings, Recipient, Secret, is_loopback};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Shorter secrets are refused: the signature is only as strong as what the gateway shares.
pub const MIN_SECRET_LEN: usize = 16;

/// An organization's endpoint, from `[alerts.webhook]` (later, per organization).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// `https://`; `http://` only to this machine.
    pub url: String,
    /// Shared with the receiver, which checks each request's signature with it.
    pub secret: Secret,
}

/// What the receiver gets: the alert's facts, and its words already in the recipient's language
/// so a gateway can send `text` as an SMS unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// The same on every try of one delivery: receivers drop repeats by it.
    pub id: uuid::Uuid,
    pub recipient: Recipient,
    pub alert: Alert,
    pub subject: String,
    pub text: String,
}

#[derive(Clone)]
pub struct WebhookChannel {
    client: reqwest::Client,
    url: Url,
    secret: Secret,
    tries: u32,
    first_pause: Duration,
}

impl WebhookChannel {
    /// Five-second timeout per try, three tries, pauses of 0.5 s then 1 s.
    pub fn new(settings: &WebhookSettings) -> Result<Self, InvalidSettings> {
        Self::for_section(settings, "alerts.webhook")
    }

    /// As [`WebhookChannel::new`], for settings from `section` (named in refusals): the
    /// rapid-response network's incident webhook is `rapid.webhook`.
    pub fn for_section(settings: &WebhookSettings, section: &str) -> Result<Self, InvalidSettings> {
        let url =
            Url::parse(settings.url.trim()).map_err(|e| InvalidSettings(format!("{section}.url is not a URL: {e}")))?;
        let secure = url.scheme() == "https" || (url.scheme() == "http" && url.host_str().is_some_and(is_loopback));
        if !secure {
            return Err(InvalidSettings(format!(
                "{section}.url must be https:// (http:// only to this machine): alerts say what happened and where"
            )));
        }
        if settings.secret.expose().len() < MIN_SECRET_LEN {
            return Err(InvalidSettings(format!(
                "{section}.secret must be at least {MIN_SECRET_LEN} characters (e.g. openssl rand -hex 32)"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            // A redirect would carry a signed alert somewhere the operator never named.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| InvalidSettings(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            client,
            url,
            secret: settings.secret.clone(),
            tries: 3,
            first_pause: Duration::from_millis(500),
        })
    }

    /// Changes the retry policy: `tries` in all (at least one), the first pause, then doubling.
    pub fn with_retries(mut self, tries: u32, first_pause: Duration) -> Self {
        self.tries = tries.max(1);
        self.first_pause = first_pause;
        self
    }

    /// One signed POST. On failure: what went wrong, and whether trying again may help.
    async fn post(&self, body: &bytes::Bytes) -> Result<(), (String, bool)> {
        let timestamp = unix_now();
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                SIGNATURE_HEADER,
                signature::sign(self.secret.expose().as_bytes(), timestamp, body),
            )
            .body(body.clone())
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err((format!("HTTP {}", r.status()), is_retryable(r.status()))),
            // Without the URL: some gateways put an API key in it.
            Err(e) => Err((e.without_url().to_string(), true)),
        }
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS
}

fn unix_now() -> u64 {
    u64::try_from(crate::clock::now_us() / 1_000_000).unwrap_or(0)
}

#[async_trait::async_trait]
impl Channel for WebhookChannel {
    async fn deliver(&self, recipient: &Recipient, alert: &Alert) -> Result<(), DeliveryError> {
        let words = text::render(alert, recipient.language);
        let payload = WebhookPayload {
            id: uuid::Uuid::new_v4(),
            recipient: recipient.clone(),
            alert: alert.clone(),
            subject: words.subject,
            text: words.body,
        };
        let body = serde_json::to_vec(&payload)
            .map_err(|e| DeliveryError::Refused(format!("the alert could not be encoded: {e}")))?;
        self.send(bytes::Bytes::from(body)).await
    }
}

impl WebhookChannel {
    /// POSTs `body` (JSON), signed, trying again as the policy says. Every try sends the same
    /// bytes, so whatever id the body carries lets the receiver drop repeats.
    pub async fn send(&self, body: bytes::Bytes) -> Result<(), DeliveryError> {
        let mut pause = self.first_pause;
        let mut last = String::new();
        for attempt in 1..=self.tries {
            match self.post(&body).await {
                Ok(()) => return Ok(()),
                Err((error, false)) => return Err(DeliveryError::Refused(error)),
                Err((error, true)) => {
                    let host = self.url.host_str().unwrap_or_default();
                    tracing::warn!(host, attempt, error = %error, "webhook alert not delivered");
                    last = error;
                }
            }
            if attempt < self.tries {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2);
            }
        }
        Err(DeliveryError::Unreachable {
            tries: self.tries,
            last,
        })
    }
}

/// The URL without its query, which may hold the gateway's key.
fn shown(url: &str) -> &str {
    url.split_once('?').map_or(url, |(before, _)| before)
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &shown(&self.url))
            .field("secret", &self.secret)
            .finish()
    }
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("url", &shown(self.url.as_str()))
            .field("tries", &self.tries)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, secret: &str) -> WebhookSettings {
        WebhookSettings {
            url: url.to_owned(),
            secret: Secret::new(secret),
        }
    }

    #[test]
    fn only_https_or_this_machine() {
        let secret = "0123456789abcdef";
        assert!(WebhookChannel::new(&settings("https://sms.example.org/hook", secret)).is_ok());
        assert!(WebhookChannel::new(&settings("http://127.0.0.1:9/hook", secret)).is_ok());
        assert!(WebhookChannel::new(&settings("http://[::1]:9/hook", secret)).is_ok());
        assert!(WebhookChannel::new(&settings("http://sms.example.org/hook", secret)).is_err());
        assert!(WebhookChannel::new(&settings("ftp://127.0.0.1/hook", secret)).is_err());
        assert!(WebhookChannel::new(&settings("not a url", secret)).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(WebhookChannel::new(&settings("https://sms.example.org/", "short")).is_err());
    }

    #[test]
    fn debug_shows_neither_secret_nor_query() {
        let s = settings(
            "https://sms.example.org/hook?key=gateway-key",
            "0123456789abcdef-secret",
        );
        let shown = format!("{:?} {s:?}", WebhookChannel::new(&s));
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(!shown.contains("gateway-key"), "{shown}");
    }
}
