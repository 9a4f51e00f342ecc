//! Legal observers (issue 6), the observer's side: accept or decline an offer, then mark
//! arrived and done. Each is a responder's action in the audit log; the accept is answered only
//! once the observer's row is written, so the incident page shows them from then on.

use super::incidents::find;
use super::observers::action;
use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::observers::messages::ObserverView;
use crate::observers::{Command, Refused};
use crate::state::AppState;
use amparo_core::observers::RefuseReason;
use amparo_core::roles::Role;
use amparo_store::ObserverMark;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::post;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/observers/accept", post(accept))
        .route("/api/v1/incidents/{id}/observers/decline", post(decline))
        .route("/api/v1/incidents/{id}/observers/arrived", post(arrived))
        .route("/api/v1/incidents/{id}/observers/done", post(done))
}

fn stopped() -> ApiError {
    ApiError::unavailable("The server is restarting: try again in a moment.")
}

/// Accepts the offer to observe at this incident: the first to accept goes.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/observers/accept", tag = "observers", security(("bearer" = [])),
    responses((status = 200, body = ObserverView), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "Someone else accepted first, the offer ran out, or there is none")))]
pub async fn accept(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<ObserverView>, ApiError> {
    account.require(Role::Responder)?;
    let incident = find(&state, &id).await?;
    let answer = state
        .observers
        .accept(account.0.id, account.0.username.clone(), incident.id)
        .await;
    match answer.ok_or_else(stopped)? {
        Ok(row) => Ok(Json(ObserverView::new(&row, account.0.id))),
        Err(Refused::Core(RefuseReason::AlreadyTaken)) => Err(ApiError::conflict(
            "Another responder accepted first: this incident has the observers it asked for.",
        )),
        Err(Refused::Core(RefuseReason::Expired)) => Err(ApiError::conflict(
            "This offer ran out before you accepted, and went to the next nearest responder.",
        )),
        Err(Refused::Core(_)) => Err(ApiError::conflict(
            "There is no offer for you at this incident now: it was withdrawn, or never made.",
        )),
        Err(Refused::NotSaved) => Err(ApiError::unavailable(
            "Your acceptance could not be saved: try again in a moment.",
        )),
    }
}

/// Declines the offer: the next nearest responder is asked.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/observers/decline", tag = "observers", security(("bearer" = [])),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn decline(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    account.require(Role::Responder)?;
    let incident = find(&state, &id).await?;
    let declined = state.observers.decline(account.0.id, incident.id).await;
    if !declined.ok_or_else(stopped)? {
        return Err(ApiError::conflict(
            "There is no offer for you at this incident to decline.",
        ));
    }
    state
        .store
        .log_responder_action(&action(&account, "observer_decline", incident.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The observer is at the incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/observers/arrived", tag = "observers", security(("bearer" = [])),
    responses((status = 200, body = ObserverView), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn arrived(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<ObserverView>, ApiError> {
    mark(&state, &account, &id, ObserverMark::Arrived).await
}

/// The observer is done at the incident, and free for others.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/observers/done", tag = "observers", security(("bearer" = [])),
    responses((status = 200, body = ObserverView), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn done(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<ObserverView>, ApiError> {
    mark(&state, &account, &id, ObserverMark::Done).await
}

async fn mark(
    state: &AppState,
    account: &CurrentAccount,
    id: &str,
    mark: ObserverMark,
) -> Result<Json<ObserverView>, ApiError> {
    account.require(Role::Responder)?;
    let incident = find(state, id).await?;
    let what = match mark {
        ObserverMark::Arrived => "observer_arrived",
        ObserverMark::Done => "observer_done",
    };
    let row = state
        .store
        .mark_observer(
            incident.id,
            account.0.id,
            mark,
            now_us(),
            &action(account, what, incident.id),
        )
        .await
        .map_err(|e| match e {
            amparo_store::StoreError::NotFound(_) => ApiError::not_found("You were not sent to this incident."),
            other => other.into(),
        })?;
    let (responder, incident) = (account.0.id, incident.id);
    let command = match mark {
        ObserverMark::Arrived => Command::Arrived { responder, incident },
        ObserverMark::Done => Command::Done { responder, incident },
    };
    state.observers.send(command).await;
    Ok(Json(ObserverView::new(&row, account.0.id)))
}
