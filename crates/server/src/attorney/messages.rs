//! What the attorney line says over the live WebSocket (docs/attorney-line.md lists every
//! message). Built here, in one place, so the console, the phone app and the tests read one shape.

use crate::clock::rfc3339;
use crate::live::hub::Frame;
use amparo_core::dispatch::{GapReason, Language, RefuseReason, UsState, WithdrawReason};
use amparo_core::ids::{EncounterId, OrgId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What the person gave when they started: shown to the attorneys rung and to the one who takes
/// the call, never to anyone else.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallFacts {
    pub encounter: EncounterId,
    pub language: Language,
    pub us_state: UsState,
    pub started_at: String,
    pub location: Option<Location>,
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

/// The attorney as the person on the call sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttorneyCard {
    pub display_name: String,
    pub languages: Vec<String>,
}

fn frame(value: Value) -> Frame {
    Frame::from(value.to_string())
}

/// The names the protocol uses for the core's reasons (their serde names).
pub fn reason_name<T: Serialize>(reason: T) -> String {
    match serde_json::to_value(reason) {
        Ok(Value::String(name)) => name,
        _ => "unknown".to_owned(),
    }
}

pub fn offer(facts: &CallFacts, expires_at_us: i64) -> Frame {
    let mut value = serde_json::to_value(facts).unwrap_or_default();
    value["type"] = json!("offer");
    value["expires_at"] = json!(rfc3339(expires_at_us));
    frame(value)
}

pub fn offer_withdrawn(encounter: EncounterId, reason: WithdrawReason) -> Frame {
    frame(json!({"type": "offer_withdrawn", "encounter": encounter, "reason": reason_name(reason)}))
}

pub fn accept_refused(encounter: EncounterId, reason: RefuseReason) -> Frame {
    frame(json!({"type": "accept_refused", "encounter": encounter, "reason": reason_name(reason)}))
}

/// To the attorney who took the call: the person's facts. They start the WebRTC offer.
pub fn call_for_attorney(facts: &CallFacts) -> Frame {
    frame(json!({"type": "call", "encounter": facts.encounter, "role": "attorney", "peer": facts}))
}

/// To the person: who took their call.
pub fn call_for_member(encounter: EncounterId, attorney: &AttorneyCard) -> Frame {
    frame(json!({"type": "call", "encounter": encounter, "role": "member", "peer": attorney}))
}

pub fn hangup(encounter: EncounterId) -> Frame {
    frame(json!({"type": "hangup", "encounter": encounter}))
}

pub fn duty(on: bool) -> Frame {
    frame(json!({"type": "duty", "on": on, "present": on}))
}

pub fn coverage_gap(org: OrgId, encounter: EncounterId, language: Language, state: UsState, why: GapReason) -> Frame {
    frame(json!({
        "type": "coverage_gap", "org": org, "encounter": encounter, "language": language,
        "us_state": state, "reason": reason_name(why),
    }))
}

/// A signaling message relayed to the other side of the call, as the sender wrote it.
pub fn signal(encounter: EncounterId, from: &str, data: &Value) -> Frame {
    frame(json!({"type": "signal", "encounter": encounter, "from": from, "data": data}))
}

/// Where a person's request stands: the `attorney_status` message, and the body of
/// `GET /api/v1/encounters/{id}/attorney-request`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AttorneyStatus {
    /// Attorneys are being rung.
    Offering,
    Queued {
        position: u32,
        backup_line: Option<String>,
    },
    Connected {
        attorney: AttorneyCard,
    },
    Closed,
    /// No attorney can be asked: `reason` says why (`no_attorney_line`, `no_state`), in words
    /// in `detail`.
    Unavailable {
        reason: String,
        detail: String,
        backup_line: Option<String>,
    },
}

pub fn status_value(encounter: EncounterId, status: &AttorneyStatus) -> Value {
    let mut value = serde_json::to_value(status).unwrap_or_default();
    value["type"] = json!("attorney_status");
    value["encounter"] = json!(encounter);
    value
}

pub fn status(encounter: EncounterId, status: &AttorneyStatus) -> Frame {
    frame(status_value(encounter, status))
}
