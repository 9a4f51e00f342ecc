//! Telling subscribers about an incident: every account with a watch area holding the incident's
//! cell (one indexed lookup, [`amparo_store::Store::watchers_of`]), in the app and by Web Push;
//! and the network's incident webhook, if it has one (`super::webhook`).
//!
//! In-app messages are handed to the live connections' queues right here, serialized once;
//! Web Push runs on a task of its own, a few accounts at a time, so a slow push service never
//! delays the responder's answer or anyone's in-app alert. Only verified incidents get here.

use super::views::IncidentView;
use crate::alerts::Language;
use crate::alerts::webpush::PushPayload;
use crate::live::hub::Frame;
use crate::state::AppState;
use amparo_core::ids::AccountId;
use amparo_core::rapid::{ReportKind, VerifiedHow};
use amparo_store::{Incident, StoreError};
use futures::StreamExt;
use serde::Serialize;

/// Web Push sends in flight at once for one incident.
const PUSH_CONCURRENCY: usize = 16;

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Verified,
    Updated,
    Withdrawn,
}

/// What the app receives over its live connection: `{"type": "incident", ...}`.
#[derive(Serialize)]
struct IncidentMessage {
    r#type: &'static str,
    event: Event,
    incident: IncidentView,
}

/// Who an announcement reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Announced {
    /// Accounts watching the incident's cell.
    pub watchers: Vec<AccountId>,
    /// Live app connections the message was handed to, on this node.
    pub in_app: usize,
}

/// Tells every subscriber watching the incident's cell. Returns once in-app messages are queued.
pub async fn announce(state: &AppState, incident: &Incident, event: Event) -> Result<Announced, StoreError> {
    if let Some(channel) = &state.rapid_webhook {
        super::webhook::send(channel, incident, event);
    }
    let watchers = state.store.watchers_of(incident.cell).await?;
    let in_app = to_app(state, &watchers, incident, event);
    let payload = {
        let incident = incident.clone();
        move |language| push_payload(&incident, event, language)
    };
    let (task_state, accounts) = (state.clone(), watchers.clone());
    tokio::spawn(async move {
        futures::stream::iter(accounts)
            .for_each_concurrent(PUSH_CONCURRENCY, |account| {
                let (state, payload) = (&task_state, &payload);
                async move {
                    if let Err(e) = state.web_push.to_account(&*state.store, account, payload).await {
                        tracing::warn!(%account, error = %e, "incident push alert not sent");
                    }
                }
            })
            .await;
    });
    Ok(Announced { watchers, in_app })
}

/// The in-app message to `watchers`' live connections; how many connections took it.
pub fn to_app(state: &AppState, watchers: &[AccountId], incident: &Incident, event: Event) -> usize {
    let message = IncidentMessage {
        r#type: "incident",
        event,
        incident: IncidentView::public(incident),
    };
    match serde_json::to_string(&message) {
        Ok(json) => crate::live::deliver::to_accounts(state, watchers, &Frame::from(json)),
        Err(e) => {
            tracing::error!(error = %e, "an incident alert could not be encoded");
            0
        }
    }
}

/// The notification: what was verified, how, and when, in the browser's language.
pub fn push_payload(incident: &Incident, event: Event, language: Language) -> PushPayload {
    let time = crate::clock::rfc3339(incident.verified_at_us);
    let (title, body) = match language {
        Language::En => (
            format!("{}: {}", event_en(event), kind_en(incident.kind)),
            format!(
                "{} (verified {} at {time})",
                clip(&incident.description),
                how_en(incident.how)
            ),
        ),
        Language::Es => (
            format!("{}: {}", event_es(event), kind_es(incident.kind)),
            format!(
                "{} (verificado {} a las {time})",
                clip(&incident.description),
                how_es(incident.how)
            ),
        ),
    };
    PushPayload {
        title,
        body,
        // An update or withdrawal replaces the first notification.
        tag: format!("incident-{}", incident.id),
        url: format!("/#/incidents/{}", incident.id),
        language,
        alert: None,
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(600).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn event_en(event: Event) -> &'static str {
    match event {
        Event::Verified => "Verified nearby",
        Event::Updated => "Updated",
        Event::Withdrawn => "Withdrawn",
    }
}

fn event_es(event: Event) -> &'static str {
    match event {
        Event::Verified => "Verificado cerca",
        Event::Updated => "Actualizado",
        Event::Withdrawn => "Retirado",
    }
}

fn kind_en(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Checkpoint => "checkpoint",
        ReportKind::RaidHome => "raid at a home",
        ReportKind::RaidWorkplace => "raid at a workplace",
        ReportKind::Arrest => "arrest in progress",
        ReportKind::Vehicle => "enforcement vehicle",
        ReportKind::Other => "enforcement activity",
    }
}

fn kind_es(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Checkpoint => "retén",
        ReportKind::RaidHome => "redada en una casa",
        ReportKind::RaidWorkplace => "redada en un lugar de trabajo",
        ReportKind::Arrest => "arresto en curso",
        ReportKind::Vehicle => "vehículo de las autoridades",
        ReportKind::Other => "actividad de las autoridades",
    }
}

fn how_en(how: VerifiedHow) -> &'static str {
    match how {
        VerifiedHow::InPerson => "in person",
        VerifiedHow::Photo => "by photo",
        VerifiedHow::SecondReport => "by a second, independent report",
    }
}

fn how_es(how: VerifiedHow) -> &'static str {
    match how {
        VerifiedHow::InPerson => "en persona",
        VerifiedHow::Photo => "por foto",
        VerifiedHow::SecondReport => "por un segundo informe independiente",
    }
}
