//! The transparency log over HTTP: the checkpoint, the key, C2SP tlog-tiles, and proofs.

use crate::error::ApiError;
use crate::log::proofs;
use crate::state::AppState;
use amparo_core::tiles::{TILE_HEIGHT, TILE_WIDTH, TileRef};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/key", get(key))
        .route("/log/tile/{*path}", get(tile))
        .route("/log/proof/inclusion", get(inclusion))
        .route("/log/proof/consistency", get(consistency))
}

const TEXT: &str = "text/plain; charset=utf-8";

/// The latest signed checkpoint (C2SP tlog-checkpoint in a signed note).
#[utoipa::path(get, path = "/log/checkpoint", tag = "log", responses((status = 200, content_type = "text/plain"), (status = 404)))]
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let checkpoint = state
        .log
        .latest_checkpoint()
        .ok_or_else(|| ApiError::not_found("The log is empty: no checkpoint yet."))?;
    Ok((
        [(header::CONTENT_TYPE, TEXT), (header::CACHE_CONTROL, "no-cache")],
        checkpoint.note.clone(),
    )
        .into_response())
}

/// The log's verifier key (signed-note form).
#[utoipa::path(get, path = "/log/key", tag = "log", responses((status = 200, content_type = "text/plain")))]
pub async fn key(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, TEXT)],
        format!("{}\n", state.log.key().verifier_key()),
    )
        .into_response()
}

/// A C2SP tlog-tiles tile: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
#[utoipa::path(get, path = "/log/tile/{path}", tag = "log", params(("path" = String, Path, description = "Tile path per C2SP tlog-tiles")),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404)))]
pub async fn tile(State(state): State<AppState>, Path(path): Path<String>) -> Result<Response, ApiError> {
    let tile = TileRef::parse(&path).ok_or_else(|| ApiError::not_found("Not a tile path (see C2SP tlog-tiles)."))?;
    let size = state.log.head().size;
    let body = match tile {
        TileRef::Entries { index, width } => {
            check_within(index, width, size)?;
            let start = index * TILE_WIDTH;
            let entries = state.store.entries(start, width).await?;
            let mut body = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
            for entry in entries {
                let length = u16::try_from(entry.len()).map_err(ApiError::internal)?;
                body.extend_from_slice(&length.to_be_bytes());
                body.extend_from_slice(&entry);
            }
            body
        }
        TileRef::Hashes { level, index, width } => {
            let level_size = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
            check_within(index, width, level_size)?;
            let hashes = state
                .store
                .hashes_at_level(level * TILE_HEIGHT, index * TILE_WIDTH, width)
                .await?;
            hashes.iter().flat_map(|h| h.0).collect()
        }
    };
    // Full tiles never change; partial ones are replaced by wider ones as the log grows.
    let cache = if matches!(
        tile,
        TileRef::Entries { width: TILE_WIDTH, .. } | TileRef::Hashes { width: TILE_WIDTH, .. }
    ) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// A tile (full or partial) exists once the tree holds all its entries. A partial tile older
/// than the current one is still served: its bytes are a prefix of the full tile and never change.
fn check_within(index: u64, width: u64, available: u64) -> Result<(), ApiError> {
    let end = index.checked_mul(TILE_WIDTH).and_then(|start| start.checked_add(width));
    if end.is_some_and(|end| end <= available) {
        Ok(())
    } else {
        Err(ApiError::not_found("That tile is not in the log (yet)."))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InclusionQuery {
    /// The leaf's index.
    pub index: u64,
    /// The tree size of a published checkpoint.
    pub size: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    pub old: u64,
    pub size: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProofView {
    /// Hex SHA-256 hashes, RFC 6962 / RFC 9162 order.
    pub hashes: Vec<String>,
}

/// Inclusion proof of leaf `index` in the tree of `size` leaves.
#[utoipa::path(get, path = "/log/proof/inclusion", tag = "log", params(InclusionQuery), responses((status = 200, body = ProofView), (status = 400)))]
pub async fn inclusion(
    State(state): State<AppState>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<ProofView>, ApiError> {
    if q.index >= q.size || q.size > state.log.head().size {
        return Err(ApiError::bad_request("Need index < size <= the log's size."));
    }
    Ok(Json(hex_proof(proofs::inclusion(&state.store, q.index, q.size).await?)))
}

/// Consistency proof from the tree of `old` leaves to the tree of `size` leaves.
#[utoipa::path(get, path = "/log/proof/consistency", tag = "log", params(ConsistencyQuery), responses((status = 200, body = ProofView), (status = 400)))]
pub async fn consistency(
    State(state): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<ProofView>, ApiError> {
    if q.old == 0 || q.old > q.size || q.size > state.log.head().size {
        return Err(ApiError::bad_request("Need 0 < old <= size <= the log's size."));
    }
    Ok(Json(hex_proof(proofs::consistency(&state.store, q.old, q.size).await?)))
}

fn hex_proof(hashes: Vec<amparo_core::Hash>) -> ProofView {
    ProofView {
        hashes: hashes.iter().map(|h| hex::encode(h.0)).collect(),
    }
}
