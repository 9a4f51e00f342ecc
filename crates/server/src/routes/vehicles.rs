//! The vehicle registry (issue 6): vehicles seen at verified incidents. Any member searches it
//! by plate (partial, wildcards, confusable characters) or by voice; responders set a vehicle's
//! status (confirmed, suspected, cleared) with why, in the audit log.

use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::rapid::input;
use crate::rapid::search::{search, search_spoken};
use crate::rapid::views::VehicleView;
use crate::state::AppState;
use amparo_core::ids::VehicleId;
use amparo_core::plate::Pattern;
use amparo_core::roles::Role;
use amparo_store::{ResponderAction, VehicleStatusChange};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Json;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Results one search returns.
const RESULTS: usize = 20;
/// Longest transcript, in characters.
const MAX_TRANSCRIPT: usize = 300;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/vehicles", get(find))
        .route("/api/v1/vehicles/spoken", post(spoken))
        .route("/api/v1/vehicles/{id}", get(read))
        .route("/api/v1/vehicles/{id}/status", post(set_status))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Part of a plate; `?` for one unknown character, `*` for several (then anchored:
    /// `7AB*` starts with 7AB). 0/O/D/Q, 1/I/L, 2/Z, 5/S, 6/G and 8/B find each other.
    pub plate: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchView {
    /// The query as searched (canonical form).
    pub query: String,
    pub results: Vec<VehicleView>,
}

/// Searches the registry by plate, best first: closeness, then recency of confirmation.
#[utoipa::path(get, path = "/api/v1/vehicles", tag = "rapid", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = SearchView), (status = 400), (status = 401)))]
pub async fn find(
    State(state): State<AppState>,
    _account: CurrentAccount,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchView>, ApiError> {
    let pattern = Pattern::parse(&query.plate).map_err(|e| ApiError::invalid_field("plate", format!("plate: {e}.")))?;
    let found = search(&*state.store, &pattern, now_us(), RESULTS).await?;
    Ok(Json(SearchView {
        query: pattern.as_str().to_owned(),
        results: found.iter().map(|(v, r)| VehicleView::ranked(v, r)).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpokenInput {
    /// What speech recognition heard, English or Spanish ("siete a de adán be uno dos tres").
    pub transcript: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingView {
    pub plate: String,
    /// In (0, 1]: how sure the reading is.
    pub confidence: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpokenView {
    /// The plates the transcript may spell, likeliest first.
    pub readings: Vec<ReadingView>,
    pub results: Vec<VehicleView>,
}

/// Turns a spoken plate into candidate plates and searches for each.
#[utoipa::path(post, path = "/api/v1/vehicles/spoken", tag = "rapid", security(("bearer" = [])), request_body = SpokenInput,
    responses((status = 200, body = SpokenView), (status = 400), (status = 401)))]
pub async fn spoken(
    State(state): State<AppState>,
    _account: CurrentAccount,
    ApiJson(body): ApiJson<SpokenInput>,
) -> Result<Json<SpokenView>, ApiError> {
    let transcript = input::text("transcript", &body.transcript, MAX_TRANSCRIPT)?;
    let (readings, found) = search_spoken(&*state.store, &transcript, now_us(), RESULTS).await?;
    Ok(Json(SpokenView {
        readings: readings
            .into_iter()
            .map(|(plate, confidence)| ReadingView {
                plate: plate.to_string(),
                confidence: (confidence * 1_000.0).round() / 1_000.0,
            })
            .collect(),
        results: found
            .iter()
            .map(|(v, score)| VehicleView {
                score: Some((score * 1_000.0).round() / 1_000.0),
                ..VehicleView::new(v)
            })
            .collect(),
    }))
}

/// One vehicle and where it was seen.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = VehicleView), (status = 401), (status = 404)))]
pub async fn read(
    State(state): State<AppState>,
    _account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<VehicleView>, ApiError> {
    let id: VehicleId = input::id(&id, "vehicle")?;
    let vehicle = state
        .store
        .vehicle(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such vehicle."))?;
    let sightings = state.store.sightings_of(id).await?;
    Ok(Json(VehicleView::with_sightings(&vehicle, &sightings)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// confirmed, suspected or cleared.
    pub status: String,
    /// Why ("a rental, returned to the public", "wrong plate in the report").
    pub reason: String,
}

/// Sets a vehicle's status, with why (responders).
#[utoipa::path(post, path = "/api/v1/vehicles/{id}/status", tag = "rapid", security(("bearer" = [])), request_body = StatusInput,
    responses((status = 200, body = VehicleView), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn set_status(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusInput>,
) -> Result<Json<VehicleView>, ApiError> {
    account.require(Role::Responder)?;
    let id: VehicleId = input::id(&id, "vehicle")?;
    let status = amparo_store::rapid::status(&body.status)
        .map_err(|_| ApiError::invalid_field("status", "status: use confirmed, suspected or cleared."))?;
    let reason = input::note("reason", &body.reason)?;
    let now = now_us();
    let change = VehicleStatusChange {
        status,
        reason: reason.clone(),
        by: account.0.id,
        at_us: now,
    };
    let action = ResponderAction {
        at_us: now,
        responder: account.0.id,
        action: "vehicle_status".into(),
        report: None,
        incident: None,
        vehicle: Some(id),
        note: format!("{}: {reason}", body.status),
    };
    let vehicle = state.store.set_vehicle_status(id, &change, &action).await?;
    Ok(Json(VehicleView::new(&vehicle)))
}
