//! Alerts to family, emergency contacts and organizations, and the channels that carry them.
//!
//! - [`fanout`]: who is told, on which channel, when an encounter starts, ends, gets an attorney,
//!   goes silent, or ends in detention; the [`fanout::Alerts`] service the server holds.
//! - [`silence`]: the watch that notices a recording stopped without being ended;
//!   [`silence_shared`]: the same watch kept on every node, alerts sent by the lease holder.
//! - [`seal`]: prepared messages sealed at rest (XChaCha20-Poly1305, key outside the database).
//!
//! The channels need no database:
//! - [`email`]: plain-text mail through the operator's SMTP server;
//! - [`webhook`]: a JSON POST signed with HMAC-SHA256, for an organization's SMS gateway;
//! - [`signature`]: that signature, also what the billing system's incoming webhook is checked with;
//! - [`text`]: the words of an alert in English and Spanish;
//! - [`webpush`]: Web Push to the browsers an account subscribed (RFC 8030/8291/8292), the one
//!   channel that reads the store (its subscriptions); `vapid` the server's key and tokens, `ece`
//!   the message encryption, `subscription` what a browser's subscription must be.

pub mod email;
pub mod fanout;
pub mod seal;
pub mod signature;
pub mod silence;
pub mod silence_shared;
pub mod text;
pub mod webhook;
pub mod webpush;

pub use fanout::watch_silence;

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// The `[alerts]` settings: server-wide channels, each off unless its section is present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// The address people open the app at (`https://amparo.example.org`): follow links in
    /// alerts start with it. Unset: the address the server listens on.
    pub public_url: Option<String>,
    /// Seconds without a chunk, in an encounter that was not ended, before its people are told
    /// "the recording stopped: the phone may have been taken".
    pub silence_secs: u64,
    pub email: Option<email::EmailSettings>,
    pub webhook: Option<webhook::WebhookSettings>,
    /// Always on: Web Push needs no account with anyone.
    pub push: webpush::PushSettings,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            public_url: None,
            silence_secs: Self::DEFAULT_SILENCE_SECS,
            email: None,
            webhook: None,
            push: webpush::PushSettings::default(),
        }
    }
}

impl AlertSettings {
    pub const DEFAULT_SILENCE_SECS: u64 = 20;

    /// Refuses, at start-up, settings a channel could not work with.
    pub fn check(&self) -> Result<(), InvalidSettings> {
        if self.silence_secs < 5 {
            return Err(InvalidSettings(
                "alerts.silence_secs must be at least 5: phones on a weak network pause for a few seconds".to_owned(),
            ));
        }
        if let Some(url) = &self.public_url {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| InvalidSettings(format!("alerts.public_url is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(InvalidSettings("alerts.public_url must start with https://".to_owned()));
            }
        }
        if let Some(settings) = &self.email {
            email::EmailChannel::new(settings)?;
        }
        if let Some(settings) = &self.webhook {
            webhook::WebhookChannel::new(settings)?;
        }
        self.push.check()?;
        Ok(())
    }
}

/// Something happened in a member's encounter that the people around them should know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// The member's display name, as their household knows them.
    pub who: String,
    #[serde(with = "time::serde::rfc3339")]
    pub when: OffsetDateTime,
    /// Only as precise as the member allowed; `None` when they share no place.
    pub place: Option<Place>,
    pub attorney_on_line: bool,
    /// Where the recipient can follow the encounter live.
    pub follow_url: String,
    /// The message the member prepared for this recipient, in a detention alert to one of their
    /// emergency contacts; never in alerts to anyone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlertKind {
    EncounterStarted,
    EncounterEnded,
    AttorneyJoined,
    /// No chunk arrived for `silent_secs` and the member did not end the encounter: the phone may
    /// have been taken.
    RecordingStopped {
        silent_secs: u64,
    },
    /// The member pressed "I'm being detained", or ended the encounter as a detention.
    Detained,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Place {
    /// WGS 84 degrees, and the radius the phone reported, in metres.
    Point {
        lat: f64,
        lon: f64,
        accuracy_m: Option<f64>,
    },
    /// A coarse description ("Pilsen, Chicago") for members who share no coordinates.
    Text { text: String },
}

/// Who an alert is for, on one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub name: Option<String>,
    pub language: Language,
    /// The channel's address: an email address for email; for the webhook, whatever the
    /// organization's gateway knows the person by (a phone number in E.164, say).
    pub address: String,
}

/// The languages alerts are written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Es,
}

impl Language {
    /// The language a BCP 47 tag asks for (`es`, `es-MX`); English for any we do not write.
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("es") {
            Self::Es
        } else {
            Self::En
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }
}

/// One way of reaching people. `Send + Sync` so the server can hold `Arc<dyn Channel>`s.
#[async_trait::async_trait]
pub trait Channel: Send + Sync + fmt::Debug {
    async fn deliver(&self, recipient: &Recipient, alert: &Alert) -> Result<(), DeliveryError>;
}

/// Why an alert did not get through. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Sending again will not help until the address is fixed.
    #[error("the recipient's address is not usable: {0}")]
    BadAddress(String),
    /// The other end answered and said no (SMTP 5xx, HTTP 4xx): retrying will not help.
    #[error("the receiving end refused the alert: {0}")]
    Refused(String),
    /// The other end could not be reached, or failed, every time we tried.
    #[error("the receiving end could not be reached after {tries} tries: {last}")]
    Unreachable { tries: u32, last: String },
}

/// A setting a channel cannot work with, named as the config file names it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSettings(pub String);

/// A password or signing key from the settings. `Debug` never shows it; it is written out only
/// where the settings themselves are (`amparo config` prints the example, never these).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

/// Whether `host` names this machine, where plaintext never crosses a network.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_fall_back_to_english() {
        assert_eq!(Language::from_tag("es-MX"), Language::Es);
        assert_eq!(Language::from_tag("ES"), Language::Es);
        assert_eq!(Language::from_tag("es_US"), Language::Es);
        assert_eq!(Language::from_tag("en-US"), Language::En);
        assert_eq!(Language::from_tag("ht"), Language::En);
        assert_eq!(Language::from_tag(""), Language::En);
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let shown = format!("{:?}", Secret::new("hunter2-hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["smtp.example.org", "10.0.0.1", "localhost.example.org", ""] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
