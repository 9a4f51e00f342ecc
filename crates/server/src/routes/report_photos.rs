//! Report photos (issue 6). The reporter attaches photos to their report while it waits for a
//! responder; every upload is decoded and re-encoded (`rapid::photo`) before anything is stored,
//! so no file name, device, time or place from the phone is kept.
//!
//! Who sees a photo: its reporter and responders. Once its report is verified or merged into an
//! incident, subscribers who may read that incident see the photos a responder marked shareable
//! (none by default), until the incident is withdrawn. Responders see the photos of a registry
//! vehicle's sightings. To anyone else a photo does not exist (404, never 403).

use super::incidents::watched_cells;
use super::photo_upload;
use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::rapid::input;
use crate::rapid::photo_view::PhotoView;
use crate::state::AppState;
use amparo_core::ids::{IncidentId, PhotoId, ReportId, VehicleId};
use amparo_core::roles::Role;
use amparo_store::{ReportPhoto, ResponderAction};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post, put};
use object_store::ObjectStoreExt;
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/{id}/photos", post(photo_upload::upload).get(of_report))
        .route(
            "/api/v1/photos/{id}",
            get(image).delete(super::report_deletes::delete_photo),
        )
        .route("/api/v1/photos/{id}/shareable", put(share))
        .route("/api/v1/incidents/{id}/photos", get(of_incident))
        .route("/api/v1/vehicles/{id}/photos", get(of_vehicle))
}

/// A report's photos: for its reporter and for responders.
#[utoipa::path(get, path = "/api/v1/reports/{id}/photos", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = Vec<PhotoView>), (status = 401), (status = 404)))]
pub async fn of_report(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Vec<PhotoView>>, ApiError> {
    let id: ReportId = input::id(&id, "report")?;
    let report = state.store.report(id).await?;
    if !report.is_some_and(|r| r.reporter == account.0.id || account.0.has_role(Role::Responder)) {
        return Err(ApiError::not_found("No such report."));
    }
    let photos = state.store.photos_of_report(id).await?;
    Ok(Json(photos.iter().map(|p| PhotoView::new(p, true)).collect()))
}

/// A photo's bytes (JPEG), for whoever may see it.
#[utoipa::path(get, path = "/api/v1/photos/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, content_type = "image/jpeg"), (status = 401), (status = 404)))]
pub async fn image(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: PhotoId = input::id(&id, "photo")?;
    let photo = state.store.report_photo(id).await?;
    let photo = match photo {
        Some(photo) if may_see(&state, &account, &photo).await? => photo,
        _ => return Err(ApiError::not_found("No such photo.")),
    };
    let key = object_store::path::Path::from(photo.blob_key());
    let bytes = state
        .blobs
        .get(&key)
        .await
        .map_err(ApiError::internal)?
        .bytes()
        .await
        .map_err(ApiError::internal)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // Photos of raids are not for shared caches, nor for a shared phone's disk.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// Responders; the reporter; a subscriber of the incident it became, once shared and while the
/// incident stands.
async fn may_see(state: &AppState, account: &CurrentAccount, photo: &ReportPhoto) -> Result<bool, ApiError> {
    if account.0.has_role(Role::Responder) {
        return Ok(true);
    }
    let Some(report) = state.store.report(photo.report).await? else {
        return Ok(false);
    };
    if report.reporter == account.0.id {
        return Ok(true);
    }
    if !photo.shareable {
        return Ok(false);
    }
    match report.incident {
        Some(incident) => Ok(subscriber_may_read(state, account, incident).await?),
        None => Ok(false),
    }
}

/// Whether a subscriber may read this incident's shared photos: it stands, in their areas.
async fn subscriber_may_read(state: &AppState, account: &CurrentAccount, id: IncidentId) -> Result<bool, ApiError> {
    match state.store.incident(id).await? {
        Some(incident) if incident.withdrawn_at_us.is_none() => {
            Ok(watched_cells(state, account).await?.contains(&incident.cell))
        }
        _ => Ok(false),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    /// Whether subscribers see this photo with the verified incident.
    pub shareable: bool,
}

/// A responder shows a photo to the incident's subscribers, or stops showing it. Look for faces,
/// house numbers and plates of people who are not involved before sharing.
#[utoipa::path(put, path = "/api/v1/photos/{id}/shareable", tag = "rapid", security(("bearer" = [])), request_body = ShareInput,
    responses((status = 200, body = PhotoView), (status = 401), (status = 403), (status = 404)))]
pub async fn share(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShareInput>,
) -> Result<Json<PhotoView>, ApiError> {
    account.require(Role::Responder)?;
    let id: PhotoId = input::id(&id, "photo")?;
    let photo = state
        .store
        .report_photo(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such photo."))?;
    let incident = state.store.report(photo.report).await?.and_then(|r| r.incident);
    let action = ResponderAction {
        at_us: now_us(),
        responder: account.0.id,
        action: if body.shareable { "photo_share" } else { "photo_unshare" }.to_owned(),
        report: Some(photo.report),
        incident,
        vehicle: None,
        note: format!("photo {id}"),
    };
    let photo = state.store.set_photo_shareable(id, body.shareable, &action).await?;
    Ok(Json(PhotoView::new(&photo, true)))
}

/// An incident's photos: all of them for responders; for its subscribers, those shared.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/photos", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = Vec<PhotoView>), (status = 401), (status = 404)))]
pub async fn of_incident(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Vec<PhotoView>>, ApiError> {
    let id: IncidentId = input::id(&id, "incident")?;
    let responder = account.0.has_role(Role::Responder);
    let exists = state.store.incident(id).await?.is_some();
    if !exists || (!responder && !subscriber_may_read(&state, &account, id).await?) {
        return Err(ApiError::not_found("No such incident in your watch areas."));
    }
    let photos = state.store.photos_of_incident(id).await?;
    Ok(Json(
        photos
            .iter()
            .filter(|p| responder || p.shareable)
            .map(|p| PhotoView::new(p, responder))
            .collect(),
    ))
}

/// The photos of a registry vehicle's sightings (the reports of the incidents it was seen at),
/// for responders.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/photos", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = Vec<PhotoView>), (status = 401), (status = 403), (status = 404)))]
pub async fn of_vehicle(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Vec<PhotoView>>, ApiError> {
    account.require(Role::Responder)?;
    let id: VehicleId = input::id(&id, "vehicle")?;
    if state.store.vehicle(id).await?.is_none() {
        return Err(ApiError::not_found("No such vehicle."));
    }
    let mut views = Vec::new();
    for sighting in state.store.sightings_of(id).await? {
        let photos = state.store.photos_of_incident(sighting.incident).await?;
        views.extend(photos.iter().map(|p| PhotoView::new(p, true)));
    }
    Ok(Json(views))
}
