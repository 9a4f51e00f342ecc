//! The server under test, started in-process the way `crates/server/tests/api/harness.rs` starts
//! it: `amparo_server::serve` on a 127.0.0.1:0 listener, SQLite in a temporary directory, media in
//! `LocalFileSystem` with fsync, and the log with the default checkpoint interval.
//!
//! Two differences, both on purpose: the limits are raised so the per-account and per-address rate
//! limits never throttle the load (they would measure the limiter, not the server), and the store
//! and the blob store are wrapped in pass-throughs ([`TimedStore`], [`TimedBlobs`]) that time the
//! two durable writes behind each receipt, so a benchmark can say where the time goes.

use crate::timed_blobs::TimedBlobs;
use crate::timed_store::TimedStore;
use crate::timing::CallStats;
use amparo_core::keys::LogKey;
use amparo_server::alerts::fanout::Alerts;
use amparo_server::limits::{Limits, LogSettings};
use amparo_server::log::{Log, LogTasks};
use amparo_server::state::Services;
use amparo_server::{AppState, serve};
use amparo_store::Store;
use anyhow::{Context, Result};
use object_store::local::LocalFileSystem;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running server and the directory it keeps everything in.
#[derive(Debug)]
pub struct BenchServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub store: Arc<TimedStore>,
    pub blobs: Arc<TimedBlobs>,
    pub checkpoint_interval: Duration,
    pub dir: tempfile::TempDir,
    stop_http: CancellationToken,
    stop_log: CancellationToken,
    http: JoinHandle<std::io::Result<()>>,
    log_tasks: LogTasks,
}

/// A temporary directory under the system's temp dir, removed when dropped.
pub fn temp_dir(what: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("amparo-bench-{what}-"))
        .tempdir()
        .context("creating a temp dir")
}

/// Waits for the disk to finish what earlier work left it (`sync`): a benchmark that deletes
/// gigabytes of files leaves the filesystem busy freeing them, and the next one's fsyncs would
/// pay for it.
pub async fn settle_disk() {
    if let Err(error) = tokio::process::Command::new("sync").status().await {
        eprintln!("  (could not run sync: {error}; figures may carry the previous benchmark's disk work)");
    }
}

/// Limits that never refuse the benchmark's load: everything else stays at its default.
fn unthrottled() -> Limits {
    Limits {
        account_requests_per_second: 1_000_000,
        account_burst: 1_000_000,
        // Sign-ups and log-ins all come from 127.0.0.1.
        anonymous_requests_per_minute: 1_000_000,
        ..Limits::default()
    }
}

impl BenchServer {
    pub async fn start(what: &str) -> Result<Self> {
        Self::start_in(temp_dir(what)?, Alerts::in_app_only()).await
    }

    /// A server over `dir/amparo.db`, which may already hold a seeded population, with these
    /// alert settings (in-app only: the channels that talk to other servers stay off).
    pub async fn start_in(dir: tempfile::TempDir, alerts: Alerts) -> Result<Self> {
        let services = Services {
            alerts,
            ..Services::ephemeral()
        };
        Self::start_with(dir, services).await
    }

    /// A server over `dir/amparo.db` with these services.
    pub async fn start_with(dir: tempfile::TempDir, services: Services) -> Result<Self> {
        let sqlite = amparo_store_sqlite::SqliteStore::open(&dir.path().join("amparo.db")).await?;
        let store = Arc::new(TimedStore::new(Arc::new(sqlite)));
        let media = dir.path().join("media");
        let scratch = dir.path().join("tmp");
        std::fs::create_dir_all(&media)?;
        std::fs::create_dir_all(&scratch)?;
        let blobs = Arc::new(TimedBlobs::new(Arc::new(
            LocalFileSystem::new_with_prefix(&media)?.with_fsync(true),
        )));
        let key = Arc::new(LogKey::generate("bench.amparo.local/log")?);
        let checkpoint_interval = Duration::from_millis(LogSettings::default().checkpoint_interval_ms);
        let stop_log = CancellationToken::new();
        let as_store: Arc<dyn Store> = store.clone();
        let (log, log_tasks) = Log::start(as_store.clone(), key, checkpoint_interval, stop_log.clone()).await?;
        let state = AppState::with_services(as_store, blobs.clone(), log, unthrottled(), scratch, services);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let stop_http = CancellationToken::new();
        let stop = stop_http.clone();
        let http = tokio::spawn(async move { serve(listener, state, async move { stop.cancelled().await }).await });
        Ok(Self {
            base,
            store,
            blobs,
            checkpoint_interval,
            dir,
            stop_http,
            stop_log,
            http,
            log_tasks,
        })
    }

    /// The log's batches and the blob puts since the last call.
    pub fn timings(&self) -> (CallStats, CallStats) {
        (self.store.batches.drain(), self.blobs.puts.drain())
    }

    /// The session reads, plan reads and encounter writes since the last call.
    pub fn reads(&self) -> (CallStats, CallStats, CallStats) {
        (
            self.store.session_reads.drain(),
            self.store.plan_reads.drain(),
            self.store.encounter_writes.drain(),
        )
    }

    /// Stops taking requests, lets the log drain, and removes the directory.
    pub async fn stop(self) -> Result<()> {
        self.stop_http.cancel();
        // Bounded: a client that keeps a connection open must not hang the benchmark.
        match tokio::time::timeout(Duration::from_secs(10), self.http).await {
            Ok(joined) => joined
                .context("the server task panicked")?
                .context("the server failed")?,
            Err(_) => eprintln!("  (the server took more than 10 s to close its connections; moving on)"),
        }
        self.stop_log.cancel();
        self.log_tasks.finish().await;
        drop(self.dir);
        Ok(())
    }
}
