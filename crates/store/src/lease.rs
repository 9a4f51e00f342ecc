//! Leases: "exactly one node of the deployment does this at a time".
//!
//! [`Store::acquire_lease`](crate::Store::acquire_lease) takes a named lease if nobody holds it
//! and returns a [`LeaseHold`]. The hold says when it is lost (its backend can no longer vouch
//! that nobody else has the lease: on PostgreSQL, the session holding the advisory lock died or
//! stopped answering); dropping it gives the lease up. What the lease protects should still be
//! fenced where it is written (a holder learns of a loss only at its next health check), so a
//! lease makes double work rare and takeovers fast, and the store's conditional writes make it
//! harmless.

use std::fmt;
use tokio::sync::watch;

/// A named lease this node holds. Dropping it gives the lease up.
pub struct LeaseHold {
    name: String,
    /// `true` once the lease is lost. A dropped sender (the backend's keeper ended) counts as lost.
    lost: watch::Receiver<bool>,
    /// Dropped with the hold; the backend gives the lease up when it is (see [`LeaseHold::new`]).
    _release: Box<dyn Send + Sync>,
}

impl LeaseHold {
    /// For backends: a hold that is lost once `lost` says `true` (or its sender is dropped), and
    /// that drops `release` when it is dropped itself (a backend gives the lease up then: closes
    /// the session holding a lock, forgets a name).
    pub fn new(name: &str, lost: watch::Receiver<bool>, release: impl Send + Sync + 'static) -> Self {
        Self {
            name: name.to_owned(),
            lost,
            _release: Box::new(release),
        }
    }

    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Resolves once the lease is lost; never while it is held. Cancel-safe: use it in
    /// `tokio::select!` beside the work the lease protects.
    pub async fn lost(&self) {
        let mut lost = self.lost.clone();
        // An error means the sender is gone: nobody vouches for the lease any more.
        let _ = lost.wait_for(|lost| *lost).await;
    }

    /// Whether the lease is lost already.
    pub fn is_lost(&self) -> bool {
        *self.lost.borrow() || self.lost.has_changed().is_err()
    }
}

impl fmt::Debug for LeaseHold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseHold")
            .field("name", &self.name)
            .field("lost", &self.is_lost())
            .finish_non_exhaustive()
    }
}
