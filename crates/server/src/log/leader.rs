//! The sequencer's lease, term after term: while this node holds it, the sequencer and the
//! publisher run here and appends come here; while it does not, this node follows the store and
//! forwards its appends.
//!
//! A term starts from the store, never from memory: the frontier is rebuilt from the stored
//! hashes (the previous holder may have committed up to the moment it died), checked against the
//! last checkpoint, and the publisher's first tick seals whatever was committed but not yet
//! checkpointed. A term ends when the lease is lost, when the sequencer finds the stored log moved
//! under it (a fence: another sequencer wrote), or at shutdown; only at shutdown are the queued
//! appends committed and sealed, since only then does this node still hold the lease.

use super::{LogHead, Route, follower, proofs, publisher, raise, sequencer};
use crate::cluster::lease::{Lease, RETRY_EVERY};
use amparo_core::checkpoint;
use amparo_core::keys::LogKey;
use amparo_core::merkle::Frontier;
use amparo_store::{LeaseHold, Store, StoreError, StoredCheckpoint};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Room for appends waiting for the sequencer.
const QUEUE: usize = 16_384;

/// What every term shares with the [`super::Log`] handles.
pub(super) struct Shared {
    pub store: Arc<dyn Store>,
    pub key: Arc<LogKey>,
    pub checkpoint_interval: Duration,
    pub head: Arc<watch::Sender<LogHead>>,
    pub published: Arc<watch::Sender<Option<Arc<StoredCheckpoint>>>>,
    pub route: watch::Sender<Route>,
}

/// A term ready to run: the lease held, the tree loaded from the store and checked.
pub(super) struct Term {
    hold: LeaseHold,
    frontier: Frontier,
    latest: Option<StoredCheckpoint>,
}

impl Term {
    pub(super) fn head(&self) -> LogHead {
        LogHead {
            size: self.frontier.size(),
            root: self.frontier.root(),
        }
    }
}

/// Loads the stored tree for a term and checks it against the last checkpoint: it must contain
/// it, agree with its root, and the checkpoint must be signed by this node's key (a node given
/// another key would sign receipts nobody can check against the log's checkpoints).
pub(super) async fn prepare(store: &Arc<dyn Store>, key: &LogKey, hold: LeaseHold) -> Result<Term, StoreError> {
    let frontier = sequencer::load_frontier(store.as_ref()).await?;
    let latest = store.latest_checkpoint().await?;
    if let Some(last) = &latest {
        checkpoint::verify(&key.public(), &last.note).map_err(|_| {
            StoreError::Backend(format!(
                "the log's last checkpoint (size {}) is not signed by this node's log key {:?}: every node \
                 of a deployment needs the same log.key",
                last.size,
                key.name()
            ))
        })?;
        proofs::check_checkpoint_against_tree(store, last, frontier.size()).await?;
    }
    Ok(Term { hold, frontier, latest })
}

/// How a term ended.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ended {
    Lost,
    Fenced,
    Shutdown,
}

/// Term after term until shutdown. `first` is a term taken (and checked) at start.
pub(super) async fn run(shared: Shared, mut lease: Lease, first: Option<Term>, shutdown: CancellationToken) {
    let mut next = first;
    loop {
        let term = match next.take() {
            Some(term) => term,
            None => {
                shared.route.send_replace(Route::Elsewhere);
                let hold = tokio::select! {
                    hold = lease.next_term(&shutdown) => hold,
                    never = follower::follow(&shared) => match never {},
                };
                let Some(hold) = hold else { break };
                match prepare(&shared.store, &shared.key, hold).await {
                    Ok(term) => term,
                    Err(error) => {
                        // The hold is dropped here: another node may do better.
                        tracing::error!(%error, "took the sequencer's lease but cannot sequence");
                        tokio::time::sleep(RETRY_EVERY).await;
                        continue;
                    }
                }
            }
        };
        let ended = lead(&shared, term, &shutdown).await;
        if ended == Ended::Shutdown {
            break;
        }
        tracing::warn!(?ended, "this node no longer sequences the log");
    }
    shared.route.send_replace(Route::Closed);
}

/// One term: the sequencer and publisher run until the lease is lost, the sequencer is fenced,
/// or shutdown.
async fn lead(shared: &Shared, term: Term, shutdown: &CancellationToken) -> Ended {
    shared.head.send_replace(term.head());
    if let Some(latest) = term.latest {
        raise(&shared.published, Arc::new(latest));
    }
    let (appends, requests) = mpsc::channel(QUEUE);
    let signals = sequencer::Signals::default();
    let sequencer = tokio::spawn(sequencer::run(
        shared.store.clone(),
        term.frontier,
        requests,
        shared.head.clone(),
        signals.clone(),
    ));
    let stop_publisher = CancellationToken::new();
    let publisher = tokio::spawn(publisher::run(
        shared.store.clone(),
        shared.key.clone(),
        shared.head.subscribe(),
        shared.published.clone(),
        shared.checkpoint_interval,
        stop_publisher.clone(),
    ));
    shared.route.send_replace(Route::Here(appends));
    tracing::info!(size = shared.head.borrow().size, "this node sequences the log");

    let ended = tokio::select! {
        () = term.hold.lost() => Ended::Lost,
        () = signals.fenced.cancelled() => Ended::Fenced,
        () = shutdown.cancelled() => Ended::Shutdown,
    };
    // From here on, new appends go to the next sequencer (or are refused at shutdown).
    let next_route = if ended == Ended::Shutdown {
        Route::Closed
    } else {
        Route::Elsewhere
    };
    shared.route.send_replace(next_route);
    if ended == Ended::Shutdown {
        // Still the holder: commit what was queued, then seal it.
        signals.drain.cancel();
        finish(sequencer, "sequencer").await;
        stop_publisher.cancel();
        finish(publisher, "publisher").await;
    } else {
        // Not the holder any more: commit nothing; the queued appends go to the next sequencer,
        // which also seals what this one committed.
        publisher.abort();
        signals.abandon.cancel();
        finish(sequencer, "sequencer").await;
    }
    drop(term.hold);
    ended
}

async fn finish(task: tokio::task::JoinHandle<()>, what: &str) {
    match task.await {
        Ok(()) => {}
        Err(error) if error.is_cancelled() => {}
        Err(error) => tracing::error!(%error, "the log's {what} failed"),
    }
}
