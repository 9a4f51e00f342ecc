//! Who is told, on which channel, when something happens in an encounter.
//!
//! The people: every other member of the person's household (in the app, and by Web Push to
//! every browser they turned alerts on in), and each of the person's emergency contacts (email, and the
//! organization's SMS gateway through the signed webhook). Household members' links open the
//! live encounter in the app; a contact's link opens its status page (`/api/v1/shared/…`),
//! which shows the state, never the recording. In-app alerts go out before anything
//! slow: they are handed to the connections' queues right here, and the channels that talk to
//! other servers run on their own tasks, so one slow mail server never delays a family's alert.
//!
//! A detention alert carries, to each contact, the message the person prepared for them, opened
//! from its sealed form only at this moment.

use super::seal::MessageKey;
use super::{Alert, AlertKind, AlertSettings, Channel, InvalidSettings, Language, Place, Recipient};
use super::{email::EmailChannel, webhook::WebhookChannel};
use crate::clock::now_us;
use crate::live::hub::Frame;
use crate::state::AppState;
use amparo_core::ids::{AccountId, ContactId, EncounterId};
use amparo_store::{Encounter, StoreError};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The alert channels this server has, and how alerts are addressed.
#[derive(Clone, Debug)]
pub struct Alerts {
    email: Option<Arc<EmailChannel>>,
    webhook: Option<Arc<WebhookChannel>>,
    /// Where people open the app: follow links start with it.
    public_url: String,
    /// Seals prepared messages at rest.
    pub message_key: MessageKey,
    /// No chunk for this long, and the encounter was not ended: "the phone may have been taken".
    pub silence_after: Duration,
}

impl Alerts {
    /// From the `[alerts]` settings. `public_url` is used when the settings name none.
    pub fn new(settings: &AlertSettings, key: MessageKey, public_url: &str) -> Result<Self, InvalidSettings> {
        let email = settings.email.as_ref().map(EmailChannel::new).transpose()?;
        let webhook = settings.webhook.as_ref().map(WebhookChannel::new).transpose()?;
        let public_url = settings.public_url.as_deref().unwrap_or(public_url);
        Ok(Self {
            email: email.map(Arc::new),
            webhook: webhook.map(Arc::new),
            public_url: public_url.trim_end_matches('/').to_owned(),
            message_key: key,
            silence_after: Duration::from_secs(settings.silence_secs),
        })
    }

    /// In-app alerts only, with a key that lives as long as the process: for tests and
    /// benchmarks that build a server without settings.
    pub fn in_app_only() -> Self {
        Self {
            email: None,
            webhook: None,
            public_url: String::new(),
            message_key: MessageKey::generate(),
            silence_after: Duration::from_secs(AlertSettings::DEFAULT_SILENCE_SECS),
        }
    }

    pub fn has_email(&self) -> bool {
        self.email.is_some()
    }

    pub fn has_webhook(&self) -> bool {
        self.webhook.is_some()
    }

    pub fn follow_url(&self, encounter: EncounterId) -> String {
        format!("{}/#/follow/{encounter}", self.public_url)
    }

    /// An emergency contact's link to the encounter's status page.
    pub fn status_url(&self, encounter: EncounterId, contact: ContactId) -> String {
        let tag = self.message_key.share_tag(encounter, contact);
        format!("{}/#/status/{encounter}/{contact}/{tag}", self.public_url)
    }
}

/// A channel a delivery task can own.
type SharedChannel = Arc<dyn Channel>;

/// What the app receives over its live connection.
#[derive(Serialize)]
struct AlertMessage<'a> {
    r#type: &'static str,
    encounter: String,
    alert: &'a Alert,
}

/// What one announcement reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Announced {
    /// Live app connections the alert was handed to, on this node.
    pub in_app: usize,
    /// Messages to emergency contacts that were sent on their way (email and webhook).
    pub contacts: usize,
}

/// Tells the person's household and emergency contacts what happened in their encounter.
pub async fn announce(state: &AppState, encounter: &Encounter, kind: AlertKind) -> Result<Announced, StoreError> {
    let now = now_us();
    let owner = state.store.account(encounter.owner).await?;
    let who = owner.map(|a| a.username).unwrap_or_else(|| "A member".to_owned());
    // Alerts follow the person's plan (household, organization seat) and its lapse policy.
    if !state.coverage(encounter.owner).await?.alerts {
        return Ok(Announced::default());
    }
    let household = state.store.household_of(encounter.owner).await?;
    let when_us = match kind {
        AlertKind::EncounterStarted => encounter.started_at_us,
        AlertKind::EncounterEnded => encounter.ended_at_us.unwrap_or(now),
        _ => now,
    };
    let alert = Alert {
        kind,
        who,
        when: OffsetDateTime::from_unix_timestamp_nanos(i128::from(when_us) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        place: place_of(encounter),
        attorney_on_line: !state.store.encounter_attorneys(encounter.id).await?.is_empty(),
        follow_url: state.alerts.follow_url(encounter.id),
        message: None,
    };

    let family: Vec<AccountId> = household
        .iter()
        .flat_map(|h| h.members.iter().map(|m| m.account))
        .filter(|account| *account != encounter.owner)
        .collect();
    let message = AlertMessage {
        r#type: "alert",
        encounter: encounter.id.to_string(),
        alert: &alert,
    };
    let in_app = match serde_json::to_string(&message) {
        Ok(json) => crate::live::deliver::to_accounts(state, &family, &Frame::from(json)),
        Err(e) => {
            tracing::error!(error = %e, "an alert could not be encoded");
            0
        }
    };

    // Web Push to every browser the household subscribed, each on its own task: a push service
    // can take seconds, and the family's in-app alerts above are already on their way.
    for account in family.iter().copied() {
        let (state, alert) = (state.clone(), alert.clone());
        tokio::spawn(async move {
            if let Err(e) = state.web_push.notify(&*state.store, account, &alert).await {
                tracing::warn!(%account, error = %e, "web push alert not sent");
            }
        });
    }

    let contacts = state.store.contacts_of(encounter.owner).await?;
    let mut sent = 0;
    for contact in contacts {
        let mut alert = alert.clone();
        // Contacts have no account: their link opens the encounter's status (no recording)
        // through a tag only this server can make, for this contact and encounter alone.
        alert.follow_url = state.alerts.status_url(encounter.id, contact.id);
        if kind == AlertKind::Detained {
            alert.message = contact.prepared_message.as_deref().and_then(|sealed| {
                state
                    .alerts
                    .message_key
                    .open(contact.account, contact.id, sealed)
                    .inspect_err(|_| tracing::error!(contact = %contact.id, "a prepared message does not open"))
                    .ok()
            });
        }
        let language = Language::from_tag(&contact.language);
        let name = Some(contact.name.clone());
        let channels: [(Option<SharedChannel>, &Option<String>); 2] = [
            (state.alerts.email.clone().map(|c| c as SharedChannel), &contact.email),
            (state.alerts.webhook.clone().map(|c| c as SharedChannel), &contact.phone),
        ];
        for (channel, address) in channels {
            let (Some(channel), Some(address)) = (channel, address.clone()) else {
                continue;
            };
            let recipient = Recipient {
                name: name.clone(),
                language,
                address,
            };
            let alert = alert.clone();
            let contact_id = contact.id;
            sent += 1;
            tokio::spawn(async move {
                if let Err(e) = channel.deliver(&recipient, &alert).await {
                    // The contact's id, never their address: logs are not where people's
                    // details belong.
                    tracing::warn!(contact = %contact_id, channel = ?channel, error = %e, "alert not delivered");
                }
            });
        }
    }
    Ok(Announced { in_app, contacts: sent })
}

/// Checks every second for encounters whose recording stopped without being ended, and tells
/// their people once per silence. Runs for as long as the server does.
pub async fn watch_silence(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        // One node alerts for the deployment; the others keep the watch for when they lead.
        if !state.leadership.held() {
            continue;
        }
        for silent in state.silence.due(now_us()) {
            super::silence_shared::alerted(&state, silent.encounter);
            let state = state.clone();
            tokio::spawn(async move {
                match state.store.encounter(silent.encounter).await {
                    Ok(Some(encounter)) if encounter.ended_at_us.is_none() => {
                        let kind = AlertKind::RecordingStopped {
                            silent_secs: silent.silent_secs,
                        };
                        if let Err(e) = announce(&state, &encounter, kind).await {
                            tracing::error!(encounter = %encounter.id, error = %e, "silence alert not sent");
                        }
                        crate::live::publish_state(&state, encounter.id).await;
                    }
                    // Ended elsewhere (another node, or just now): nothing to say.
                    Ok(_) => super::silence_shared::ended(&state, silent.encounter),
                    Err(e) => tracing::warn!(encounter = %silent.encounter, error = %e, "silence check failed"),
                }
            });
        }
    }
}

fn place_of(encounter: &Encounter) -> Option<Place> {
    match (encounter.latitude, encounter.longitude) {
        (Some(lat), Some(lon)) => Some(Place::Point {
            lat,
            lon,
            accuracy_m: encounter.accuracy_m,
        }),
        _ => None,
    }
}
