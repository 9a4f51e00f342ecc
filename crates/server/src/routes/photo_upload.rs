//! Adding a photo to a report (issue 6): only its reporter, only while it waits for a responder,
//! only an image we can decode, within the size and count limits. The bytes stored are
//! `rapid::photo::clean`'s JPEG, written before the row; a refused row removes them again, so a
//! refusal leaves nothing behind and takes nothing already stored. The app may choose the
//! photo's id (`?id=`), so sending it again after a lost answer finds the one stored.

use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::rapid::input;
use crate::rapid::photo::{self, PhotoError};
use crate::rapid::photo_view::PhotoView;
use crate::state::AppState;
use amparo_core::ids::{PhotoId, ReportId};
use amparo_core::rapid::ReportState;
use amparo_store::{Report, ReportPhoto, StoreError};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use object_store::{ObjectStoreExt, PutPayload};
use serde::Deserialize;
use tokio::sync::Semaphore;
use utoipa::IntoParams;

/// Photos decoded at once: decoding takes a core, and the server has others to serve.
static DECODING: Semaphore = Semaphore::const_new(2);

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The photo's id, chosen by the app (a random UUID), so that sending it again after a lost
    /// answer never adds it twice: a photo already stored under it is answered with 200.
    pub id: Option<String>,
}

/// Attaches a photo to the caller's report. The body is the image itself (JPEG, PNG or WebP, at
/// most `limits.max_photo_bytes`); what is kept is a new JPEG drawn from its pixels alone.
#[utoipa::path(post, path = "/api/v1/reports/{id}/photos", tag = "rapid", security(("bearer" = [])),
    params(UploadQuery), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = PhotoView), (status = 200, body = PhotoView, description = "Already stored under this id"),
        (status = 400), (status = 401), (status = 404),
        (status = 409, description = "The report was decided or expired, or has its photos already"),
        (status = 413), (status = 415), (status = 422)))]
pub async fn upload(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let chosen: Option<PhotoId> = input::chosen_id(query.id.as_deref(), "id")?;
    // A retry of a photo already stored answers with it, even once the report was decided.
    if let Some(photo) = chosen
        && let Some(stored) = already_stored(&state, &account, photo).await?
    {
        return Ok(stored);
    }
    let report = own_open_report(&state, &account, &id).await?;
    let max = usize::try_from(state.limits.max_photos_per_report).unwrap_or(usize::MAX);
    // Checked before the body is read and decoded; the store checks again when it adds the row.
    if state.store.photos_of_report(report.id).await?.len() >= max {
        return Err(full(max));
    }
    let bytes = read_body(&state, &headers, body).await?;
    let side = state.limits.max_photo_side;
    let clean = {
        let _turn = DECODING.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || photo::clean(&bytes, side))
            .await
            .map_err(ApiError::internal)?
            .map_err(refused)?
    };
    let photo = ReportPhoto {
        id: chosen.unwrap_or_default(),
        report: report.id,
        width: clean.width,
        height: clean.height,
        size_bytes: clean.jpeg.len() as u64,
        created_at_us: now_us(),
        shareable: false,
    };
    let key = object_store::path::Path::from(photo.blob_key());
    state
        .blobs
        .put(&key, PutPayload::from(clean.jpeg))
        .await
        .map_err(ApiError::internal)?;
    if let Err(error) = state.store.add_report_photo(&photo, max).await {
        // Two sends of one photo at once: the other wrote the same key and its row. Its bytes
        // are these bytes: keep them, and answer with its row.
        if chosen.is_some()
            && let Some(stored) = already_stored(&state, &account, photo.id).await?
        {
            return Ok(stored);
        }
        // No row, so nobody can reach these bytes: remove them rather than keep them.
        if let Err(e) = state.blobs.delete(&key).await {
            tracing::warn!(error = %e, photo = %photo.id, "a refused photo's bytes were not deleted");
        }
        return Err(match error {
            StoreError::Conflict(_) => full(max),
            other => other.into(),
        });
    }
    Ok((StatusCode::CREATED, Json(PhotoView::new(&photo, true))).into_response())
}

/// The photo stored under `id`, as a 200 answer, if it is on one of the caller's reports; 409 if
/// the id is someone else's.
async fn already_stored(state: &AppState, account: &CurrentAccount, id: PhotoId) -> Result<Option<Response>, ApiError> {
    let Some(photo) = state.store.report_photo(id).await? else {
        return Ok(None);
    };
    let report = state.store.report(photo.report).await?;
    if report.is_some_and(|r| r.reporter == account.0.id) {
        return Ok(Some(
            (StatusCode::OK, Json(PhotoView::new(&photo, true))).into_response(),
        ));
    }
    Err(ApiError::conflict(
        "This photo id is taken. Send the photo again with a new random id (or none).",
    ))
}

async fn own_open_report(state: &AppState, account: &CurrentAccount, id: &str) -> Result<Report, ApiError> {
    let id: ReportId = input::id(id, "report")?;
    let report = state
        .store
        .report(id)
        .await?
        .filter(|r| r.reporter == account.0.id)
        .ok_or_else(|| ApiError::not_found("No such report of yours: only its reporter adds photos to a report."))?;
    if report.state != ReportState::Unverified || report.expires_at_us <= now_us() {
        return Err(ApiError::conflict(
            "Photos can be added only while the report waits for a responder; this one was decided or has expired. Make a new report if it is still happening.",
        ));
    }
    Ok(report)
}

fn full(max: usize) -> ApiError {
    ApiError::conflict(format!(
        "This report has {max} photos, the most a report may have. Nothing was added."
    ))
}

/// The request body, refusing more than the limit before reading past it.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<bytes::Bytes, ApiError> {
    let limit = state.limits.max_photo_bytes;
    let too_large = || {
        ApiError::too_large(format!(
            "A photo may be at most {} MB. Send a smaller one (phones can share a photo at a smaller size).",
            limit / (1024 * 1024)
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, usize::try_from(limit).unwrap_or(usize::MAX))
        .await
        .map_err(|_| too_large())?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "The request has no photo in it: send the image's bytes as the body.",
        ));
    }
    Ok(bytes)
}

fn refused(error: PhotoError) -> ApiError {
    let status = match error {
        PhotoError::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        PhotoError::Unreadable => StatusCode::UNPROCESSABLE_ENTITY,
        PhotoError::TooManyPixels { .. } => StatusCode::PAYLOAD_TOO_LARGE,
    };
    ApiError::new(status, "Not a photo we can keep", error.to_string())
}
