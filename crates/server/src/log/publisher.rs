//! The checkpoint publisher: while the tree grows, signs a checkpoint every interval (at most a
//! second, the promise every receipt makes) and stores it before anyone can fetch it.
//!
//! It runs beside the sequencer, on the node holding the sequencer's lease, and signs only what
//! that sequencer committed: its frontier is always a prefix of the stored tree (it moves only
//! after a commit, and is read back from the store after a failed one), so even a holder that
//! lost its lease without noticing yet signs a tree consistent with every other checkpoint.

use super::{LogHead, raise};
use amparo_core::checkpoint;
use amparo_core::keys::LogKey;
use amparo_store::{Store, StoredCheckpoint};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub(super) async fn run(
    store: Arc<dyn Store>,
    key: Arc<LogKey>,
    head: watch::Receiver<LogHead>,
    published: Arc<watch::Sender<Option<Arc<StoredCheckpoint>>>>,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = ticker.tick() => false,
            () = shutdown.cancelled() => true,
        };
        // On stop, the sequencer has already drained (see `LogTasks::finish`): this seals the
        // last entries it committed.
        publish_if_grown(store.as_ref(), &key, &head, &published).await;
        if stopping {
            break;
        }
    }
}

async fn publish_if_grown(
    store: &dyn Store,
    key: &LogKey,
    head: &watch::Receiver<LogHead>,
    published: &watch::Sender<Option<Arc<StoredCheckpoint>>>,
) {
    let LogHead { size, root } = *head.borrow();
    let last = published.borrow().as_ref().map_or(0, |cp| cp.size);
    if size <= last {
        return;
    }
    let signed = checkpoint::sign(key, size, root);
    let stored = StoredCheckpoint {
        size,
        root,
        note: signed.note,
        published_at_us: crate::clock::now_us(),
    };
    match store.save_checkpoint(&stored).await {
        Ok(()) => raise(published, Arc::new(stored)),
        // Not published; the next tick tries again.
        Err(error) => tracing::error!(%error, size, "could not store a checkpoint"),
    }
}
