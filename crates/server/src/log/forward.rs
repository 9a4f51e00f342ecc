//! Appends from a node that does not sequence the log, forwarded over HTTP to the one that does:
//! `POST /internal/v1/log/append` on the URL the lease's holder advertised
//! ([`amparo_store::Store::lease_holder`]), answered once the leaf is committed. The sequencing
//! node serves it in `routes::log_append`.
//!
//! Nodes prove to each other that they belong to the deployment with a bearer token derived from
//! the log's signing key, which every node of a deployment has ([`node_token`]): no other secret
//! to configure, and nobody without the key can add entries to the log.
//!
//! A sequencer that does not answer (dead, or not the holder any more: 503) is not an error the
//! person sees: [`super::Log::append`] asks the store for the holder again and retries until a
//! takeover finishes.

use super::{AppendError, Appended, SEQUENCER_LEASE};
use amparo_core::Hash;
use amparo_core::keys::LogKey;
use amparo_core::leaf::EvidenceLeaf;
use amparo_store::{Store, StoreError};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Where the sequencing node takes forwarded appends.
pub const FORWARD_PATH: &str = "/internal/v1/log/append";

/// How long a forwarded append may take. A commit takes milliseconds; this bounds the wait on a
/// sequencer that stopped answering without closing its connections.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A forwarded append, as JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardedAppend {
    /// The evidence leaf's bytes (docs/evidence-format.md), hex.
    pub leaf: String,
    pub upload_expires_at_us: i64,
}

/// Its place in the log, once committed.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForwardedPlace {
    pub index: u64,
    /// The leaf's Merkle hash, hex.
    pub leaf_hash: String,
}

/// The bearer token nodes holding `key` present to each other: the SHA-256 of the private key's
/// text under a label of its own, so it reveals nothing of the key and serves no other purpose.
pub fn node_token(key: &LogKey) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"amparo node token v1\n");
    hasher.update(key.to_private_string().as_bytes());
    hex::encode(hasher.finalize())
}

/// Sends appends to the sequencing node.
#[derive(Debug)]
pub struct Forwarder {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    token: String,
    /// The holder's URL as last read from the store; forgotten when it does not answer as one.
    sequencer: Mutex<Option<String>>,
}

impl Forwarder {
    pub fn new(store: Arc<dyn Store>, key: &LogKey) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FORWARD_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            store,
            client,
            token: node_token(key),
            sequencer: Mutex::new(None),
        }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Forwards one append. `NotSequencer` when no node answered as the sequencer.
    pub(super) async fn append(&self, leaf: &EvidenceLeaf, upload_expires_at_us: i64) -> Result<Appended, AppendError> {
        let url = self.sequencer_url().await?;
        let body = ForwardedAppend {
            leaf: hex::encode(leaf.encode()),
            upload_expires_at_us,
        };
        let sent = self
            .client
            .post(format!("{url}{FORWARD_PATH}"))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(%error, %url, "the sequencer did not answer");
                self.forget();
                return Err(AppendError::NotSequencer);
            }
        };
        let status = response.status();
        if status == StatusCode::OK {
            let place: ForwardedPlace = response.json().await.map_err(|e| backend(&url, e))?;
            let leaf_hash = hex::decode(&place.leaf_hash)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| backend(&url, "a leaf hash that is not 32 bytes of hex"))?;
            return Ok(Appended {
                index: place.index,
                leaf_hash: Hash(leaf_hash),
            });
        }
        let detail = problem_detail(response).await;
        match status {
            StatusCode::CONFLICT => Err(AppendError::Store(StoreError::Conflict(detail))),
            StatusCode::NOT_FOUND => Err(AppendError::Store(StoreError::NotFound(detail))),
            StatusCode::SERVICE_UNAVAILABLE => {
                self.forget();
                Err(AppendError::NotSequencer)
            }
            other => Err(backend(&url, format!("{other}: {detail}"))),
        }
    }

    /// The holder's advertised URL: remembered, or read from the store.
    async fn sequencer_url(&self) -> Result<String, AppendError> {
        if let Some(url) = self.lock().clone() {
            return Ok(url);
        }
        let holder = self.store.lease_holder(SEQUENCER_LEASE).await?;
        // A holder that advertised nothing (a single node's default) cannot be reached: wait for
        // another, as for one that does not answer.
        let url = holder.filter(|url| !url.is_empty()).ok_or(AppendError::NotSequencer)?;
        let url = url.trim_end_matches('/').to_owned();
        *self.lock() = Some(url.clone());
        Ok(url)
    }

    fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A URL or none: consistent whatever panicked while holding it.
        self.sequencer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `detail` of a problem+json answer, or its status.
async fn problem_detail(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Option<serde_json::Value> = response.json().await.ok();
    body.as_ref()
        .and_then(|problem| problem["detail"].as_str())
        .map_or_else(|| status.to_string(), str::to_owned)
}

fn backend(url: &str, error: impl std::fmt::Display) -> AppendError {
    AppendError::Store(StoreError::Backend(format!(
        "the sequencer at {url} answered with {error}"
    )))
}
