//! Amparo's HTTP server.
//!
//! Module map:
//! - [`app`] builds the router from an [`AppState`]; [`serve`] runs it on a listener until a
//!   shutdown future resolves, then drains the log.
//! - [`state`]: what handlers share (store, blobs, log, limits, per-upload locks, the live hub,
//!   alerts and Web Push, the plans' and billing settings).
//! - [`routes`]: one file per API area: accounts and sessions, encounters, households and their
//!   invitations, emergency contacts, following an encounter, Web Push subscriptions,
//!   organizations and their seats, the billing webhook, rapid-response reports, incidents,
//!   watch areas and the vehicle registry, tus uploads, the evidence bundle, the
//!   log (checkpoint, key, tiles, proofs), appends forwarded by other nodes to the sequencer, the
//!   OpenAPI document.
//! - [`blobs`]: the media's object store chosen by `blob_url` (local files, or S3-compatible);
//!   chunks written under keys that name their SHA-256, read back from their stored rows.
//! - [`log`]: the sequencer (group commit), the checkpoint publisher, proofs.
//! - [`cluster`]: several nodes over one store: [`cluster::lease`], the lease that lets exactly
//!   one node do a job (sequence the log, dispatch attorneys, dispatch legal observers), with
//!   takeover.
//! - [`auth`]: passwords, tokens, the `CurrentAccount` extractor; [`ratelimit`] its limits.
//! - [`error`]: `ApiError`, the one error type, rendered as RFC 9457 problem+json.
//! - [`json`], [`validate`], [`clock`], [`limits`]: request parsing, value checks, time, settings.
//! - [`plans`]: what an account's plan covers now (alerts, the attorney line), decided in one
//!   place from the household's and the organization's plans; recording and export never ask.
//! - [`alerts`]: who is told what when (the fan-out), what an alert says (English, Spanish), the
//!   channels (email over SMTP, the signed webhook, Web Push to subscribed browsers), the silence
//!   watch, sealed prepared messages; the webhook signature, also for incoming webhooks.
//! - [`attorney`]: the attorney line: the dispatcher's task over `amparo_core::dispatch`, duty
//!   and signaling on the live WebSocket, TURN credentials, coverage, metrics.
//! - [`live`]: the app's live WebSocket, this node's hub of connections, an encounter's live
//!   state and who may follow it; deliveries to connections on every node.
//! - [`bus`]: events between the nodes of a deployment (in-process, or NATS with `bus_url`),
//!   whether this node leads (runs the attorney line's dispatcher and the silence alerts; the
//!   observers' dispatcher), and commands to the node that leads.
//! - [`observers`]: legal observers: the task over `amparo_core::observers` that asks the nearest
//!   available responders to go to a verified incident (one in the deployment, on the lease
//!   holder's node; routes in `routes::observers`).
//! - [`rapid`]: the rapid-response network beside its routes (reports, incidents, watch areas,
//!   vehicles): views, delivery of verified incidents to watchers, plate search, report expiry.
//! - [`web`]: the browser app embedded from `web/`, its translation and rights-card indexes, and
//!   the security headers every response carries.

pub mod alerts;
pub mod attorney;
pub mod auth;
pub mod blobs;
pub mod bus;
pub mod clock;
pub mod cluster;
pub mod error;
pub mod json;
pub mod limits;
pub mod live;
pub mod log;
pub mod observers;
pub mod plans;
pub mod rapid;
pub mod ratelimit;
pub mod routes;
pub mod state;
pub mod validate;
pub mod web;

pub use state::AppState;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// The whole HTTP surface: the API, and the web app on every path the API does not claim.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .merge(routes::accounts::routes())
        .merge(routes::encounters::routes())
        .merge(routes::households::routes())
        .merge(routes::push::routes())
        .merge(routes::contacts::routes())
        .merge(routes::follow::routes())
        .merge(routes::invitations::routes())
        .merge(routes::organizations::routes())
        .merge(routes::attorneys::routes())
        .merge(routes::calls::routes())
        .merge(routes::billing::routes())
        .merge(routes::reports::routes())
        .merge(routes::report_photos::routes())
        .merge(routes::audit::routes())
        .merge(routes::incidents::routes())
        .merge(routes::watch_areas::routes())
        .merge(routes::vehicles::routes())
        .merge(routes::cells::routes())
        .merge(routes::observers::routes())
        .merge(routes::uploads::routes())
        .merge(routes::log::routes())
        .merge(routes::log_append::routes())
        .route("/api/v1/openapi.json", axum::routing::get(routes::openapi::document))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(web::routes())
        // Web files, then problem+json 404: only paths no route above claims get here.
        .fallback(web::fallback)
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                "This address does not take that method.",
            )
            .into_response()
        })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            error::ApiError::internal("a handler panicked").into_response()
        }))
        .with_state(state);
    web::with_security_headers(router)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let housekeeping = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                state.rate_limits.forget_idle();
                state.billing.forget_idle();
                // Used and expired invitations let nobody in: keep no more of them than needed.
                if let Err(error) = state.store.purge_invitations(clock::now_us()).await {
                    tracing::warn!(%error, "purging spent invitations");
                }
            }
        })
    };
    // Other nodes' events are heard before the first request is served.
    let listeners = listen_to_other_nodes(&state).await?;
    let silence = tokio::spawn(alerts::watch_silence(state.clone()));
    let dispatcher = attorney::start(&state);
    let observers = observers::start(&state);
    // Unverified reports past their time leave the queue even when nobody reads it.
    let expiry = tokio::spawn(rapid::expire_reports(state.clone(), Duration::from_secs(30)));
    // Photos of rejected and expired reports, and blobs that never got a row, are not kept.
    let purge = tokio::spawn(rapid::purge::purge_photos(state.clone(), Duration::from_secs(10 * 60)));
    let closing = state.closing.clone();
    let shutdown = async move {
        shutdown.await;
        // Live connections never end on their own: tell them to, so the drain can finish.
        closing.cancel();
    };
    // Small frames go out at once: an offer to an attorney or an alert to a phone is a few
    // hundred bytes, and Nagle's algorithm would hold one behind the previous frame's ACK, which
    // the other side may delay by up to 40 ms (browsers set the same on their WebSockets).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "could not set TCP_NODELAY on a connection");
        }
    });
    let result = axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    housekeeping.abort();
    for listener in listeners {
        listener.abort();
    }
    silence.abort();
    if let Some(dispatcher) = dispatcher {
        dispatcher.abort();
    }
    expiry.abort();
    purge.abort();
    if let Some(observers) = observers {
        observers.abort();
    }
    result
}

/// Subscribes to what other nodes publish (live messages, the attorney line's and the legal
/// observers' shared reads, the silence watch); nothing when the node is alone.
async fn listen_to_other_nodes(state: &AppState) -> std::io::Result<Vec<tokio::task::JoinHandle<()>>> {
    if !state.bus.reaches_others() {
        return Ok(Vec::new());
    }
    let subscribed = async {
        Ok::<_, bus::BusError>(vec![
            live::deliver::listen(state).await?,
            attorney::cluster::listen(state).await?,
            observers::cluster::listen(state).await?,
            alerts::silence_shared::listen(state).await?,
        ])
    };
    subscribed.await.map_err(std::io::Error::other)
}
