//! Web Push (issue 5): the server's VAPID key, the browsers an account subscribes to its alerts,
//! and a test message to them.
//!
//! Anyone may read the key. A signed-in person subscribes a browser (the `PushSubscription` the
//! browser gave them, as JSON), unsubscribes only their own, and sends a test alert only to their
//! own devices, a few times a minute. What alerts go where is the alert fan-out's business.

use crate::alerts::Language;
use crate::alerts::webpush::{MAX_SUBSCRIPTIONS_PER_ACCOUNT, parse_subscription};
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;
use amparo_store::{PushSubscription, StoreError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/push/key", get(key))
        .route("/api/v1/push/subscriptions", post(subscribe).delete(unsubscribe))
        .route("/api/v1/push/test", post(test))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushKeyView {
    /// The VAPID public key (RFC 8292): base64url of the uncompressed P-256 point, what
    /// `pushManager.subscribe({applicationServerKey})` takes.
    pub public_key: String,
}

/// A browser's `PushSubscription.toJSON()`, and the language its alerts should be in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// Sent by browsers; ignored (a subscription that lapses answers 404 or 410 and is removed).
    #[serde(rename = "expirationTime")]
    pub expiration_time: Option<f64>,
    /// A language tag such as `es` or `en-US`; English if absent.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte authentication secret, base64url.
    pub auth: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub endpoint: String,
    /// The language alerts to this browser are written in.
    pub language: String,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    pub endpoint: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushTestView {
    /// Browsers whose push service took the message.
    pub delivered: usize,
    /// Browsers subscribed for this account.
    pub devices: usize,
}

/// The server's VAPID public key, to subscribe a browser with.
#[utoipa::path(get, path = "/api/v1/push/key", tag = "push", responses((status = 200, body = PushKeyView)))]
pub async fn key(State(state): State<AppState>) -> Json<PushKeyView> {
    Json(PushKeyView {
        public_key: state.web_push.public_key().to_owned(),
    })
}

/// Subscribes this browser to the caller's alerts. Subscribing again replaces the stored keys;
/// a browser that subscribed for another account moves to this one.
#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "push", security(("bearer" = [])), request_body = SubscriptionInput,
    responses((status = 201, body = SubscriptionView), (status = 400), (status = 401), (status = 409, description = "Too many devices")))]
pub async fn subscribe(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> Result<Response, ApiError> {
    let allow_loopback = state.web_push.settings().allow_loopback_endpoints;
    let (_, p256dh, auth) = parse_subscription(&input.endpoint, &input.keys.p256dh, &input.keys.auth, allow_loopback)
        .map_err(|e| ApiError::invalid_field(e.field, format!("The subscription's {e}.")))?;
    let language = match input.language.as_deref() {
        Some(tag) => Language::from_tag(&validate::language(tag)?),
        None => Language::En,
    };
    let subscription = PushSubscription {
        // As the browser gave it: the browser names it the same way when it unsubscribes.
        endpoint: input.endpoint,
        account: account.0.id,
        p256dh,
        auth,
        language: language.tag().to_owned(),
        created_at_us: now_us(),
    };
    let saved = state
        .store
        .save_push_subscription(&subscription, MAX_SUBSCRIPTIONS_PER_ACCOUNT)
        .await;
    saved.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(format!(
            "Alerts already go to {MAX_SUBSCRIPTIONS_PER_ACCOUNT} devices of yours: turn them off on a device you \
             no longer use (Settings, \"Alerts on this device\"), then try again."
        )),
        other => other.into(),
    })?;
    let view = SubscriptionView {
        endpoint: subscription.endpoint,
        language: subscription.language,
        created_at: rfc3339(subscription.created_at_us),
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Stops alerts to this browser (the caller's own subscriptions only).
#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "push", security(("bearer" = [])), request_body = EndpointInput,
    responses((status = 204), (status = 401), (status = 404, description = "Not one of yours")))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<EndpointInput>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .delete_push_subscription(account.0.id, &input.endpoint)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "This device is not subscribed to your alerts (it may have been turned off already).",
        ))
    }
}

/// Sends a test alert to the caller's own subscribed devices. A few a minute.
#[utoipa::path(post, path = "/api/v1/push/test", tag = "push", security(("bearer" = [])),
    responses((status = 200, body = PushTestView), (status = 401), (status = 404, description = "No device subscribed"), (status = 429)))]
pub async fn test(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<PushTestView>, ApiError> {
    state.rate_limits.check_push_test(account.0.id)?;
    let (delivered, devices) = state.web_push.notify_test(&*state.store, account.0.id).await?;
    if devices == 0 {
        return Err(ApiError::not_found(
            "No device of yours gets alerts yet: turn on \"Alerts on this device\" in Settings first.",
        ));
    }
    Ok(Json(PushTestView { delivered, devices }))
}
