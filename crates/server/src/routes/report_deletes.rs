//! A reporter deletes their own report or photo (issue 6). Only the reporter may, whatever the
//! report's state; to anyone else the report or photo does not exist (404).
//!
//! The rule (README, "Deleting a report or a photo"): the report, its questions and its
//! photos go, rows and bytes. A report verified or merged into an incident leaves the incident
//! as the responders verified it (its kind, place, time, their description, how and when they
//! verified it, its vehicles' sightings): those are the responders' facts, already sent to
//! people as an alert, and the incident row holds nothing of the reporter's. The responders'
//! actions stay in the audit log; the deletion itself is not logged (it is not a responder's).

use crate::auth::CurrentAccount;
use crate::error::ApiError;
use crate::rapid::input;
use crate::rapid::purge::remove_blobs;
use crate::state::AppState;
use amparo_core::ids::{PhotoId, ReportId};
use amparo_store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Deletes the caller's report, with its questions and photos.
#[utoipa::path(delete, path = "/api/v1/reports/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete_report(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ReportId = input::id(&id, "report")?;
    let photos = state
        .store
        .delete_report(id, account.0.id)
        .await
        .map_err(|e| mine_only(e, "No such report of yours: only its reporter can delete a report."))?;
    remove_blobs(state.blobs.as_ref(), &photos).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a photo of one of the caller's reports.
#[utoipa::path(delete, path = "/api/v1/photos/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete_photo(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: PhotoId = input::id(&id, "photo")?;
    let photo = state.store.delete_report_photo(id, account.0.id).await.map_err(|e| {
        mine_only(
            e,
            "No such photo of yours: only the reporter can delete a report's photo.",
        )
    })?;
    remove_blobs(state.blobs.as_ref(), std::slice::from_ref(&photo)).await;
    Ok(StatusCode::NO_CONTENT)
}

fn mine_only(error: StoreError, detail: &str) -> ApiError {
    match error {
        StoreError::NotFound(_) => ApiError::not_found(detail),
        other => other.into(),
    }
}
