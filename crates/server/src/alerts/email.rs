//! Alerts by email, through the operator's SMTP server. Plain text only: no HTML, no images, no
//! tracking links, so the message reads the same in any client and tells nobody it was opened.

use super::text::{self, one_line};
use super::{Alert, Channel, DeliveryError, InvalidSettings, Recipient, Secret, is_loopback};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Where and how to hand mail over, from `[alerts.email]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// The SMTP server's host name (checked against its TLS certificate).
    pub host: String,
    /// Empty: the usual port for `tls` (587 STARTTLS, 465 TLS, 25 none).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// Empty: no authentication.
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: Secret,
    /// The sender, e.g. `Amparo <alerts@example.org>`.
    pub from: String,
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption. Only to a relay on this machine: alerts say who was stopped and where.
    None,
}

/// The email channel: one transport, built once, opening a connection per alert.
#[derive(Clone)]
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// For Debug and logs: where mail goes, never with whom it logs in.
    server: String,
}

impl EmailChannel {
    pub fn new(settings: &EmailSettings) -> Result<Self, InvalidSettings> {
        let host = settings.host.trim();
        if host.is_empty() {
            return Err(InvalidSettings("alerts.email.host is empty".to_owned()));
        }
        let from: Mailbox = settings.from.parse().map_err(|e| {
            InvalidSettings(format!(
                "alerts.email.from is not an address like \"Amparo <alerts@example.org>\": {e}"
            ))
        })?;
        let builder = match settings.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpTls::None if is_loopback(host) => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
            SmtpTls::None => {
                return Err(InvalidSettings(
                    "alerts.email.tls = \"none\" is allowed only for a relay on this machine (localhost, 127.0.0.1, ::1)"
                        .to_owned(),
                ));
            }
        }
        .map_err(|e| InvalidSettings(format!("alerts.email.host: {e}")))?;
        let port = settings.port.unwrap_or(match settings.tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        });
        // Alerts are urgent: a server that has not answered in ten seconds will not help.
        let mut builder = builder.port(port).timeout(Some(Duration::from_secs(10)));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            server: format!("{host}:{port}"),
        })
    }

    fn message(&self, recipient: &Recipient, alert: &Alert) -> Result<Message, DeliveryError> {
        let address: Address = recipient
            .address
            .trim()
            .parse()
            .map_err(|e| DeliveryError::BadAddress(format!("{e}")))?;
        let name = recipient.name.as_deref().map(one_line).filter(|n| !n.is_empty());
        let words = text::render(alert, recipient.language);
        // Message-ID in the sender's domain: ids at "localhost" look like spam to filters.
        let id = format!("<{}@{}>", uuid::Uuid::new_v4(), self.from.email.domain());
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(words.subject)
            .message_id(Some(id))
            .header(ContentType::TEXT_PLAIN)
            .body(words.body)
            .map_err(|e| DeliveryError::BadAddress(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Channel for EmailChannel {
    async fn deliver(&self, recipient: &Recipient, alert: &Alert) -> Result<(), DeliveryError> {
        let message = self.message(recipient, alert)?;
        // One try: a mail server queues and retries on its own; retrying here would mostly
        // produce duplicates. Whoever sends the alert decides whether to try again later.
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(DeliveryError::Refused(e.to_string())),
            Err(e) => {
                tracing::warn!(server = %self.server, error = %e, "email alert not delivered");
                Err(DeliveryError::Unreachable {
                    tries: 1,
                    last: e.to_string(),
                })
            }
        }
    }
}

impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> EmailSettings {
        EmailSettings {
            host: "smtp.example.org".to_owned(),
            port: None,
            tls: SmtpTls::Starttls,
            username: "amparo".to_owned(),
            password: Secret::new("correct horse battery staple"),
            from: "Amparo <alerts@example.org>".to_owned(),
        }
    }

    #[test]
    fn plaintext_only_to_this_machine() {
        let mut s = settings();
        s.tls = SmtpTls::None;
        assert!(EmailChannel::new(&s).is_err());
        s.host = "127.0.0.1".to_owned();
        assert!(EmailChannel::new(&s).is_ok());
    }

    #[test]
    fn a_bad_sender_is_a_settings_error() {
        let mut s = settings();
        s.from = "not an address".to_owned();
        assert!(EmailChannel::new(&s).is_err());
    }

    #[test]
    fn debug_shows_no_credentials() {
        let shown = format!("{:?} {:?}", EmailChannel::new(&settings()), settings());
        assert!(!shown.contains("horse"), "{shown}");
        assert!(shown.contains("smtp.example.org:587"), "{shown}");
    }
}
