//! While another node sequences the log, this node's view of it follows the store: the committed
//! tree (for tiles and proofs) and the latest checkpoint (for `/log/checkpoint` and bundles) are
//! read again every checkpoint interval. Both only ever move forward.

use super::leader::Shared;
use super::{LogHead, raise, sequencer};
use amparo_store::{Store, StoreError};
use std::convert::Infallible;
use std::sync::Arc;

/// The stored tree's size and root.
pub(super) async fn stored_head(store: &dyn Store) -> Result<LogHead, StoreError> {
    let frontier = sequencer::load_frontier(store).await?;
    Ok(LogHead {
        size: frontier.size(),
        root: frontier.root(),
    })
}

/// Follows the store until dropped (the caller takes the lease, or shuts down).
pub(super) async fn follow(shared: &Shared) -> Infallible {
    let mut ticker = tokio::time::interval(shared.checkpoint_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // The checkpoint is read before the tree, so it never names a tree larger than the one
        // this node serves proofs for; and the tree is shown first, for the same reason.
        let latest = shared.store.latest_checkpoint().await;
        match stored_head(shared.store.as_ref()).await {
            Ok(head) => {
                shared.head.send_if_modified(|current| {
                    let grown = head.size > current.size;
                    if grown {
                        *current = head;
                    }
                    grown
                });
            }
            Err(error) => tracing::warn!(%error, "could not read the log's size"),
        }
        match latest {
            Ok(Some(latest)) if latest.size <= shared.head.borrow().size => raise(&shared.published, Arc::new(latest)),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not read the latest checkpoint"),
        }
    }
}
