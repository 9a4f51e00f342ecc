//! Organizations (issue 5): a legal-aid group, employer or union with a pool of seats.
//!
//! Who may do what: the server's admins (the `admin` role) create organizations, name their
//! admins, and set their plan; an organization's admins (named for that organization only, not a
//! server-wide role) see its usage, give seats to accounts by username, reclaim them, and set
//! its policy. For another organization they get 403 (404 when it does not exist), as for
//! another person's encounter. Anyone logged in sees what their own plan covers.
//!
//! The pool's size is the store's to enforce, inside its transaction; an account holds one seat
//! at a time. An organization keeps no one's personal details: a seat names an account.

use super::org_view::{
    CoverageView, NewOrganizationInput, OrganizationView, PlanInput, PolicyInput, SeatView, SeatsView, UsernameInput,
    coverage_view, org_name, seat_count, seat_view, usage, view,
};
use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;
use amparo_core::ids::{AccountId, OrgId};
use amparo_core::roles::Role;
use amparo_store::{Account, NewOrganization, OrgPolicy, Organization, PlanPeriod, SeatRefusal, StoreError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post, put};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations", post(create))
        .route("/api/v1/organizations/mine", get(mine))
        .route("/api/v1/organizations/{id}", get(read))
        .route("/api/v1/organizations/{id}/admins", post(add_admin))
        .route("/api/v1/organizations/{id}/admins/{account_id}", delete(remove_admin))
        .route("/api/v1/organizations/{id}/plan", put(set_plan))
        .route("/api/v1/organizations/{id}/policy", put(set_policy))
        .route("/api/v1/organizations/{id}/seats", get(seats).post(assign))
        .route("/api/v1/organizations/{id}/seats/{account_id}", delete(reclaim))
        .route("/api/v1/coverage", get(coverage))
}

/// Creates an organization (server admins only).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])),
    request_body = NewOrganizationInput, responses((status = 201, body = OrganizationView), (status = 400), (status = 403)))]
pub async fn create(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<NewOrganizationInput>,
) -> Result<Response, ApiError> {
    account.require(Role::Admin)?;
    let now = now_us();
    let new = NewOrganization {
        id: OrgId::new(),
        name: org_name(&input.name)?,
        seats: seat_count(input.seats)?,
        policy: input
            .policy
            .as_ref()
            .map(PolicyInput::parse)
            .transpose()?
            .unwrap_or_default(),
        period: match &input.period {
            Some(period) => period.parse()?,
            None => PlanPeriod {
                starts_at_us: now,
                ends_at_us: None,
                grace_days: 0,
            },
        },
        created_at_us: now,
    };
    let org = state.store.create_organization(&new).await?;
    Ok((StatusCode::CREATED, Json(view(&org, now))).into_response())
}

/// The organizations the caller is an admin of.
#[utoipa::path(get, path = "/api/v1/organizations/mine", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = [OrganizationView]), (status = 401)))]
pub async fn mine(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<Vec<OrganizationView>>, ApiError> {
    let now = now_us();
    let orgs = state.store.organizations_administered_by(account.0.id).await?;
    Ok(Json(orgs.iter().map(|org| view(org, now)).collect()))
}

/// One organization, with its usage (its admins only).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = OrganizationView), (status = 403), (status = 404)))]
pub async fn read(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<OrganizationView>, ApiError> {
    let org = administered(&state, &account, &id).await?;
    Ok(Json(view(&org, now_us())))
}

/// Names an account an admin of this organization, by username (server admins only).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/admins", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UsernameInput, responses((status = 204), (status = 403), (status = 404)))]
pub async fn add_admin(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UsernameInput>,
) -> Result<StatusCode, ApiError> {
    account.require(Role::Admin)?;
    let org = existing(&state, &id).await?;
    let target = by_username(&state, &input.username).await?;
    state.store.add_org_admin(org.id, target.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes the admin role of this organization back from an account (server admins only).
#[utoipa::path(delete, path = "/api/v1/organizations/{id}/admins/{account_id}", tag = "organizations",
    security(("bearer" = [])), params(("id" = String, Path), ("account_id" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn remove_admin(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path((id, account_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    account.require(Role::Admin)?;
    let org = existing(&state, &id).await?;
    let target: AccountId = account_id
        .parse()
        .map_err(|_| ApiError::not_found("No such account."))?;
    state.store.remove_org_admin(org.id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the plan's period and the pool's size (server admins only). A size below the seats in use
/// is accepted: nobody loses a seat, and the view reports the seats over.
#[utoipa::path(put, path = "/api/v1/organizations/{id}/plan", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PlanInput,
    responses((status = 200, body = OrganizationView), (status = 400), (status = 403), (status = 404)))]
pub async fn set_plan(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Json<OrganizationView>, ApiError> {
    account.require(Role::Admin)?;
    let org = existing(&state, &id).await?;
    let (period, seats) = (input.period.parse()?, seat_count(input.seats)?);
    let org = state.store.set_org_plan(org.id, &period, seats).await?;
    Ok(Json(view(&org, now_us())))
}

/// Sets the organization's policy (its admins only).
#[utoipa::path(put, path = "/api/v1/organizations/{id}/policy", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PolicyInput,
    responses((status = 200, body = OrganizationView), (status = 400), (status = 403), (status = 404)))]
pub async fn set_policy(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PolicyInput>,
) -> Result<Json<OrganizationView>, ApiError> {
    let org = administered(&state, &account, &id).await?;
    let policy: OrgPolicy = input.parse()?;
    let org = state.store.set_org_policy(org.id, &policy).await?;
    Ok(Json(view(&org, now_us())))
}

/// The organization's seats and usage (its admins only).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/seats", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = SeatsView), (status = 403), (status = 404)))]
pub async fn seats(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<SeatsView>, ApiError> {
    let org = administered(&state, &account, &id).await?;
    let seats = state.store.seats(org.id).await?;
    let mut usage = usage(&org);
    // Read apart from the organization: count what is listed, so the two agree.
    usage.used = u32::try_from(seats.len()).unwrap_or(u32::MAX);
    usage.free = usage.total.saturating_sub(usage.used);
    usage.over_allocated = usage.used.saturating_sub(usage.total);
    Ok(Json(SeatsView {
        usage,
        seats: seats.iter().map(seat_view).collect(),
    }))
}

/// Gives a seat to an account, by username (the organization's admins only).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/seats", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UsernameInput,
    responses((status = 201, body = SeatView), (status = 400), (status = 403), (status = 404),
        (status = 409, description = "No free seat, or the account holds one")))]
pub async fn assign(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UsernameInput>,
) -> Result<Response, ApiError> {
    let org = administered(&state, &account, &id).await?;
    let target = by_username(&state, &input.username).await?;
    match state.store.assign_seat(org.id, target.id, now_us()).await? {
        Ok(seat) => Ok((StatusCode::CREATED, Json(seat_view(&seat))).into_response()),
        Err(SeatRefusal::AlreadySeated) => Err(ApiError::conflict(format!(
            "{} already holds a seat, of this organization or another: it must be reclaimed before another is given.",
            target.username
        ))),
        Err(SeatRefusal::Full) => Err(full(&state, org.id).await),
    }
}

/// Takes a seat back (the organization's admins only). The person keeps recording and exporting.
#[utoipa::path(delete, path = "/api/v1/organizations/{id}/seats/{account_id}", tag = "organizations",
    security(("bearer" = [])), params(("id" = String, Path), ("account_id" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn reclaim(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path((id, account_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = administered(&state, &account, &id).await?;
    let no_seat = || ApiError::not_found("That account holds no seat of this organization.");
    let target: AccountId = account_id.parse().map_err(|_| no_seat())?;
    state.store.reclaim_seat(org.id, target).await.map_err(|e| match e {
        StoreError::NotFound(_) => no_seat(),
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the caller's plan covers now. Recording and evidence export never depend on it.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = CoverageView), (status = 401)))]
pub async fn coverage(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<CoverageView>, ApiError> {
    Ok(Json(coverage_view(&state.coverage(account.0.id).await?)))
}

fn parse_id(id: &str) -> Result<OrgId, ApiError> {
    id.parse().map_err(|_| no_such())
}

fn no_such() -> ApiError {
    ApiError::not_found("No such organization.")
}

async fn existing(state: &AppState, id: &str) -> Result<Organization, ApiError> {
    state.store.organization(parse_id(id)?).await?.ok_or_else(no_such)
}

/// The organization, if the caller is one of its admins: 403 for another organization, 404 for
/// none.
pub(crate) async fn administered(
    state: &AppState,
    account: &CurrentAccount,
    id: &str,
) -> Result<Organization, ApiError> {
    let id = parse_id(id)?;
    let mine = state.store.organizations_administered_by(account.0.id).await?;
    if let Some(org) = mine.into_iter().find(|org| org.id == id) {
        return Ok(org);
    }
    match state.store.organization(id).await? {
        Some(_) => Err(ApiError::forbidden(
            "Only this organization's admins can do this; ask the server's operator to name you one.",
        )),
        None => Err(no_such()),
    }
}

pub(crate) async fn by_username(state: &AppState, username: &str) -> Result<Account, ApiError> {
    let username = validate::username(username)?;
    let found = state.store.account_credentials(&username).await?;
    found
        .map(|(account, _)| account)
        .ok_or_else(|| ApiError::not_found(format!("No account is named {username:?}: check the spelling.")))
}

async fn full(state: &AppState, org: OrgId) -> ApiError {
    let detail = match state.store.organization(org).await {
        Ok(Some(org)) if org.over_allocated() > 0 => format!(
            "Every seat is taken, and {} more are held than the plan's {}: reclaim seats, or ask for a larger plan.",
            org.over_allocated(),
            org.seats
        ),
        Ok(Some(org)) => format!(
            "All {} seats are taken: reclaim one, or ask for a larger plan.",
            org.seats
        ),
        _ => "Every seat is taken: reclaim one, or ask for a larger plan.".to_owned(),
    };
    ApiError::conflict(detail)
}
