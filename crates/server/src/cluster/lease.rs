//! "Exactly one node does X at a time, and another takes over when it dies."
//!
//! A [`Lease`] tries to take a named lease in the store ([`Store::acquire_lease`]) every second
//! until it has it, and hands the caller a [`LeaseHold`] for the time it holds it: a *term*. The
//! term ends when the hold says it is lost (on PostgreSQL: the session holding the advisory lock
//! died or stopped answering its health check, within about two seconds), or when the caller
//! drops it (giving the lease up, e.g. at shutdown). Then the caller asks for the next term.
//!
//! ```ignore
//! let mut lease = Lease::new(store.clone(), "attorney-dispatcher", node_url);
//! while let Some(term) = lease.next_term(&shutdown).await {
//!     // Only this node does X now. Start from the store, not from memory: the previous holder
//!     // may have written up to the moment it died.
//!     tokio::select! {
//!         () = term.lost() => tracing::warn!("lost the lease: stopping X"),
//!         () = shutdown.cancelled() => {}
//!         () = do_x() => {}
//!     }
//!     // Stop X before dropping `term`, which gives the lease to the next node.
//! }
//! ```
//!
//! A holder learns of a loss only at its next health check, so for a moment two nodes may both
//! believe they hold it. Whatever X writes must therefore be fenced in the store too (a
//! conditional write the stale holder's attempt fails), as the log's sequencer's appends are:
//! the lease makes double work rare and takeover quick; the fence makes it harmless.
//!
//! On SQLite the lease is this process's at once and never lost: with one node there is nobody
//! to take over. Two holds of one name in one process are refused all the same.

use amparo_store::{LeaseHold, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a node that does not hold the lease tries to take it: at most this long passes
/// between a holder's death being noticed by PostgreSQL and another node taking over.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);

/// One named lease, taken term after term by this node.
#[derive(Debug)]
pub struct Lease {
    store: Arc<dyn Store>,
    name: &'static str,
    holder: String,
}

impl Lease {
    /// A lease called `name`; `holder` tells other nodes who holds it (the store keeps the last
    /// taker's, [`Store::lease_holder`]): this node's advertised URL, or any label.
    pub fn new(store: Arc<dyn Store>, name: &'static str, holder: impl Into<String>) -> Self {
        Self {
            store,
            name,
            holder: holder.into(),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// One attempt: the hold if the lease was free. A store error counts as not taken (and is
    /// logged): the next attempt may work.
    pub async fn try_take(&self) -> Option<LeaseHold> {
        match self.store.acquire_lease(self.name, &self.holder).await {
            Ok(hold) => {
                if hold.is_some() {
                    tracing::info!(lease = self.name, holder = %self.holder, "took the lease");
                }
                hold
            }
            Err(error) => {
                tracing::warn!(lease = self.name, %error, "could not try to take the lease");
                None
            }
        }
    }

    /// Waits until this node holds the lease, trying every [`RETRY_EVERY`]; `None` once
    /// `shutdown` is cancelled.
    pub async fn next_term(&mut self, shutdown: &CancellationToken) -> Option<LeaseHold> {
        loop {
            if shutdown.is_cancelled() {
                return None;
            }
            if let Some(hold) = self.try_take().await {
                return Some(hold);
            }
            tokio::select! {
                () = tokio::time::sleep(RETRY_EVERY) => {}
                () = shutdown.cancelled() => return None,
            }
        }
    }
}
