//! Whether this node runs the deployment's one-of-a-kind tasks: the attorney line's dispatcher
//! and the silence watch's alerts (one lease), the legal observers' dispatcher (another). A
//! single node always does; in a cluster the lease says (held by one node at a time, taken over
//! when its holder stops renewing it).

use crate::cluster::lease::Lease;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The attorney dispatcher's lease's name in the store.
pub const DISPATCHER_LEASE: &str = "attorney-dispatcher";
/// The legal observers' dispatcher's lease.
pub const OBSERVER_LEASE: &str = "observer-dispatcher";

/// A view of the lease: cheap to clone, every clone sees the same changes.
#[derive(Clone, Debug)]
pub struct Leadership(watch::Receiver<bool>);

impl Leadership {
    /// A single node: it runs everything, always.
    pub fn always() -> Self {
        // The sender is dropped: the value never changes again.
        Self(watch::channel(true).1)
    }

    /// Follows a lease's holder flag (`true` while this node holds it).
    pub fn follow(held: watch::Receiver<bool>) -> Self {
        Self(held)
    }

    /// Takes `lease` term after term until `stop` is cancelled, leading for each term.
    pub fn campaign(mut lease: Lease, stop: CancellationToken) -> Self {
        let (leads, held) = watch::channel(false);
        tokio::spawn(async move {
            while let Some(term) = lease.next_term(&stop).await {
                leads.send_replace(true);
                tokio::select! {
                    () = term.lost() => tracing::warn!(lease = lease.name(), "lost the lease"),
                    () = stop.cancelled() => {}
                }
                // The dispatcher stops on this; the lease goes to the next node as `term` drops.
                // Its writes are fenced by the store (a call is saved whole, duty spans close
                // the previous one), so a moment of overlap repeats work, never corrupts it.
                leads.send_replace(false);
            }
        });
        Self(held)
    }

    pub fn held(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once this node holds the lease (at once if it does).
    pub async fn gained(&mut self) {
        if self.0.wait_for(|held| *held).await.is_err() {
            // The lease is gone for good and was not held: wait forever.
            std::future::pending::<()>().await;
        }
    }

    /// Returns once this node no longer holds the lease; never, for a single node.
    pub async fn lost(&mut self) {
        let lost = self.0.wait_for(|held| !*held).await.is_ok();
        if !lost && self.held() {
            // The lease is gone for good while held: a single node, leading for as long as it runs.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_single_node_leads_for_good() {
        let mut always = Leadership::always();
        assert!(always.held());
        always.gained().await;
        let lost = tokio::time::timeout(Duration::from_millis(50), always.lost()).await;
        assert!(lost.is_err(), "a single node never loses the lead");
    }

    #[tokio::test]
    async fn a_lease_is_followed_as_it_changes_hands() {
        let (tx, rx) = watch::channel(false);
        let mut lead = Leadership::follow(rx);
        assert!(!lead.held());
        tx.send(true).expect("send");
        lead.gained().await;
        tx.send(false).expect("send");
        lead.lost().await;
        assert!(!lead.held());
    }
}
