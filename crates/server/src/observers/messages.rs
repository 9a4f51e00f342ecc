//! What the observer dispatch says over the live WebSocket (docs/legal-observers.md lists every
//! message). Only responders get these: subscribers never learn about observers.

use crate::clock::rfc3339;
use crate::live::hub::Frame;
use crate::rapid::views::PlaceView;
use amparo_core::ids::IncidentId;
use amparo_core::observers::{RefuseReason, WithdrawReason};
use amparo_store::{Incident, ObserverDispatch};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

fn frame(value: Value) -> Frame {
    Frame::from(value.to_string())
}

/// The protocol's name for a core reason (its serde name), with the observer's words for the
/// attorney-line names they share: "off_duty" is "unavailable" here.
pub fn reason_name<T: Serialize>(reason: T) -> String {
    let name = match serde_json::to_value(reason) {
        Ok(Value::String(name)) => name,
        _ => "unknown".to_owned(),
    };
    match name.as_str() {
        "off_duty" => "unavailable".to_owned(),
        "away" => "availability_lapsed".to_owned(),
        "at_capacity" => "on_the_way_elsewhere".to_owned(),
        "no_longer_eligible" => "too_far".to_owned(),
        _ => name,
    }
}

/// One observer as the incident page shows them: a name and times, nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObserverView {
    pub display_name: String,
    pub accepted_at: String,
    pub arrived_at: Option<String>,
    pub done_at: Option<String>,
    /// When they were let go for marking nothing in time (`[observers] on_the_way_ttl_secs`).
    pub lapsed_at: Option<String>,
    /// Whether this observer is the account asking.
    pub you: bool,
}

impl ObserverView {
    pub fn new(d: &ObserverDispatch, viewer: amparo_core::ids::AccountId) -> Self {
        Self {
            display_name: d.display_name.clone(),
            accepted_at: rfc3339(d.accepted_at_us),
            arrived_at: d.arrived_at_us.map(rfc3339),
            done_at: d.done_at_us.map(rfc3339),
            lapsed_at: d.lapsed_at_us.map(rfc3339),
            you: d.observer == viewer,
        }
    }
}

/// Asks a responder to go: what was verified, where, how far, until when.
pub fn offer(incident: &Incident, distance: u32, expires_at_us: i64) -> Frame {
    frame(json!({
        "type": "observer_offer",
        "incident": incident.id,
        "kind": incident.kind.to_string(),
        "description": incident.description,
        "place": PlaceView::from(incident.cell),
        "distance_cells": distance,
        "expires_at": rfc3339(expires_at_us),
    }))
}

pub fn offer_withdrawn(incident: IncidentId, reason: WithdrawReason) -> Frame {
    frame(json!({"type": "observer_offer_withdrawn", "incident": incident, "reason": reason_name(reason)}))
}

pub fn accept_refused(incident: IncidentId, reason: RefuseReason) -> Frame {
    frame(json!({"type": "observer_accept_refused", "incident": incident, "reason": reason_name(reason)}))
}

/// The incident's observers changed, or its request did: sent to whoever asked and to the
/// observers, so an open incident page redraws.
pub fn status(incident: IncidentId, status: &str) -> Frame {
    frame(json!({"type": "observers", "incident": incident, "status": status}))
}

/// The responder's availability ended without them saying so (it lapsed, or the node
/// restarted): the app's switch goes off.
pub fn availability_ended(reason: &str) -> Frame {
    frame(json!({"type": "observer_availability", "available": false, "reason": reason}))
}

/// The request was called off (the incident withdrawn): the observers on the way hear it.
pub fn cancelled(incident: IncidentId) -> Frame {
    frame(json!({"type": "observer_cancelled", "incident": incident}))
}

/// The observer marked nothing in time and is no longer expected at the incident.
pub fn lapsed(incident: IncidentId, arrived: bool) -> Frame {
    frame(json!({"type": "observer_lapsed", "incident": incident, "arrived": arrived}))
}
