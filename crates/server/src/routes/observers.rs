//! Legal observers (issue 6), the responder's side of the switch and the request: a responder
//! says they are available (a cell only, from the phone's location or picked; never stored) or
//! not; responders ask for observers at a verified incident, see who is on the way, and call it
//! off. Only responders may; subscribers never see anything about observers.

use super::incidents::find;
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::observers::messages::ObserverView;
use crate::observers::{Command, RequestView, ask, counted};
use crate::rapid::input::PlaceInput;
use crate::rapid::views::PlaceView;
use crate::state::AppState;
use amparo_core::ids::IncidentId;
use amparo_core::roles::Role;
use amparo_store::ResponderAction;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::{get, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/observers/availability",
            put(set_availability).get(availability),
        )
        .route(
            "/api/v1/incidents/{id}/observers",
            get(list).post(request).delete(cancel),
        )
        .merge(super::observer_answers::routes())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityInput {
    pub available: bool,
    /// Where the responder is, when available: a point (turned into its cell here and dropped)
    /// or a cell. Send it again every few minutes to stay available.
    pub place: Option<PlaceInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub incident: String,
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub available: bool,
    /// The cell the server holds for you (only this one, only while available).
    pub place: Option<PlaceView>,
    /// When your availability lapses without a refresh.
    pub until: Option<String>,
    /// The incident you are on the way to, if any.
    pub on_the_way_to: Option<String>,
    /// Offers waiting for your answer.
    pub offers: Vec<OfferView>,
}

/// Marks the caller available (in a cell) or unavailable.
#[utoipa::path(put, path = "/api/v1/observers/availability", tag = "observers", security(("bearer" = [])),
    request_body = AvailabilityInput,
    responses((status = 200, body = AvailabilityView), (status = 400), (status = 401), (status = 403)))]
pub async fn set_availability(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(body): ApiJson<AvailabilityInput>,
) -> Result<Json<AvailabilityView>, ApiError> {
    account.require(Role::Responder)?;
    let responder = account.0.id;
    let on_the_way_to = state.observers.on_the_way_to(responder).map(|i| i.to_string());
    if !body.available {
        state.observers.unavailable(responder).await;
        return Ok(Json(AvailabilityView {
            available: false,
            place: None,
            until: None,
            on_the_way_to,
            offers: Vec::new(),
        }));
    }
    let place = body.place.ok_or_else(|| {
        ApiError::invalid_field(
            "place",
            "place: say where you are (your location or a cell) to be available.",
        )
    })?;
    let cell = place.cell(state.limits.precision(), "place")?;
    state.observers.available(responder, cell).await;
    let ttl_us = state.observers.config.core().availability_ttl_us;
    Ok(Json(AvailabilityView {
        available: true,
        place: Some(PlaceView::from(cell)),
        until: Some(rfc3339(now_us().saturating_add(ttl_us))),
        on_the_way_to,
        offers: offers(&state, &account),
    }))
}

fn offers(state: &AppState, account: &CurrentAccount) -> Vec<OfferView> {
    let offers = state.observers.offers_of(account.0.id);
    offers
        .into_iter()
        .map(|(incident, at)| OfferView {
            incident: incident.to_string(),
            expires_at: rfc3339(at),
        })
        .collect()
}

/// The caller's availability as the server holds it, and their offers.
#[utoipa::path(get, path = "/api/v1/observers/availability", tag = "observers", security(("bearer" = [])),
    responses((status = 200, body = AvailabilityView), (status = 401), (status = 403)))]
pub async fn availability(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<AvailabilityView>, ApiError> {
    account.require(Role::Responder)?;
    let held = state.observers.availability(account.0.id);
    Ok(Json(AvailabilityView {
        available: held.is_some(),
        place: held.as_ref().map(|a| PlaceView::from(a.cell)),
        until: held.map(|a| rfc3339(a.until_us)),
        on_the_way_to: state.observers.on_the_way_to(account.0.id).map(|i| i.to_string()),
        offers: offers(&state, &account),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// How many observers the incident should have in all (1 to 10; default 1). To ask for
    /// one more, send how many it has plus one.
    pub observers: Option<u32>,
}

/// Asks the nearest available responders to go to the incident as legal observers.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/observers", tag = "observers", security(("bearer" = [])),
    request_body = RequestInput,
    responses((status = 202, body = RequestView), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "The incident was withdrawn")))]
pub async fn request(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RequestInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    account.require(Role::Responder)?;
    let incident = find(&state, &id).await?;
    let wanted = body.observers.unwrap_or(1);
    let view = ask(&state, account.0.id, incident, wanted).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObserversView {
    pub request: RequestView,
    /// Who was sent, in the order they accepted: a display name and times only.
    pub observers: Vec<ObserverView>,
}

/// The incident's observers and where its request stands (responders only).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/observers", tag = "observers", security(("bearer" = [])),
    responses((status = 200, body = ObserversView), (status = 401), (status = 403), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<ObserversView>, ApiError> {
    account.require(Role::Responder)?;
    let incident = find(&state, &id).await?;
    let sent = state.store.observers_of(incident.id).await?;
    let status = state.observers.status(incident.id);
    let wanted = state
        .store
        .observer_request(incident.id)
        .await?
        .filter(|r| r.closed_at_us.is_none())
        .map_or(0, |r| r.wanted);
    Ok(Json(ObserversView {
        request: RequestView::new(status.as_ref(), wanted, counted(&sent)),
        observers: sent.iter().map(|d| ObserverView::new(d, account.0.id)).collect(),
    }))
}

/// Calls the request off: offers are withdrawn and observers on the way are told.
#[utoipa::path(delete, path = "/api/v1/incidents/{id}/observers", tag = "observers", security(("bearer" = [])),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn cancel(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    account.require(Role::Responder)?;
    let incident = find(&state, &id).await?;
    state
        .store
        .log_responder_action(&action(&account, "cancel_observers", incident.id))
        .await?;
    state.observers.send(Command::Cancel { incident: incident.id }).await;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn action(account: &CurrentAccount, what: &str, incident: IncidentId) -> ResponderAction {
    ResponderAction {
        at_us: now_us(),
        responder: account.0.id,
        action: what.to_owned(),
        report: None,
        incident: Some(incident),
        vehicle: None,
        note: String::new(),
    }
}
