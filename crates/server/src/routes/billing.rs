//! The billing system's webhook (issue 5): `POST /api/v1/billing/events` sets a household's plan
//! period, or an organization's plan period and seat count. Payment itself is out of scope.
//!
//! Authenticated only by the signature (`alerts::signature::verify_request`: HMAC-SHA256 over the
//! timestamp and the raw body with `[billing] webhook_secret`, five minutes either way). With no
//! secret configured the route answers 404 problem+json: the feature is off, and a billing system
//! retrying a 503 forever would only hide that. Strangers can call it, so it is rate-limited per
//! client address before any work, and its body is capped.
//!
//! Each event carries the billing system's id and is applied exactly once (the store keeps the
//! ids in the transaction that applies them): a replay answers 200 "already applied". An event
//! for an unknown household or organization is refused with 404 and nothing is kept, so it can be
//! sent again once the target exists.
//!
//! Shrinking an organization's pool below the seats in use is accepted, and reported: billing is
//! the record of what was paid for, and refusing it would leave the two systems disagreeing
//! forever; taking seats away on our own would cut people off, perhaps during a stop. Nobody loses
//! a seat, no new seat is given until the organization's admins reclaim enough, and the answer
//! (and the admins' usage view) says how many seats are over.

use super::accounts::ClientAddress;
use super::household_view::PeriodInput;
use super::org_view::{UsageView, usage};
use crate::alerts::signature::{SignatureError, TOLERANCE_SECS, verify_request};
use crate::alerts::{InvalidSettings, Secret};
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::state::AppState;
use amparo_store::{BillingChange, BillingEvent, BillingOutcome, MAX_ORG_SEATS, StoreError};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Json;
use axum::routing::post;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::num::NonZeroU32;
use utoipa::ToSchema;

/// Shorter secrets are refused: the signature is only as strong as what billing shares.
pub const MIN_SECRET_LEN: usize = 16;
/// An event is a few hundred bytes; anything this large is not one.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The `[billing]` settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BillingSettings {
    /// Shared with the billing system, which signs each request with it. Empty: the webhook is off.
    pub webhook_secret: Secret,
    /// Requests per minute per client address, checked before the signature.
    pub requests_per_minute: u32,
}

impl Default for BillingSettings {
    fn default() -> Self {
        Self {
            webhook_secret: Secret::default(),
            requests_per_minute: 120,
        }
    }
}

impl BillingSettings {
    /// Refuses, at start-up, a secret too short to trust.
    pub fn check(&self) -> Result<(), InvalidSettings> {
        let length = self.webhook_secret.expose().len();
        if length > 0 && length < MIN_SECRET_LEN {
            return Err(InvalidSettings(format!(
                "billing.webhook_secret must be at least {MIN_SECRET_LEN} characters (e.g. openssl rand -hex 32), or empty to turn the webhook off"
            )));
        }
        Ok(())
    }
}

/// The webhook's secret and its per-address limiter, as the server holds them.
#[derive(Debug)]
pub struct BillingWebhook {
    secret: Option<Secret>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

impl BillingWebhook {
    pub fn new(settings: &BillingSettings) -> Self {
        let per_minute = NonZeroU32::new(settings.requests_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            secret: Some(settings.webhook_secret.clone()).filter(|s| !s.is_empty()),
            addresses: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Forgets addresses back to full capacity.
    pub fn forget_idle(&self) {
        self.addresses.retain_recent();
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/billing/events", post(receive))
}

/// One billing event. `type` says which fields it carries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The billing system's id for the event: 1 to 200 visible ASCII characters. An id already
    /// applied is not applied again.
    pub id: String,
    /// `household.period` or `organization.plan`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `household.period`.
    pub household_id: Option<String>,
    /// For `organization.plan`.
    pub organization_id: Option<String>,
    pub period: PeriodInput,
    /// For `organization.plan`: the pool's size, 0 to 1,000,000.
    pub seats: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventResult {
    pub event_id: String,
    /// `applied`, or `already applied` for an id seen before (nothing changed).
    pub result: &'static str,
    /// For an organization: its pool after the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<UsageView>,
    /// For a household: its period's end after the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
}

/// Applies one billing event, signed with `Amparo-Timestamp` and `Amparo-Signature`.
#[utoipa::path(post, path = "/api/v1/billing/events", tag = "billing", request_body = EventInput,
    responses((status = 200, body = EventResult), (status = 400), (status = 401, description = "Bad or stale signature"),
        (status = 404, description = "Webhook off, or unknown household or organization"), (status = 413), (status = 429)))]
pub async fn receive(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EventResult>, ApiError> {
    let secret = state.billing.secret.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "The billing webhook is off on this server: its operator sets [billing] webhook_secret to turn it on.",
        )
    })?;
    state
        .billing
        .addresses
        .check_key(&address)
        .map_err(|_| crate::ratelimit::too_many())?;
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large("A billing event is at most 64 KiB."))?;
    let now = u64::try_from(now_us() / 1_000_000).unwrap_or(0);
    verify_request(secret.expose().as_bytes(), &headers, &body, now).map_err(unsigned)?;
    let input: EventInput = crate::json::parse(&body)?;
    let event = parse(&input)?;
    let outcome = state.store.apply_billing_event(&event).await.map_err(|e| match e {
        StoreError::NotFound(what) => ApiError::not_found(format!(
            "No {what} on this server: nothing was applied, and this event can be sent again once it exists."
        )),
        other => other.into(),
    })?;
    let mut result = EventResult {
        event_id: event.id,
        result: "applied",
        seats: None,
        ends_at: None,
    };
    match outcome {
        BillingOutcome::AlreadyApplied => result.result = "already applied",
        BillingOutcome::Household(household) => result.ends_at = household.period.ends_at_us.map(rfc3339),
        BillingOutcome::Organization(org) => result.seats = Some(usage(&org)),
    }
    Ok(Json(result))
}

fn unsigned(error: SignatureError) -> ApiError {
    let detail = match error {
        SignatureError::Stale | SignatureError::Future => format!(
            "The Amparo-Timestamp is more than {TOLERANCE_SECS} seconds from this server's clock: sign each delivery when it is sent, and check both clocks."
        ),
        SignatureError::MissingHeader => "Sign the request: send Amparo-Timestamp and Amparo-Signature.".to_owned(),
        other => format!(
            "The request's signature was refused: {other}. Sign \"<timestamp>.<body>\" with HMAC-SHA256 and the shared secret."
        ),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, "Not signed", detail)
}

fn parse(input: &EventInput) -> Result<BillingEvent, ApiError> {
    let id = input.id.as_str();
    if id.is_empty() || id.len() > 200 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid_field(
            "id",
            "An event id is 1 to 200 visible ASCII characters.",
        ));
    }
    let period = input.period.parse()?;
    let change = match input.kind.as_str() {
        "household.period" => BillingChange::HouseholdPeriod {
            household: required(&input.household_id, "household_id")?,
            period,
        },
        "organization.plan" => BillingChange::OrganizationPlan {
            org: required(&input.organization_id, "organization_id")?,
            period,
            seats: input.seats.filter(|s| *s <= MAX_ORG_SEATS).ok_or_else(|| {
                ApiError::invalid_field("seats", "An organization.plan event gives seats, 0 to 1,000,000.")
            })?,
        },
        _ => {
            return Err(ApiError::invalid_field(
                "type",
                "The event type is household.period or organization.plan.",
            ));
        }
    };
    Ok(BillingEvent {
        id: id.to_owned(),
        change,
        received_at_us: now_us(),
    })
}

/// A UUID field the event's type needs.
fn required<T: std::str::FromStr>(value: &Option<String>, field: &str) -> Result<T, ApiError> {
    value
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::invalid_field(field, format!("This event type needs {field}, a UUID.")))
}
