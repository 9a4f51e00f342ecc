//! The cells around a point (issue 6): what the app's map draws so a member can pick where they
//! saw something, or a subscriber the cells of a neighbourhood, with no map tiles. Nothing is
//! kept: the point is turned into cells and forgotten.

use crate::auth::CurrentAccount;
use crate::error::ApiError;
use crate::rapid::views::PlaceView;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Json;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Rings around the centre when none are asked for: a few blocks each way.
const DEFAULT_RINGS: u32 = 3;
/// The most rings one answer draws (127 cells at 6).
pub const MAX_RINGS: u32 = 6;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/cells", get(around))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AroundQuery {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Or a cell to centre on (brought to the network's precision).
    pub cell: Option<String>,
    /// Rings of neighbours around the centre cell (default 3, at most 6).
    pub rings: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CellsView {
    /// The cell holding the point, at the network's precision.
    pub centre: PlaceView,
    /// The centre and its neighbours, each with its corners.
    pub cells: Vec<PlaceView>,
}

/// The network's cells around a point or a cell, with their corners, to draw a map.
#[utoipa::path(get, path = "/api/v1/cells", tag = "rapid", security(("bearer" = [])), params(AroundQuery),
    responses((status = 200, body = CellsView), (status = 400), (status = 401)))]
pub async fn around(
    State(state): State<AppState>,
    _account: CurrentAccount,
    Query(query): Query<AroundQuery>,
) -> Result<Json<CellsView>, ApiError> {
    let place = crate::rapid::input::PlaceInput {
        latitude: query.latitude,
        longitude: query.longitude,
        cell: query.cell,
    };
    let centre = place.cell(state.limits.precision(), "place")?;
    let rings = query.rings.unwrap_or(DEFAULT_RINGS);
    if rings > MAX_RINGS {
        return Err(ApiError::invalid_field("rings", format!("rings: at most {MAX_RINGS}.")));
    }
    Ok(Json(CellsView {
        centre: centre.into(),
        cells: centre.disk(rings).into_iter().map(PlaceView::from).collect(),
    }))
}
