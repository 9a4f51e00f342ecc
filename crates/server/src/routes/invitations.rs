//! Household invitation hygiene (issue 5): the owner lists the invitations still pending (an id,
//! when made, when it expires; never the code, which was shown once) and revokes one. Used and
//! expired invitations are purged by the server's housekeeping (`Store::purge_invitations`).

use super::households::owned_household;
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::state::AppState;
use amparo_store::{InvitationId, StoreError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::{delete, get};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/households/current/invitations", get(pending))
        .route("/api/v1/households/current/invitations/{id}", delete(revoke))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PendingView {
    /// Names the invitation for revoking it; it is not the code and does not lead to it.
    pub id: String,
    pub created_at: String,
    pub expires_at: String,
}

/// The household's invitations not yet used nor expired, oldest first (owner only).
#[utoipa::path(get, path = "/api/v1/households/current/invitations", tag = "households", security(("bearer" = [])),
    responses((status = 200, body = [PendingView]), (status = 403), (status = 404)))]
pub async fn pending(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<Vec<PendingView>>, ApiError> {
    let household = owned_household(&state, &account).await?;
    let pending = state.store.pending_invitations(household.id, now_us()).await?;
    Ok(Json(
        pending
            .iter()
            .map(|p| PendingView {
                id: p.id.to_string(),
                created_at: rfc3339(p.created_at_us),
                expires_at: rfc3339(p.expires_at_us),
            })
            .collect(),
    ))
}

/// Revokes an unused invitation: its code stops working (owner only).
#[utoipa::path(delete, path = "/api/v1/households/current/invitations/{id}", tag = "households",
    security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn revoke(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let household = owned_household(&state, &account).await?;
    let no_such = || ApiError::not_found("No unused invitation of your household has that id: it may be used already.");
    let id: InvitationId = id.parse().map_err(|()| no_such())?;
    state
        .store
        .revoke_invitation(household.id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => no_such(),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
