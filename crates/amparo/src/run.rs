//! Builds a running server from settings.

use crate::config::Settings;
use crate::shared_keys;
use amparo_server::alerts::fanout::Alerts;
use amparo_server::alerts::webpush::WebPush;
use amparo_server::attorney::LineSettings;
use amparo_server::blobs;
use amparo_server::bus::leader::{DISPATCHER_LEASE, Leadership, OBSERVER_LEASE};
use amparo_server::bus::{Membership, Subjects};
use amparo_server::cluster::lease::Lease;
use amparo_server::log::{Log, LogConfig};
use amparo_server::state::Services;
use amparo_server::{AppState, serve as serve_http};
use amparo_store::Store;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Opens the metadata store the URL names: empty or `sqlite://` for SQLite, `postgres://` or
/// `postgresql://` for PostgreSQL. Anything else is refused rather than guessed.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let url = settings.database_url.trim();
    if url.is_empty() {
        let path = settings.data_dir.join("amparo.db");
        return Ok(Arc::new(
            amparo_store_sqlite::SqliteStore::open(&path)
                .await
                .context("opening SQLite")?,
        ));
    }
    match url.split_once("://").map(|(scheme, _)| scheme) {
        Some("sqlite") => Ok(Arc::new(
            amparo_store_sqlite::SqliteStore::connect(url)
                .await
                .context("opening SQLite")?,
        )),
        Some("postgres" | "postgresql") => Ok(Arc::new(
            amparo_store_postgres::PostgresStore::connect(url)
                .await
                .context("connecting to PostgreSQL")?,
        )),
        _ => anyhow::bail!(
            "database_url must start with sqlite:// or postgres:// (got {:?})",
            redact(url)
        ),
    }
}

/// A URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://***{}", &url[..scheme_end], &url[at..]),
        _ => url.to_owned(),
    }
}

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let scratch_dir = settings.data_dir.join("tmp");
    std::fs::create_dir_all(&scratch_dir)?;

    let store = open_store(&settings).await?;
    // A chunk is acknowledged only once its bytes would survive a power cut (see `blobs::open`).
    let blobs = blobs::open(&settings.blob_url, &settings.s3, &settings.data_dir).context("opening the media store")?;
    // Before listening: a node whose keys are not the deployment's must not serve at all.
    let keys = shared_keys::settle(store.as_ref(), &settings.data_dir, &settings.log.origin).await?;
    let key = Arc::new(keys.log);
    // Bound before the log starts: a node that takes the sequencer's lease advertises where it
    // listens, and other nodes may forward to it at once.
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let address = listener.local_addr()?;
    let stop_log = CancellationToken::new();
    let log_config = LogConfig {
        checkpoint_interval: Duration::from_millis(settings.log.checkpoint_interval_ms),
        advertise_url: advertise_url(&settings, address),
    };
    let (log, log_tasks) = Log::start_node(store.clone(), key, log_config, stop_log.clone())
        .await
        .context("starting the log")?;
    let web_push = WebPush::new(keys.push, &settings.alerts.push)?;
    let alerts = Alerts::new(&settings.alerts, keys.messages, &format!("http://{}", settings.listen))?;
    let membership = join_deployment(&settings, &store, &stop_log).await?;
    let services = Services {
        alerts,
        web_push,
        plans: settings.plans,
        billing: settings.billing.clone(),
        attorney: LineSettings {
            dispatch: settings.dispatch.clone(),
            turn: settings.turn.clone(),
            metrics: settings.metrics.clone(),
        },
        rapid_webhook: settings.rapid.channel()?,
        observers: settings.observers.clone(),
        membership,
    };
    let state = AppState::with_services(store, blobs, log, settings.limits.clone(), scratch_dir, services);

    // Tests and scripts read this line to find the port.
    println!("amparo listening on http://{address}");
    tracing::info!(%address, data_dir = %settings.data_dir.display(), "serving");
    serve_http(listener, state, shutdown_signal()).await?;
    stop_log.cancel();
    log_tasks.finish().await;
    Ok(())
}

/// The URL other nodes forward appends to: the setting, or `http://` and the bound address. An
/// unspecified address (`0.0.0.0`) reaches nobody from elsewhere: such a node must set one.
fn advertise_url(settings: &Settings, bound: std::net::SocketAddr) -> String {
    let setting = settings.log.advertise_url.trim();
    if !setting.is_empty() {
        return setting.trim_end_matches('/').to_owned();
    }
    let shared_store = settings.database_url.trim().starts_with("postgres");
    if shared_store && bound.ip().is_unspecified() {
        tracing::warn!(
            %bound,
            "log.advertise_url is not set and this node listens on every address: with several nodes, set \
             it to the URL the others reach this node at"
        );
    }
    format!("http://{bound}")
}

/// The bus `bus_url` names, and the leases that say whether this node runs the attorney line's
/// dispatcher and the silence alerts, and the legal observers' dispatcher. Alone, the node
/// always does.
async fn join_deployment(
    settings: &Settings,
    store: &Arc<dyn Store>,
    stop: &CancellationToken,
) -> anyhow::Result<Membership> {
    let bus = amparo_server::bus::open::open(&settings.bus_url, &settings.bus)
        .await
        .context("opening the bus (bus_url)")?;
    let subjects = Subjects::new(&settings.bus_cluster)?;
    let campaign = |name: &'static str| {
        if bus.reaches_others() {
            let lease = Lease::new(store.clone(), name, settings.listen.clone());
            Leadership::campaign(lease, stop.clone())
        } else {
            Leadership::always()
        }
    };
    let (leadership, observer_leadership) = (campaign(DISPATCHER_LEASE), campaign(OBSERVER_LEASE));
    Ok(Membership {
        bus,
        subjects,
        leadership,
        observer_leadership,
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return interrupt.await.unwrap_or(()),
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
}
