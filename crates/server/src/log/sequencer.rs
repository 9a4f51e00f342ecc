//! The sequencer: the only writer of the log.
//!
//! Appends queue on a channel. While one batch commits, the next accumulates, so under load each
//! store transaction (and each fsync) carries many entries: group commit. A reply is sent only
//! after the transaction commits, so a receipt always names a durable entry.

use super::{AppendError, AppendRequest, Appended, LogHead};
use amparo_core::merkle::Frontier;
use amparo_store::{AppendBatch, AppendEntry, Chunk, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Most entries in one transaction; bounds the time one commit holds the writer.
const MAX_BATCH: usize = 4_096;

/// Rebuilds the frontier of the stored tree.
pub async fn load_frontier(store: &dyn Store) -> Result<Frontier, StoreError> {
    let size = store.log_size().await?;
    let hashes = store.read_hashes(&Frontier::addresses(size)).await?;
    Frontier::from_hashes(size, &hashes).map_err(|e| StoreError::Backend(e.to_string()))
}

pub(super) async fn run(
    store: Arc<dyn Store>,
    mut frontier: Frontier,
    mut requests: mpsc::Receiver<AppendRequest>,
    head: watch::Sender<LogHead>,
    shutdown: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            request = requests.recv() => request,
            () = shutdown.cancelled() => {
                // Stop taking new appends, but commit what was already queued.
                requests.close();
                requests.recv().await
            }
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        frontier = commit(store.as_ref(), frontier, batch, &head).await;
    }
}

/// Commits one batch and answers its requests. Returns the frontier to continue from.
async fn commit(
    store: &dyn Store,
    frontier: Frontier,
    batch: Vec<AppendRequest>,
    head: &watch::Sender<LogHead>,
) -> Frontier {
    let mut next = frontier.clone();
    let first_index = next.size();
    let mut entries = Vec::with_capacity(batch.len());
    let mut hashes = Vec::with_capacity(batch.len() * 2);
    let mut appended = Vec::with_capacity(batch.len());
    for request in &batch {
        let index = next.size();
        let leaf_hash = request.leaf.leaf_hash();
        hashes.extend(next.append(leaf_hash));
        appended.push(Appended { index, leaf_hash });
        entries.push(AppendEntry {
            leaf: request.leaf.encode(),
            chunk: Chunk {
                recording: request.leaf.recording_id,
                offset: request.leaf.offset,
                length: request.leaf.length,
                sha256: request.leaf.chunk_sha256,
                chain: request.leaf.chain_sha256,
                received_at_us: request.leaf.received_at_us,
                leaf_index: index,
            },
            upload_expires_at_us: request.upload_expires_at_us,
        });
    }
    let result = store
        .append_batch(&AppendBatch {
            first_index,
            entries,
            hashes,
        })
        .await;
    match result {
        Ok(()) => {
            head.send_replace(LogHead {
                size: next.size(),
                root: next.root(),
            });
            for (request, appended) in batch.into_iter().zip(appended) {
                // The requester may have gone (client hung up); the entry is stored regardless.
                let _ = request.reply.send(Ok(appended));
            }
            next
        }
        Err(error) => {
            tracing::error!(%error, entries = batch.len(), "log append failed");
            let message = error.to_string();
            for request in batch {
                let _ = request
                    .reply
                    .send(Err(AppendError::Store(StoreError::Backend(message.clone()))));
            }
            // A failed commit may still have landed (a connection lost during COMMIT): trust the
            // store, not memory.
            match load_frontier(store).await {
                Ok(reloaded) => {
                    head.send_replace(LogHead {
                        size: reloaded.size(),
                        root: reloaded.root(),
                    });
                    reloaded
                }
                Err(reload_error) => {
                    tracing::error!(%reload_error, "could not reload the log after a failed append");
                    frontier
                }
            }
        }
    }
}
