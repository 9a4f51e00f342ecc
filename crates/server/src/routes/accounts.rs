//! Sign-up, log-in, log-out, and role grants.

use crate::auth::{CurrentAccount, hash_password, new_token, token_hash, verify_password};
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;
use amparo_core::ids::AccountId;
use amparo_core::roles::Role;
use amparo_store::{Account, NewAccount, Session};
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", post(sign_up))
        .route("/api/v1/accounts/me", get(me))
        .route("/api/v1/accounts/{id}/roles", post(grant_role))
        .route("/api/v1/accounts/{id}/roles/{role}", delete(revoke_role))
        .route("/api/v1/sessions", post(log_in))
        .route("/api/v1/sessions/current", delete(log_out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub username: String,
    pub roles: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: String,
    pub account: AccountView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    /// `attorney`, `responder` or `admin`.
    pub role: String,
}

/// The client's address, for the per-address limits on what strangers can call.
#[derive(Debug)]
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientAddress(address))
    }
}

/// Creates a member account. No email or phone number: a username and a password are enough.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = Credentials,
    responses((status = 201, body = AccountView), (status = 400), (status = 409, description = "Username taken"), (status = 429)))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(input): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    state.rate_limits.check_address(address)?;
    let username = validate::username(&input.username)?;
    validate::password(&input.password)?;
    let new = NewAccount {
        id: AccountId::new(),
        username,
        password_hash: hash_password(input.password).await?,
        created_at_us: now_us(),
    };
    let account = state.store.create_account(&new).await.map_err(|e| match e {
        amparo_store::StoreError::Conflict(_) => ApiError::conflict("That username is taken: choose another."),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(account_view(&account))).into_response())
}

/// Logs in; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts", request_body = Credentials,
    responses((status = 201, body = SessionView), (status = 401), (status = 429)))]
pub async fn log_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(input): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    state.rate_limits.check_address(address)?;
    let found = state.store.account_credentials(&input.username).await?;
    let (account, hash) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    let account = match (verify_password(input.password, hash).await?, account) {
        (true, Some(account)) => account,
        _ => return Err(ApiError::unauthorized("Wrong username or password.")),
    };
    let token = new_token();
    let now = now_us();
    let ttl = i64::try_from(state.limits.session_ttl_hours.saturating_mul(3_600_000_000)).unwrap_or(i64::MAX / 2);
    let session = Session {
        token_sha256: token_hash(&token),
        account: account.id,
        created_at_us: now,
        expires_at_us: now.saturating_add(ttl),
    };
    state.store.create_session(&session).await?;
    let view = SessionView {
        token,
        expires_at: rfc3339(session.expires_at_us),
        account: account_view(&account),
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Logs out: the token stops working at once.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts", security(("bearer" = [])), responses((status = 204), (status = 401)))]
pub async fn log_out(State(state): State<AppState>, account: CurrentAccount) -> Result<StatusCode, ApiError> {
    state.store.delete_session(account.session_hash()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/accounts/me", tag = "accounts", security(("bearer" = [])), responses((status = 200, body = AccountView), (status = 401)))]
pub async fn me(account: CurrentAccount) -> Json<AccountView> {
    Json(account_view(&account.0))
}

/// Grants a role (admins only).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/roles", tag = "accounts", security(("bearer" = [])), request_body = RoleGrant,
    params(("id" = String, Path)), responses((status = 200, body = AccountView), (status = 400), (status = 403), (status = 404)))]
pub async fn grant_role(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RoleGrant>,
) -> Result<Json<AccountView>, ApiError> {
    account.require(Role::Admin)?;
    let role: Role = input
        .role
        .parse()
        .map_err(|e: amparo_core::roles::UnknownRole| ApiError::invalid_field("role", e.to_string()))?;
    let target: AccountId = id.parse().map_err(|_| ApiError::not_found("No such account."))?;
    Ok(Json(account_view(&state.store.grant_role(target, role).await?)))
}

/// Revokes a role (admins only; everyone stays a member).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/roles/{role}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path), ("role" = String, Path)), responses((status = 200, body = AccountView), (status = 403), (status = 404)))]
pub async fn revoke_role(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path((id, role)): Path<(String, String)>,
) -> Result<Json<AccountView>, ApiError> {
    account.require(Role::Admin)?;
    let role: Role = role
        .parse()
        .map_err(|e: amparo_core::roles::UnknownRole| ApiError::bad_request(e.to_string()))?;
    let target: AccountId = id.parse().map_err(|_| ApiError::not_found("No such account."))?;
    if target == account.0.id && role == Role::Admin {
        return Err(ApiError::conflict(
            "You cannot remove your own admin role; ask another admin.",
        ));
    }
    Ok(Json(account_view(&state.store.revoke_role(target, role).await?)))
}

pub fn account_view(account: &Account) -> AccountView {
    AccountView {
        id: account.id.to_string(),
        username: account.username.clone(),
        roles: account.roles.iter().map(|r| r.to_string()).collect(),
        created_at: rfc3339(account.created_at_us),
    }
}
