//! The attorney roster (issue 4): an organization's admins vet its attorneys, choose its rule
//! for bar admissions, and read its coverage; an attorney reads their own profile and past calls.
//!
//! Who may do what: the organization's admins (and server admins) for the roster, the policy and
//! coverage, 403 for another organization; the attorney for `attorney/me` and their own calls.

use super::attorney_view::{
    AttorneyView, CallView, CoverageView, DispatchPolicyInput, VetAttorney, attorney_view, call_view, vetted_profile,
};
use super::organizations::{administered, by_username};
use crate::attorney::Command;
use crate::attorney::coverage::{CoverageInput, table};
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use amparo_core::ids::AccountId;
use amparo_core::roles::Role;
use amparo_store::{Account, Organization, StoredAttorney};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Json;
use axum::routing::{get, put};
use serde::Deserialize;
use std::collections::HashMap;

const WEEK_US: i64 = 7 * 86_400_000_000;
/// How many past calls an attorney's list shows.
const PAST_CALLS: u32 = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations/{id}/attorneys", get(roster))
        .route("/api/v1/organizations/{id}/attorneys/{account}", put(vet))
        .route(
            "/api/v1/organizations/{id}/dispatch-policy",
            put(set_policy).get(policy),
        )
        .route("/api/v1/organizations/{id}/attorney-coverage", get(coverage))
        .route("/api/v1/attorney/me", get(me))
        .route("/api/v1/attorney/calls", get(calls))
}

/// Vets an attorney (or updates their profile). `account` is an account id or a username; the
/// account must hold the attorney role. Setting `vetted: false` stops their offers at once.
#[utoipa::path(put, path = "/api/v1/organizations/{id}/attorneys/{account}", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path), ("account" = String, Path, description = "account id or username")), request_body = VetAttorney,
    responses((status = 200, body = AttorneyView), (status = 400), (status = 403), (status = 404), (status = 409)))]
pub async fn vet(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path((id, who)): Path<(String, String)>,
    ApiJson(input): ApiJson<VetAttorney>,
) -> Result<Json<AttorneyView>, ApiError> {
    let org = admin_of(&state, &account, &id).await?;
    let attorney = find_account(&state, &who).await?;
    if !attorney.has_role(Role::Attorney) {
        return Err(ApiError::conflict(format!(
            "{} does not hold the attorney role: ask the server's operator to grant it first.",
            attorney.username
        )));
    }
    if state
        .store
        .attorney(attorney.id)
        .await?
        .is_some_and(|a| a.profile.org != org.id)
    {
        return Err(ApiError::conflict(
            "This attorney answers for another organization: its admins must release them first.",
        ));
    }
    let (display_name, profile) = vetted_profile(org.id, input)?;
    let stored = StoredAttorney {
        account: attorney.id,
        display_name,
        profile,
        updated_by: account.0.id,
        updated_at_us: now_us(),
    };
    let saved = state.store.save_attorney(&stored).await?;
    state
        .attorney
        .send(Command::ProfileChanged {
            attorney: saved.account,
            profile: saved.profile.clone(),
            card: crate::attorney::presence::card(&saved),
        })
        .await;
    Ok(Json(attorney_view(
        &saved,
        &attorney.username,
        state.attorney.is_on_duty(saved.account),
    )))
}

/// The organization's attorneys, with who is on duty now.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/attorneys", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = [AttorneyView]), (status = 403), (status = 404)))]
pub async fn roster(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttorneyView>>, ApiError> {
    let org = admin_of(&state, &account, &id).await?;
    let mut views = Vec::new();
    for stored in state.store.attorneys_of(org.id).await? {
        let username = state
            .store
            .account(stored.account)
            .await?
            .map(|a| a.username)
            .unwrap_or_default();
        views.push(attorney_view(
            &stored,
            &username,
            state.attorney.is_on_duty(stored.account),
        ));
    }
    Ok(Json(views))
}

/// Chooses the organization's rule for bar admissions.
#[utoipa::path(put, path = "/api/v1/organizations/{id}/dispatch-policy", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DispatchPolicyInput, responses((status = 200, body = DispatchPolicyInput), (status = 403), (status = 404)))]
pub async fn set_policy(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DispatchPolicyInput>,
) -> Result<Json<DispatchPolicyInput>, ApiError> {
    let org = admin_of(&state, &account, &id).await?;
    state.store.set_dispatch_policy(org.id, input.state_policy).await?;
    state
        .attorney
        .send(Command::SetPolicy {
            org: org.id,
            policy: input.state_policy,
        })
        .await;
    Ok(Json(input))
}

/// The organization's rule for bar admissions (the server's default until its admins choose).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/dispatch-policy", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = DispatchPolicyInput), (status = 403), (status = 404)))]
pub async fn policy(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<DispatchPolicyInput>, ApiError> {
    let org = admin_of(&state, &account, &id).await?;
    Ok(Json(DispatchPolicyInput {
        state_policy: state_policy_of(&state, org.id).await?,
    }))
}

async fn state_policy_of(
    state: &AppState,
    org: amparo_core::ids::OrgId,
) -> Result<amparo_core::dispatch::StatePolicy, ApiError> {
    Ok(state
        .store
        .dispatch_policies()
        .await?
        .into_iter()
        .find(|p| p.org == org)
        .map_or(state.attorney.dispatch.default_state_policy, |p| p.state_policy))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    weeks: Option<u32>,
}

/// Coverage by hour of the week (UTC), language and state over the last `weeks` (1 to 12, 4 by
/// default): attorneys on duty who could take such a call, requests, and waits.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/attorney-coverage", tag = "attorneys", security(("bearer" = [])),
    params(("id" = String, Path), ("weeks" = Option<u32>, Query)), responses((status = 200, body = CoverageView), (status = 400), (status = 403), (status = 404)))]
pub async fn coverage(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<CoverageView>, ApiError> {
    let org = admin_of(&state, &account, &id).await?;
    let weeks = query.weeks.unwrap_or(4);
    if !(1..=12).contains(&weeks) {
        return Err(ApiError::invalid_field("weeks", "weeks must be between 1 and 12."));
    }
    let until_us = now_us();
    let since_us = until_us - i64::from(weeks) * WEEK_US;
    let spans = state.store.duty_spans(org.id, since_us, until_us).await?;
    let calls = state.store.calls_of_org(org.id, since_us, until_us).await?;
    let profiles: HashMap<AccountId, _> = state
        .store
        .attorneys_of(org.id)
        .await?
        .into_iter()
        .map(|a| (a.account, a.profile))
        .collect();
    let policy = state_policy_of(&state, org.id).await?;
    let input = CoverageInput {
        since_us,
        until_us,
        policy,
        spans: &spans,
        calls: &calls,
        profiles: &profiles,
    };
    Ok(Json(CoverageView {
        since: rfc3339(since_us),
        until: rfc3339(until_us),
        weeks,
        state_policy: policy,
        rows: table(&input),
    }))
}

/// The caller's attorney profile and whether they are on duty.
#[utoipa::path(get, path = "/api/v1/attorney/me", tag = "attorneys", security(("bearer" = [])),
    responses((status = 200, body = AttorneyView), (status = 403), (status = 404)))]
pub async fn me(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<AttorneyView>, ApiError> {
    account.require(Role::Attorney)?;
    let stored = state.store.attorney(account.0.id).await?.ok_or_else(|| {
        ApiError::not_found("Your organization has not set up your attorney profile yet: ask its admin.")
    })?;
    Ok(Json(attorney_view(
        &stored,
        &account.0.username,
        state.attorney.is_on_duty(account.0.id),
    )))
}

/// The calls the caller took, newest first, with where to get each encounter's bundle.
#[utoipa::path(get, path = "/api/v1/attorney/calls", tag = "attorneys", security(("bearer" = [])),
    responses((status = 200, body = [CallView]), (status = 403)))]
pub async fn calls(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<Vec<CallView>>, ApiError> {
    account.require(Role::Attorney)?;
    let calls = state.store.calls_of_attorney(account.0.id, PAST_CALLS).await?;
    Ok(Json(calls.iter().map(call_view).collect()))
}

/// The organization if the caller administers it, or is a server admin.
async fn admin_of(state: &AppState, account: &CurrentAccount, id: &str) -> Result<Organization, ApiError> {
    if account.0.has_role(Role::Admin) {
        let org = id.parse().map_err(|_| ApiError::not_found("No such organization."))?;
        return state
            .store
            .organization(org)
            .await?
            .ok_or_else(|| ApiError::not_found("No such organization."));
    }
    administered(state, account, id).await
}

async fn find_account(state: &AppState, who: &str) -> Result<Account, ApiError> {
    match who.parse::<AccountId>() {
        Ok(id) => state
            .store
            .account(id)
            .await?
            .ok_or_else(|| ApiError::not_found("No such account.")),
        Err(_) => by_username(state, who).await,
    }
}
