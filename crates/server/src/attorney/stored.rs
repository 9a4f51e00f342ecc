//! Whether the encounter behind a request is stored yet.
//!
//! An encounter that asks for an attorney is rung while its row is still being committed: the
//! ring must not wait on the disk's fsync (on a busy disk that alone is tens of milliseconds,
//! and a lawyer on the line in seconds is the point). The line's own rows about that encounter
//! (its call record, the attorney's assignment) refer to the encounter's row, so the writer
//! waits for [`Stored`] before writing them, and drops them, cancelling the request, if the
//! encounter was never stored (the person was told their start failed).

use futures::future::{BoxFuture, FutureExt, Shared};
use std::fmt;
use tokio::sync::oneshot;

/// Resolves to whether the encounter's row was committed; cheap to clone and to await often.
#[derive(Clone)]
pub struct Stored {
    answer: Shared<BoxFuture<'static, bool>>,
    /// Read from the store: committed before anything was asked.
    already: bool,
}

/// The encounter's writer's half: says once whether the row was committed.
#[derive(Debug)]
pub struct Storing(oneshot::Sender<bool>);

impl Stored {
    /// For an encounter read from the store: stored already.
    pub fn already() -> Self {
        Self {
            answer: futures::future::ready(true).boxed().shared(),
            already: true,
        }
    }

    /// Whether the encounter was read from the store (not being written while it asks).
    pub fn is_already(&self) -> bool {
        self.already
    }

    /// For an encounter being written now. If the [`Storing`] half is dropped without a word
    /// (its task panicked), the encounter counts as not stored: its rows are not written.
    pub fn pending() -> (Storing, Self) {
        let (tx, rx) = oneshot::channel();
        let answer = rx.map(|answer| answer.unwrap_or(false)).boxed().shared();
        (Storing(tx), Self { answer, already: false })
    }

    /// Waits until the encounter's commit is over; `true` if its row is there.
    pub async fn wait(&self) -> bool {
        self.answer.clone().await
    }
}

impl Storing {
    pub fn done(self, stored: bool) {
        // Nobody waiting (the request was never made) is fine.
        let _ = self.0.send(stored);
    }
}

impl fmt::Debug for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.answer.peek() {
            Some(stored) => write!(f, "Stored({stored})"),
            None => f.write_str("Stored(pending)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_waiter_hears_the_one_answer() {
        let (storing, stored) = Stored::pending();
        let (a, b) = (stored.clone(), stored.clone());
        let waiting = tokio::spawn(async move { a.wait().await });
        storing.done(true);
        assert!(waiting.await.unwrap());
        assert!(b.wait().await);
        assert!(Stored::already().wait().await);
        assert!(Stored::already().is_already() && !b.is_already());
    }

    #[tokio::test]
    async fn a_writer_gone_without_an_answer_means_not_stored() {
        let (storing, stored) = Stored::pending();
        drop(storing);
        assert!(!stored.wait().await);
        let (storing, stored) = Stored::pending();
        storing.done(false);
        assert!(!stored.wait().await);
    }
}
