//! Requests a dispatcher rang but never recorded.
//!
//! A new encounter that asks for an attorney is rung while its row is written, and its call
//! record can only follow that row: the dispatcher's writer saves it a moment after the ring. A
//! dispatcher whose node dies in that moment takes the request with it, and the next one would
//! not know of it from call records alone. The encounter's row says it asked, though: a
//! dispatcher that starts also asks again for every recent open encounter that asked for an
//! attorney and has no call record and no attorney ([`unrecorded`]), and an encounter whose row
//! was still being written then is caught when its node's word that it was stored reaches a
//! dispatcher that never heard the request ([`one`]).

use super::{CallContext, Command};
use crate::clock::now_us;
use crate::state::AppState;
use amparo_core::dispatch::Request;
use amparo_core::ids::EncounterId;
use amparo_store::Encounter;

/// How far back a starting dispatcher looks: an encounter left open longer than a day is not
/// someone waiting for a call.
const LOOK_BACK_US: i64 = 24 * 3_600 * 1_000_000;
/// At most this many are read at once; the newest first.
const AT_MOST: u32 = 1_000;

/// The requests of the recent open encounters that asked for an attorney and were never
/// recorded, oldest first, each asked as of its encounter's start.
pub(super) async fn unrecorded(state: &AppState) -> Vec<(Request, CallContext)> {
    let found = match state
        .store
        .unrecorded_attorney_requests(now_us() - LOOK_BACK_US, AT_MOST)
        .await
    {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "requests never recorded were not looked for");
            return Vec::new();
        }
    };
    let mut requests = Vec::new();
    for encounter in found.iter().rev() {
        requests.extend(again(state, encounter).await);
    }
    if !requests.is_empty() {
        tracing::warn!(
            count = requests.len(),
            "requests for an attorney a previous dispatcher never recorded are asked again"
        );
    }
    requests
}

/// A dispatcher heard that `encounter` was stored without having heard its request (the request
/// went to a dispatcher that has since stopped): asks again if it still is an open encounter
/// that asked for an attorney and has no call record.
pub(super) async fn one(state: AppState, encounter: EncounterId) {
    let state = &state;
    let stored = match state.store.encounter(encounter).await {
        Ok(Some(stored)) if stored.wants_attorney && stored.ended_at_us.is_none() => stored,
        Ok(_) => return,
        Err(e) => return tracing::error!(%encounter, error = %e, "a request that may be lost was not checked"),
    };
    // From its start on, so the read is the few encounters started since.
    let unrecorded = match state
        .store
        .unrecorded_attorney_requests(stored.started_at_us, AT_MOST)
        .await
    {
        Ok(found) => found.iter().any(|e| e.id == encounter),
        Err(e) => return tracing::error!(%encounter, error = %e, "a request that may be lost was not checked"),
    };
    if !unrecorded {
        return;
    }
    if let Some((request, context)) = again(state, &stored).await {
        tracing::warn!(%encounter, "a request for an attorney its dispatcher never recorded is asked again");
        state.attorney.send(Command::Request { request, context }).await;
    }
}

async fn again(state: &AppState, encounter: &Encounter) -> Option<(Request, CallContext)> {
    match super::request::again(state, encounter).await {
        Ok(asked) => asked,
        Err(e) => {
            tracing::error!(encounter = %encounter.id, error = %e.detail(), "attorney not asked again");
            None
        }
    }
}
