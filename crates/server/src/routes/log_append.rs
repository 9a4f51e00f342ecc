//! `POST /internal/v1/log/append`: an append forwarded by another node of the deployment to this
//! one while it sequences the log (see `log::forward`). Only nodes holding the log's key may call
//! it (bearer [`crate::log::forward::node_token`]); it answers once the leaf is committed, with its
//! place, or 503 when this node does not sequence the log (the caller asks the store again).

use crate::error::ApiError;
use crate::log::AppendError;
use crate::log::forward::{FORWARD_PATH, ForwardedAppend, ForwardedPlace};
use crate::state::AppState;
use amparo_core::leaf::EvidenceLeaf;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Json;
use axum::routing::post;
use bytes::Bytes;
use subtle::ConstantTimeEq;

pub fn routes() -> Router<AppState> {
    Router::new().route(FORWARD_PATH, post(append))
}

async fn append(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ForwardedPlace>, ApiError> {
    // Who is asking, before anything of what they sent is read.
    check_node(&state, &headers)?;
    let body: ForwardedAppend = crate::json::parse(&body)?;
    let bytes = hex::decode(&body.leaf).map_err(|_| ApiError::invalid_field("leaf", "leaf: not hex"))?;
    let leaf = EvidenceLeaf::decode(&bytes).map_err(|e| ApiError::invalid_field("leaf", format!("leaf: {e}")))?;
    match state.log.append_here(leaf, body.upload_expires_at_us).await {
        Ok(appended) => Ok(Json(ForwardedPlace {
            index: appended.index,
            leaf_hash: hex::encode(appended.leaf_hash.0),
        })),
        Err(AppendError::Store(error)) => Err(error.into()),
        Err(AppendError::NotSequencer | AppendError::Unavailable(_)) => Err(ApiError::unavailable(
            "This node does not sequence the log (any more): ask the store for the sequencer's address again.",
        )),
        Err(AppendError::Closed) => Err(ApiError::unavailable("This node is shutting down.")),
    }
}

/// Only another node of this deployment (one holding the log's key) may add to the log.
fn check_node(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(presented.as_bytes().ct_eq(state.log.node_token().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "Only nodes of this deployment (holding its log key) may forward appends.",
        ))
    }
}
