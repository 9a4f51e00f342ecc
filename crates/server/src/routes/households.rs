//! Households (issue 5): the people a personal plan covers, an owner and up to five others.
//!
//! Who may do what: anyone logged in creates a household (becoming its owner) or joins one with
//! an invitation code; only the owner invites and removes; any member leaves, the owner only as
//! the last person, which closes the household; only admins set the plan's period. The six-seat
//! limit and the one-household rule are the store's to enforce, inside its transaction.
//!
//! The plan's period never gates recording or evidence export (evidence is never held hostage);
//! `active` in the view is for what follows the plan, such as alerts and the attorney line.

use super::accounts::ClientAddress;
use super::household_view::{HouseholdView, InvitationView, LeftView, PeriodInput, view};
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use amparo_core::ids::AccountId;
use amparo_core::roles::Role;
use amparo_store::{Household, HouseholdId, Invitation, JoinRefusal, Left, NewHousehold, PlanPeriod, StoreError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/households", post(create))
        .route("/api/v1/households/current", get(current))
        .route("/api/v1/households/current/invitations", post(invite))
        .route("/api/v1/households/current/members/{account_id}", delete(remove))
        .route("/api/v1/households/current/leave", post(leave))
        .route("/api/v1/households/join", post(join))
        .route("/api/v1/households/{id}/period", put(set_period))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    /// The code the owner was shown (dashes and spaces are ignored, case does not matter).
    pub code: String,
}

/// Creates a household with the caller as its owner.
#[utoipa::path(post, path = "/api/v1/households", tag = "households", security(("bearer" = [])),
    responses((status = 201, body = HouseholdView), (status = 401), (status = 409, description = "Already in a household")))]
pub async fn create(State(state): State<AppState>, account: CurrentAccount) -> Result<Response, ApiError> {
    let now = now_us();
    let new = NewHousehold {
        id: HouseholdId::new(),
        owner: account.0.id,
        created_at_us: now,
        // Open-ended until an admin (or, later, billing) sets it.
        period: PlanPeriod {
            starts_at_us: now,
            ends_at_us: None,
            grace_days: 0,
        },
    };
    let household = state.store.create_household(&new).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict("You already belong to a household: leave it first."),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(view(&household, account.0.id, now))).into_response())
}

/// The caller's household: its people, the caller's role, seats left, the plan's period.
#[utoipa::path(get, path = "/api/v1/households/current", tag = "households", security(("bearer" = [])),
    responses((status = 200, body = HouseholdView), (status = 401), (status = 404, description = "Not in a household")))]
pub async fn current(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<HouseholdView>, ApiError> {
    let household = own_household(&state, &account).await?;
    Ok(Json(view(&household, account.0.id, now_us())))
}

/// Creates an invitation (owner only). The code is shown this once; only its SHA-256 is kept.
#[utoipa::path(post, path = "/api/v1/households/current/invitations", tag = "households", security(("bearer" = [])),
    responses((status = 201, body = InvitationView), (status = 403), (status = 404), (status = 409, description = "Full")))]
pub async fn invite(State(state): State<AppState>, account: CurrentAccount) -> Result<Response, ApiError> {
    let household = owned_household(&state, &account).await?;
    if household.seats_left() == 0 {
        return Err(full());
    }
    let (code, code_sha256) = invitation_code::new();
    let now = now_us();
    let ttl_us = state.limits.invitation_ttl_hours.saturating_mul(3_600_000_000);
    let invitation = Invitation {
        code_sha256,
        household: household.id,
        created_by: account.0.id,
        created_at_us: now,
        expires_at_us: now.saturating_add(i64::try_from(ttl_us).unwrap_or(i64::MAX)),
    };
    state.store.create_invitation(&invitation).await?;
    let body = InvitationView {
        code,
        expires_at: rfc3339(invitation.expires_at_us),
    };
    // A secret: no cache may keep it.
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((StatusCode::CREATED, no_store, Json(body)).into_response())
}

/// Joins the household of an invitation code. Rate-limited per account and per address.
#[utoipa::path(post, path = "/api/v1/households/join", tag = "households", security(("bearer" = [])), request_body = JoinInput,
    responses((status = 200, body = HouseholdView), (status = 400), (status = 404, description = "Unknown, used or expired code"),
        (status = 409, description = "Full, or already in a household"), (status = 429)))]
pub async fn join(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    account: CurrentAccount,
    ApiJson(input): ApiJson<JoinInput>,
) -> Result<Json<HouseholdView>, ApiError> {
    state.rate_limits.check_code_attempt(account.0.id, address)?;
    let code_sha256 = invitation_code::parse(&input.code)?;
    let now = now_us();
    match state.store.accept_invitation(&code_sha256, account.0.id, now).await? {
        Ok(household) => Ok(Json(view(&household, account.0.id, now))),
        // One answer for unknown, used and expired: which codes exist is nobody's business.
        Err(JoinRefusal::InvalidCode) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Invitation not valid",
            "This invitation code does not work: it may be mistyped, already used, or expired. \
             Ask the household's owner for a new one.",
        )),
        Err(JoinRefusal::AlreadyInHousehold) => Err(ApiError::conflict(
            "You already belong to a household: leave it before joining another.",
        )),
        Err(JoinRefusal::Full) => Err(full()),
    }
}

/// Removes a member (owner only). The owner leaves instead of removing themself.
#[utoipa::path(delete, path = "/api/v1/households/current/members/{account_id}", tag = "households", security(("bearer" = [])),
    params(("account_id" = String, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub async fn remove(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(account_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let household = owned_household(&state, &account).await?;
    let no_such = || ApiError::not_found("No such member in your household.");
    let target: AccountId = account_id.parse().map_err(|_| no_such())?;
    if target == account.0.id {
        return Err(ApiError::conflict(
            "You own this household: you cannot remove yourself. Leave it once everyone else has gone, which closes it.",
        ));
    }
    state
        .store
        .remove_member(household.id, target)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => no_such(),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leaves the caller's household. The owner may leave only as its last person, which closes it.
#[utoipa::path(post, path = "/api/v1/households/current/leave", tag = "households", security(("bearer" = [])),
    responses((status = 200, body = LeftView), (status = 404), (status = 409, description = "The owner, with others still in")))]
pub async fn leave(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<LeftView>, ApiError> {
    let left = state.store.leave_household(account.0.id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_in_household(),
        StoreError::Conflict(_) => ApiError::conflict(
            "You own this household and others are still in it: remove them first. Leaving as the last person closes it.",
        ),
        other => other.into(),
    })?;
    Ok(Json(LeftView {
        household_closed: left == Left::Closed,
    }))
}

/// Sets the plan's period (admins only).
#[utoipa::path(put, path = "/api/v1/households/{id}/period", tag = "households", security(("bearer" = [])), request_body = PeriodInput,
    params(("id" = String, Path)), responses((status = 200, body = HouseholdView), (status = 400), (status = 403), (status = 404)))]
pub async fn set_period(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PeriodInput>,
) -> Result<Json<HouseholdView>, ApiError> {
    account.require(Role::Admin)?;
    let no_such = || ApiError::not_found("No such household.");
    let id: HouseholdId = id.parse().map_err(|_| no_such())?;
    let period = input.parse()?;
    let household = state.store.set_plan_period(id, &period).await.map_err(|e| match e {
        StoreError::NotFound(_) => no_such(),
        other => other.into(),
    })?;
    Ok(Json(view(&household, account.0.id, now_us())))
}

fn full() -> ApiError {
    ApiError::conflict("This household is full: it has six people.")
}

fn not_in_household() -> ApiError {
    ApiError::not_found("You are not in a household. Create one, or join one with an invitation code.")
}

async fn own_household(state: &AppState, account: &CurrentAccount) -> Result<Household, ApiError> {
    state
        .store
        .household_of(account.0.id)
        .await?
        .ok_or_else(not_in_household)
}

/// The caller's household, if the caller owns it.
pub(super) async fn owned_household(state: &AppState, account: &CurrentAccount) -> Result<Household, ApiError> {
    let household = own_household(state, account).await?;
    if household.owner != account.0.id {
        return Err(ApiError::forbidden("Only the household's owner can do this."));
    }
    Ok(household)
}

/// Invitation codes: 128 random bits, shown as 32 hex digits in groups of four, easy to read out
/// or type on a phone. The store keeps the SHA-256 of the 16 bytes; a lookup by that hash reveals
/// nothing about a wrong guess, so no constant-time comparison is needed.
mod invitation_code {
    use crate::error::ApiError;
    use rand::RngCore;
    use sha2::{Digest, Sha256};

    /// A fresh code, and the hash the store keeps.
    pub fn new() -> (String, [u8; 32]) {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex = hex::encode(bytes);
        let groups: Vec<&str> = (0..hex.len()).step_by(4).map(|i| &hex[i..i + 4]).collect();
        (groups.join("-"), Sha256::digest(bytes).into())
    }

    /// The hash of a code as typed, or a 400 naming the field.
    pub fn parse(text: &str) -> Result<[u8; 32], ApiError> {
        let malformed = || ApiError::invalid_field("code", "An invitation code is 32 letters and digits (0-9, a-f).");
        // Bounded before any work: a huge body is refused, not normalized.
        if text.len() > 100 {
            return Err(malformed());
        }
        let digits: String = text
            .chars()
            .filter(|c| !(c.is_whitespace() || *c == '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(&digits, &mut bytes).map_err(|_| malformed())?;
        Ok(Sha256::digest(bytes).into())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn codes_read_back_as_typed_and_junk_is_refused() {
            let (code, hash) = super::new();
            assert_eq!(code.len(), 39, "{code}");
            assert_eq!(super::parse(&code).ok(), Some(hash));
            let sloppy = format!("  {} ", code.to_uppercase().replace('-', " "));
            assert_eq!(super::parse(&sloppy).ok(), Some(hash));
            for junk in [
                "",
                "abc",
                &"0".repeat(34),
                &"g".repeat(32),
                &"a".repeat(10_000),
                "ｆ".repeat(32).as_str(),
            ] {
                assert!(super::parse(junk).is_err(), "{junk:?}");
            }
        }
    }
}
