//! The HTTP floor: a plain axum endpoint in the same process, at the same path, that reads the
//! whole body and answers 204 without storing anything. Latency against it is what the HTTP
//! stack and the load client cost on this machine; whatever the real server adds on top is
//! storage, logging and signing.

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::patch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug)]
pub struct Floor {
    pub base: String,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

/// Reads the body (axum's `Bytes` extractor collects all of it) and drops it.
async fn swallow(body: Bytes) -> StatusCode {
    std::hint::black_box(body.len());
    StatusCode::NO_CONTENT
}

impl Floor {
    pub async fn start() -> Result<Self> {
        let app = Router::new().route("/api/v1/uploads/{id}", patch(swallow));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let stop = CancellationToken::new();
        let cancelled = stop.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { cancelled.cancelled().await })
                .await
        });
        Ok(Self { base, stop, task })
    }

    pub async fn stop(self) -> Result<()> {
        self.stop.cancel();
        match tokio::time::timeout(std::time::Duration::from_secs(10), self.task).await {
            Ok(joined) => joined
                .context("the floor server panicked")?
                .context("the floor server failed"),
            Err(_) => Ok(()),
        }
    }
}
