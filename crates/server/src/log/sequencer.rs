//! The sequencer: the only writer of the log, on the node that holds the sequencer's lease.
//!
//! Appends queue on a channel. While one batch commits, the next accumulates, so under load each
//! store transaction (and each fsync) carries many entries: group commit. A reply is sent only
//! after the transaction commits, so a receipt always names a durable entry.
//!
//! Fencing: the store commits a batch only if the log still has the size the batch starts at
//! (`Store::append_batch`), so a sequencer that lost its lease without noticing yet cannot write
//! over another's entries: its commit fails. It then reads the stored tree back; if the tree is
//! not the one its frontier describes, another sequencer wrote, and it steps down ([`Signals`]).

use super::{AppendError, AppendRequest, Appended, LogHead};
use amparo_core::merkle::Frontier;
use amparo_store::{AppendBatch, AppendEntry, Chunk, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Most entries in one transaction; bounds the time one commit holds the writer.
const MAX_BATCH: usize = 4_096;

/// How a term tells its sequencer to stop, and how the sequencer says it was fenced.
#[derive(Clone, Debug, Default)]
pub(super) struct Signals {
    /// Shutdown, lease still held: stop taking appends, commit what is queued, end.
    pub drain: CancellationToken,
    /// Lease lost: commit nothing more; answer what is queued with `NotSequencer`, end.
    pub abandon: CancellationToken,
    /// Set by the sequencer: the stored log moved under it (another sequencer wrote).
    pub fenced: CancellationToken,
}

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
    head: Arc<watch::Sender<LogHead>>,
    signals: Signals,
) {
    loop {
        let first = tokio::select! {
            biased;
            () = signals.abandon.cancelled() => break,
            () = signals.fenced.cancelled() => break,
            request = requests.recv() => request,
            () = signals.drain.cancelled() => {
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
        frontier = commit(store.as_ref(), frontier, batch, &head, &signals.fenced).await;
    }
    // Whatever is still queued goes to the next sequencer.
    requests.close();
    while let Some(request) = requests.recv().await {
        let _ = request.reply.send(Err(AppendError::NotSequencer));
    }
}

/// What one attempt at a commit came to.
enum Outcome {
    Committed(Frontier, Vec<Appended>),
    /// Not committed; the frontier to continue from (the stored one, when it could be read).
    Failed(AppendError, Frontier),
}

/// Commits one batch and answers its requests. Returns the frontier to continue from.
async fn commit(
    store: &dyn Store,
    frontier: Frontier,
    batch: Vec<AppendRequest>,
    head: &watch::Sender<LogHead>,
    fenced: &CancellationToken,
) -> Frontier {
    match attempt(store, &frontier, &batch, fenced).await {
        Outcome::Committed(next, appended) => answer(batch, next, appended, head),
        // A refusal about one upload (a racing node's chunk at the same offset) refuses the whole
        // batch: commit the others one at a time, so that only the loser hears of it.
        Outcome::Failed(AppendError::Store(StoreError::Conflict(_) | StoreError::NotFound(_)), mut frontier)
            if batch.len() > 1 =>
        {
            for request in batch {
                if fenced.is_cancelled() {
                    let _ = request.reply.send(Err(AppendError::NotSequencer));
                    continue;
                }
                frontier = match attempt(store, &frontier, std::slice::from_ref(&request), fenced).await {
                    Outcome::Committed(next, appended) => answer(vec![request], next, appended, head),
                    Outcome::Failed(error, frontier) => {
                        let _ = request.reply.send(Err(error));
                        frontier
                    }
                };
            }
            frontier
        }
        Outcome::Failed(error, frontier) => {
            tracing::warn!(%error, entries = batch.len(), "log append refused");
            for request in batch {
                let _ = request.reply.send(Err(error.again()));
            }
            frontier
        }
    }
}

/// Publishes the new head and answers every request of a committed batch.
fn answer(
    batch: Vec<AppendRequest>,
    next: Frontier,
    appended: Vec<Appended>,
    head: &watch::Sender<LogHead>,
) -> Frontier {
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

/// One store transaction for `batch` on top of `frontier`.
async fn attempt(
    store: &dyn Store,
    frontier: &Frontier,
    batch: &[AppendRequest],
    fenced: &CancellationToken,
) -> Outcome {
    let (append, next, appended) = plan(frontier, batch);
    let Err(error) = store.append_batch(&append).await else {
        return Outcome::Committed(next, appended);
    };
    // Trust the store, not memory: a failed commit may still have landed (a connection lost
    // during COMMIT), or another sequencer may have written.
    let stored = match load_frontier(store).await {
        Ok(stored) => stored,
        Err(reload_error) => {
            tracing::error!(%error, %reload_error, "log append failed, and the log could not be read back");
            return Outcome::Failed(AppendError::Store(error), frontier.clone());
        }
    };
    if stored.size() == next.size() && stored.root() == next.root() {
        return Outcome::Committed(next, appended);
    }
    if stored.size() != frontier.size() || stored.root() != frontier.root() {
        tracing::warn!(
            expected = frontier.size(),
            stored = stored.size(),
            "the stored log moved under this sequencer: another node sequences it; stepping down"
        );
        fenced.cancel();
        return Outcome::Failed(AppendError::NotSequencer, stored);
    }
    Outcome::Failed(AppendError::Store(error), stored)
}

/// The store's batch for `requests` appended to `frontier`, the frontier after it, and each
/// request's place.
fn plan(frontier: &Frontier, requests: &[AppendRequest]) -> (AppendBatch, Frontier, Vec<Appended>) {
    let mut next = frontier.clone();
    let first_index = next.size();
    let mut entries = Vec::with_capacity(requests.len());
    let mut hashes = Vec::with_capacity(requests.len() * 2);
    let mut appended = Vec::with_capacity(requests.len());
    for request in requests {
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
    let batch = AppendBatch {
        first_index,
        entries,
        hashes,
    };
    (batch, next, appended)
}
