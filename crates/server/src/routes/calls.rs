//! A person's request for an attorney, the attorney's notes on an encounter, the ICE servers
//! for the call, and the line's metrics.

use super::encounters::{Access, owned_encounter, readable_encounter};
use crate::attorney::Command;
use crate::attorney::messages::{AttorneyStatus, status_value};
use crate::attorney::stored::Stored;
use crate::attorney::turn::{IceConfig, ice_config};
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use amparo_core::ids::{EncounterId, NoteId};
use amparo_store::{AccessRecord, Note};
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

const MAX_NOTE_CHARS: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/encounters/{id}/attorney-request",
            get(request_status).post(ask).delete(cancel),
        )
        .route("/api/v1/encounters/{id}/notes", get(notes).post(add_note))
        .route("/api/v1/turn", get(turn))
        .route("/metrics", get(metrics))
}

/// Asks for an attorney for the caller's open encounter. Answers where the request stands (the
/// same as the `attorney_status` message): `offering`, or `unavailable` with why and the backup
/// line.
#[utoipa::path(post, path = "/api/v1/encounters/{id}/attorney-request", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 202, description = "status"), (status = 403), (status = 404), (status = 409)))]
pub async fn ask(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let encounter = owned_encounter(&state, &account, parse_id(&id)?).await?;
    let status = crate::attorney::request::ask(&state, &encounter, Stored::already()).await?;
    Ok((StatusCode::ACCEPTED, Json(status_value(encounter.id, &status))).into_response())
}

/// Where the caller's request stands.
#[utoipa::path(get, path = "/api/v1/encounters/{id}/attorney-request", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "status"), (status = 403), (status = 404)))]
pub async fn request_status(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let encounter = owned_encounter(&state, &account, parse_id(&id)?).await?;
    let status = state
        .attorney
        .status(encounter.id)
        .ok_or_else(|| ApiError::not_found("No attorney has been asked for on this encounter."))?;
    Ok(Json(status_value(encounter.id, &status)))
}

/// Cancels the caller's request, or hangs up a connected call. The recording goes on.
#[utoipa::path(delete, path = "/api/v1/encounters/{id}/attorney-request", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn cancel(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let encounter = owned_encounter(&state, &account, parse_id(&id)?).await?;
    if matches!(
        state.attorney.status(encounter.id),
        Some(AttorneyStatus::Unavailable { .. })
    ) {
        state
            .attorney
            .send(Command::EncounterEnded {
                encounter: encounter.id,
            })
            .await;
    } else {
        state
            .attorney
            .send(Command::Close {
                encounter: encounter.id,
            })
            .await;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// 1 to 10,000 characters.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: String,
    pub author: String,
    pub text: String,
    pub at: String,
}

/// Adds a note to the encounter (an attorney assigned to it). Notes go into the evidence bundle
/// and each addition into the chain of custody; they are never edited.
#[utoipa::path(post, path = "/api/v1/encounters/{id}/notes", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NoteInput, responses((status = 201, body = NoteView), (status = 400), (status = 403), (status = 404)))]
pub async fn add_note(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NoteInput>,
) -> Result<Response, ApiError> {
    let (encounter, access) = readable_encounter(&state, &account, &id).await?;
    if access != Access::Attorney {
        return Err(ApiError::forbidden(
            "Only an attorney assigned to this encounter can add notes to it.",
        ));
    }
    let text = input.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid_field("text", "A note is 1 to 10,000 characters."));
    }
    let note = Note {
        id: NoteId::new(),
        encounter: encounter.id,
        author: account.0.id,
        text: text.to_owned(),
        at_us: now_us(),
    };
    state.store.add_note(&note).await?;
    let access = AccessRecord {
        encounter: encounter.id,
        account: account.0.id,
        role: Access::Attorney.as_str().to_owned(),
        action: "add note".to_owned(),
        at_us: note.at_us,
    };
    state.store.record_access(&access).await?;
    Ok((StatusCode::CREATED, Json(note_view(&note))).into_response())
}

/// The encounter's notes, oldest first: for the person, their assigned attorneys and admins. A
/// household following the encounter does not read what the lawyer wrote.
#[utoipa::path(get, path = "/api/v1/encounters/{id}/notes", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = [NoteView]), (status = 403), (status = 404)))]
pub async fn notes(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Vec<NoteView>>, ApiError> {
    let (encounter, _) = readable_encounter(&state, &account, &id).await?;
    let notes = state.store.notes_of(encounter.id).await?;
    Ok(Json(notes.iter().map(note_view).collect()))
}

fn note_view(note: &Note) -> NoteView {
    NoteView {
        id: note.id.to_string(),
        author: note.author.to_string(),
        text: note.text.clone(),
        at: rfc3339(note.at_us),
    }
}

/// ICE servers for a call, with short-lived TURN credentials when a TURN server is configured.
#[utoipa::path(get, path = "/api/v1/turn", tag = "attorneys", security(("bearer" = [])), responses((status = 200, body = IceConfig), (status = 429)))]
pub async fn turn(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<IceConfig>, ApiError> {
    state.rate_limits.check_account(account.0.id)?;
    let now_secs = u64::try_from(now_us() / 1_000_000).unwrap_or(0);
    Ok(Json(ice_config(&state.attorney.turn, now_secs)))
}

/// The attorney line's and the legal observers' metrics in the Prometheus text format: for the scraper's bearer token
/// (`[metrics] token`), or from loopback when no token is set.
pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let allowed = match state.attorney.metrics_access.token.as_deref() {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes()))),
        None => peer.ip().is_loopback(),
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "Metrics are for the operator's scraper: send the configured bearer token, or ask from the server itself.",
        ));
    }
    let mut body = state.attorney.metrics.render();
    body.push_str(&state.observers.metrics.render());
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response())
}

fn parse_id(id: &str) -> Result<EncounterId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("No such encounter."))
}
