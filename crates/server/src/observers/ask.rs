//! Asking for observers at a verified incident: from the observers route, or by the verifier in
//! the same request that verifies it. The request is written (with the audit entry) before the
//! dispatcher hears of it, so a restart asks again.

use super::Command;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::state::AppState;
use amparo_core::ids::AccountId;
use amparo_core::observers::RequestStatus;
use amparo_store::{Incident, ObserverDispatch, ObserverRequest, ResponderAction};
use serde::Serialize;
use utoipa::ToSchema;

/// The most observers one incident may ask for.
pub const MAX_OBSERVERS: u32 = 10;

/// Where a request for observers stands, in words the requester's screen shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    /// offering (responders are being asked), waiting (nobody available near enough: asked as
    /// soon as someone is), fulfilled (as many as wanted are on the way or done), or none.
    pub status: String,
    /// How many observers the incident asked for in all.
    pub wanted: u32,
    /// How many accepted so far.
    pub sent: u32,
    pub detail: String,
}

impl RequestView {
    pub fn new(status: Option<&RequestStatus>, wanted: u32, sent: u32) -> Self {
        let (name, detail) = match status {
            Some(RequestStatus::Offering { responders }) => (
                "offering",
                format!("Asking the {} nearest available responders now.", responders.len()),
            ),
            Some(RequestStatus::Waiting) => (
                "waiting",
                "Nobody is available near enough right now. The request stays open: the next responder who becomes available nearby is asked at once.".to_owned(),
            ),
            Some(RequestStatus::Fulfilled) => ("fulfilled", "Observers are on the way.".to_owned()),
            None => ("none", "No observers are being asked for.".to_owned()),
        };
        Self {
            status: name.to_owned(),
            wanted,
            sent,
            detail,
        }
    }
}

/// How many observers count for the request: going or gone, not those who lapsed on the way.
pub fn counted(sent: &[ObserverDispatch]) -> u32 {
    let (going, went) = super::split(sent);
    u32::try_from(going.len()).unwrap_or(u32::MAX).saturating_add(went)
}

/// Asks for `wanted` observers in all at `incident`, on behalf of `requester` (a responder).
pub async fn ask(
    state: &AppState,
    requester: AccountId,
    incident: Incident,
    wanted: u32,
) -> Result<RequestView, ApiError> {
    if !(1..=MAX_OBSERVERS).contains(&wanted) {
        return Err(ApiError::invalid_field(
            "observers",
            format!("observers: ask for 1 to {MAX_OBSERVERS} observers in all."),
        ));
    }
    if incident.withdrawn_at_us.is_some() {
        return Err(ApiError::conflict("This incident was withdrawn: nobody is sent to it."));
    }
    let sent = state.store.observers_of(incident.id).await?;
    let now = now_us();
    let request = ObserverRequest {
        incident: incident.id,
        requested_by: requester,
        wanted,
        requested_at_us: now,
        closed_at_us: None,
    };
    let audit = ResponderAction {
        at_us: now,
        responder: requester,
        action: "request_observers".to_owned(),
        report: None,
        incident: Some(incident.id),
        vehicle: None,
        note: format!("{wanted} in all"),
    };
    let stored = state.store.request_observers(&request, &audit).await?;
    let (on_the_way, done) = super::split(&sent);
    let command = Command::Request {
        incident,
        requester,
        wanted,
        requested_at_us: stored.requested_at_us,
        on_the_way,
        done,
    };
    let status = state
        .observers
        .request(command)
        .await
        .ok_or_else(|| ApiError::unavailable("The server is restarting: ask again in a moment."))?;
    Ok(RequestView::new(status.as_ref(), wanted, counted(&sent)))
}
