//! Verified incidents (issue 6). A subscriber sees the incidents in their watch areas (never
//! who verified them); a responder sees any, with who verified it (also those near a cell, to
//! merge a report into or to manage), and updates or withdraws one, which tells its subscribers
//! again.

use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::rapid::deliver::{self, Event};
use crate::rapid::input;
use crate::rapid::views::IncidentView;
use crate::state::AppState;
use amparo_core::geo::Cell;
use amparo_core::ids::IncidentId;
use amparo_core::roles::Role;
use amparo_store::{Incident, ResponderAction};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Json;
use axum::routing::get;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// How far back the incident list looks by default: a day.
const DEFAULT_SINCE_US: i64 = 24 * 60 * 60 * 1_000_000;
/// The most rings around `near` a responder's list looks (331 cells, several kilometres at
/// the default precision).
const MAX_NEAR_RINGS: u32 = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list))
        .route("/api/v1/incidents/{id}", get(read).patch(update))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Incidents updated in the last this many hours (default 24, at most 720).
    pub hours: Option<u32>,
    /// Responders: the incidents within `rings` of this H3 cell instead of their watch areas.
    pub near: Option<String>,
    /// With `near`: how many rings of cells around it (default 2, at most 10).
    pub rings: Option<u32>,
}

/// The verified incidents in the caller's watch areas (or, for responders, near a cell), most
/// recently updated first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "rapid", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Vec<IncidentView>), (status = 400), (status = 401), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<IncidentView>>, ApiError> {
    let since = match query.hours {
        Some(hours) => now_us() - i64::from(hours.clamp(1, 720)) * 3_600_000_000,
        None => now_us() - DEFAULT_SINCE_US,
    };
    let cells = match query.near.as_deref() {
        Some(near) => near_cells(&account, near, query.rings)?,
        None => watched_cells(&state, &account).await?,
    };
    let incidents = state.store.incidents_in(&cells, since, 200).await?;
    Ok(Json(incidents.iter().map(|i| view_for(&account, i)).collect()))
}

/// The cells within `rings` of `near`, for a responder.
fn near_cells(account: &CurrentAccount, near: &str, rings: Option<u32>) -> Result<Vec<Cell>, ApiError> {
    account.require(Role::Responder)?;
    let near: Cell = near
        .parse()
        .map_err(|e| ApiError::invalid_field("near", format!("near: {e}.")))?;
    let rings = rings.unwrap_or(2);
    if rings > MAX_NEAR_RINGS {
        return Err(ApiError::invalid_field(
            "rings",
            format!("rings: at most {MAX_NEAR_RINGS}."),
        ));
    }
    Ok(near.disk(rings))
}

/// Every cell of the caller's watch areas, sorted, each once.
pub(crate) async fn watched_cells(state: &AppState, account: &CurrentAccount) -> Result<Vec<Cell>, ApiError> {
    let areas = state.store.watch_areas_of(account.0.id).await?;
    let mut cells: Vec<Cell> = areas.into_iter().flat_map(|a| a.cells).collect();
    cells.sort_unstable();
    cells.dedup();
    Ok(cells)
}

fn view_for(account: &CurrentAccount, incident: &Incident) -> IncidentView {
    if account.0.has_role(Role::Responder) {
        IncidentView::for_responders(incident)
    } else {
        IncidentView::public(incident)
    }
}

/// One incident: for responders, or for a subscriber whose areas hold it.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = IncidentView), (status = 401), (status = 404)))]
pub async fn read(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    let incident = find(&state, &id).await?;
    if !account.0.has_role(Role::Responder) && !watched_cells(&state, &account).await?.contains(&incident.cell) {
        return Err(ApiError::not_found("No such incident in your watch areas."));
    }
    Ok(Json(view_for(&account, &incident)))
}

/// The incident by its id in a path, or a 404 a person can read (also for the observers' routes).
pub(crate) async fn find(state: &AppState, id: &str) -> Result<Incident, ApiError> {
    let id: IncidentId = input::id(id, "incident")?;
    state
        .store
        .incident(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such incident."))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdate {
    /// What subscribers read now.
    pub description: Option<String>,
    /// Why it changed ("they moved two blocks north", "it was a film set").
    pub note: String,
    /// Withdraws the incident: subscribers are told it no longer stands.
    #[serde(default)]
    pub withdrawn: bool,
}

/// Updates or withdraws an incident; its subscribers are told.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "rapid", security(("bearer" = [])), request_body = IncidentUpdate,
    responses((status = 200, body = IncidentView), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "Already withdrawn")))]
pub async fn update(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IncidentUpdate>,
) -> Result<Json<IncidentView>, ApiError> {
    account.require(Role::Responder)?;
    let note = input::note("note", &body.note)?;
    let description = body.description.as_deref().map(input::description).transpose()?;
    let incident = find(&state, &id).await?;
    if incident.withdrawn_at_us.is_some() {
        return Err(ApiError::conflict(
            "This incident was withdrawn: it can no longer change.",
        ));
    }
    let now = now_us();
    let updated = Incident {
        description: description.unwrap_or_else(|| incident.description.clone()),
        updated_at_us: now,
        withdrawn_at_us: body.withdrawn.then_some(now),
        note: Some(note.clone()),
        ..incident
    };
    let event = if body.withdrawn {
        Event::Withdrawn
    } else {
        Event::Updated
    };
    let action = ResponderAction {
        at_us: now,
        responder: account.0.id,
        action: if body.withdrawn { "withdraw" } else { "update" }.to_owned(),
        report: None,
        incident: Some(updated.id),
        vehicle: None,
        note,
    };
    state.store.update_incident(&updated, &action).await?;
    deliver::announce(&state, &updated, event).await?;
    if body.withdrawn {
        // Nobody is sent to an incident that no longer stands; those on the way are told.
        let incident = updated.id;
        state
            .observers
            .send(crate::observers::Command::Cancel { incident })
            .await;
    }
    Ok(Json(IncidentView::for_responders(&updated)))
}
