//! The network's incident webhook (`[rapid.webhook]`): every verified, updated and withdrawn
//! incident POSTed once to the network's own endpoint, signed like the household alerts'
//! webhook (HMAC-SHA256 over `"<timestamp>.<body>"`, `alerts::signature`) and retried the same
//! way, so the network can forward it to an SMS list or a channel.
//!
//! Why its own setting rather than `[alerts.webhook]`: that one carries a person's alert to
//! their own emergency contacts (a name, a phone number, a place the person chose to share),
//! usually through an SMS gateway; this one is a broadcast of public facts, often run by another
//! group. Separate URLs and secrets mean either can be on alone, and a leaked secret for one
//! cannot forge the other.
//!
//! What it carries is what subscribers see ([`IncidentView::public`]: the type, the cell and its
//! centre, what was verified, how and when) and the words of the push alert in English and
//! Spanish. Never who verified it, who reported it, or who watches the area.

use super::deliver::{Event, push_payload};
use super::views::IncidentView;
use crate::alerts::webhook::{WebhookChannel, WebhookSettings};
use crate::alerts::{InvalidSettings, Language};
use amparo_store::Incident;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The `[rapid]` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RapidSettings {
    /// Off unless present: `url` (`https://`; `http://` only to this machine) and `secret`.
    pub webhook: Option<WebhookSettings>,
}

impl RapidSettings {
    /// The channel the settings describe, if any; refuses settings it could not work with.
    pub fn channel(&self) -> Result<Option<WebhookChannel>, InvalidSettings> {
        self.webhook
            .as_ref()
            .map(|settings| WebhookChannel::for_section(settings, "rapid.webhook"))
            .transpose()
    }
}

/// What the network's endpoint receives.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentHook {
    /// The same on every try of one delivery: receivers drop repeats by it.
    pub id: String,
    /// verified, updated or withdrawn.
    #[schema(value_type = String)]
    pub event: Event,
    pub incident: IncidentView,
    /// The alert's words, ready to send as they are.
    pub text: HookTexts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HookTexts {
    pub en: HookText,
    pub es: HookText,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HookText {
    pub title: String,
    pub body: String,
}

impl IncidentHook {
    pub fn new(incident: &Incident, event: Event) -> Self {
        let words = |language| {
            let payload = push_payload(incident, event, language);
            HookText {
                title: payload.title,
                body: payload.body,
            }
        };
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            event,
            incident: IncidentView::public(incident),
            text: HookTexts {
                en: words(Language::En),
                es: words(Language::Es),
            },
        }
    }
}

/// Sends one incident event on a task of its own: the responder's answer never waits for the
/// network's endpoint. Failures are logged (without the URL's query, which may hold a key).
pub fn send(channel: &WebhookChannel, incident: &Incident, event: Event) {
    let hook = IncidentHook::new(incident, event);
    let body = match serde_json::to_vec(&hook) {
        Ok(body) => bytes::Bytes::from(body),
        Err(e) => {
            tracing::error!(error = %e, "an incident webhook could not be encoded");
            return;
        }
    };
    let (channel, incident) = (channel.clone(), incident.id);
    tokio::spawn(async move {
        if let Err(e) = channel.send(body).await {
            tracing::warn!(%incident, error = %e, "incident webhook not delivered");
        }
    });
}
