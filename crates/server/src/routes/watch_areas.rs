//! A subscriber's watch areas (issue 6): a point with a radius, or neighbourhood cells, kept as
//! H3 cells at the network's precision. The point and radius are not kept: an area drawn
//! around a home should not say where the home is.

use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::rapid::input;
use crate::rapid::views::WatchAreaView;
use crate::state::AppState;
use amparo_core::geo::{Area, Cell, GeoError};
use amparo_core::ids::WatchAreaId;
use amparo_store::rapid::MAX_WATCH_AREAS_PER_ACCOUNT;
use amparo_store::{StoreError, WatchArea};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/watch-areas", get(list).post(create))
        .route("/api/v1/watch-areas/{id}", delete(remove))
}

/// A circle around a point.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CircleInput {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: u32,
}

/// One of `circle` or `cells`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchAreaInput {
    /// The subscriber's own name for it ("home", "school").
    pub label: String,
    pub circle: Option<CircleInput>,
    /// H3 cells picked on the map (coarser ones count as all their cells at the network's
    /// precision).
    pub cells: Option<Vec<String>>,
}

#[utoipa::path(get, path = "/api/v1/watch-areas", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = Vec<WatchAreaView>), (status = 401)))]
pub async fn list(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<Vec<WatchAreaView>>, ApiError> {
    let areas = state.store.watch_areas_of(account.0.id).await?;
    Ok(Json(areas.iter().map(WatchAreaView::from).collect()))
}

/// Adds a watch area: verified incidents in it are sent to the caller.
#[utoipa::path(post, path = "/api/v1/watch-areas", tag = "rapid", security(("bearer" = [])), request_body = WatchAreaInput,
    responses((status = 201, body = WatchAreaView), (status = 400), (status = 401), (status = 409, description = "Too many areas")))]
pub async fn create(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(body): ApiJson<WatchAreaInput>,
) -> Result<Response, ApiError> {
    let label = input::text("label", &body.label, 60)?;
    let (area, field) = match (body.circle, body.cells) {
        (Some(c), None) => (
            Area::Circle {
                latitude: c.latitude,
                longitude: c.longitude,
                radius_m: c.radius_m,
            },
            "circle",
        ),
        (None, Some(cells)) => {
            let parsed: Result<Vec<Cell>, GeoError> = cells.iter().map(|c| c.parse()).collect();
            let parsed = parsed.map_err(|e| ApiError::invalid_field("cells", format!("cells: {e}.")))?;
            (Area::Cells(parsed), "cells")
        }
        _ => {
            return Err(ApiError::bad_request(
                "Send either a circle (latitude, longitude, radius_m) or cells.",
            ));
        }
    };
    let max = usize::try_from(state.limits.watch_area_max_cells).unwrap_or(usize::MAX);
    let cells = state
        .limits
        .precision()
        .cover(&area, max)
        .map_err(|e| ApiError::invalid_field(field, format!("{field}: {e}.")))?;
    let area = WatchArea {
        id: WatchAreaId::new(),
        account: account.0.id,
        label,
        cells,
        created_at_us: now_us(),
    };
    state
        .store
        .save_watch_area(&area, MAX_WATCH_AREAS_PER_ACCOUNT)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict(format!(
                "You already watch {MAX_WATCH_AREAS_PER_ACCOUNT} areas: delete one first."
            )),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(WatchAreaView::from(&area))).into_response())
}

/// Stops watching an area.
#[utoipa::path(delete, path = "/api/v1/watch-areas/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: WatchAreaId = input::id(&id, "watch area")?;
    if state.store.delete_watch_area(account.0.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("No such watch area of yours."))
    }
}
