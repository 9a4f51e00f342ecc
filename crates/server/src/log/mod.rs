//! The transparency log service: a single sequencer that group-commits appends, a publisher that
//! signs checkpoints, and proof computation over the store.
//!
//! - [`sequencer`]: batches appends into one store transaction each, keeps the Merkle frontier.
//! - [`publisher`]: signs and stores a checkpoint every interval while the tree grows.
//! - [`proofs`]: inclusion and consistency proofs read from the store's stored hashes.

pub mod proofs;
pub mod publisher;
pub mod sequencer;

use amparo_core::Hash;
use amparo_core::keys::LogKey;
use amparo_core::leaf::EvidenceLeaf;
use amparo_store::{Store, StoreError, StoredCheckpoint};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The committed tree: what the sequencer has made durable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogHead {
    pub size: u64,
    pub root: Hash,
}

/// A leaf's place in the log, given once it is durable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Appended {
    pub index: u64,
    pub leaf_hash: Hash,
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the log is shutting down")]
    Closed,
}

pub(crate) struct AppendRequest {
    leaf: EvidenceLeaf,
    upload_expires_at_us: i64,
    reply: oneshot::Sender<Result<Appended, AppendError>>,
}

/// A handle to the running log. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Log {
    key: Arc<LogKey>,
    appends: mpsc::Sender<AppendRequest>,
    head: watch::Receiver<LogHead>,
    published: watch::Receiver<Option<Arc<StoredCheckpoint>>>,
}

/// The log's background tasks.
#[derive(Debug)]
pub struct LogTasks {
    sequencer: JoinHandle<()>,
    publisher: JoinHandle<()>,
    stop_publisher: CancellationToken,
}

impl LogTasks {
    /// After the shutdown token given to [`Log::start`] is cancelled: waits for the sequencer to
    /// commit what was queued, then lets the publisher sign a last checkpoint over it.
    pub async fn finish(self) {
        if let Err(error) = self.sequencer.await {
            tracing::error!(%error, "the log sequencer failed");
        }
        self.stop_publisher.cancel();
        if let Err(error) = self.publisher.await {
            tracing::error!(%error, "the checkpoint publisher failed");
        }
    }
}

impl Log {
    /// Loads the tree from the store (checking it against the last checkpoint) and starts the
    /// sequencer and publisher. The sequencer stops taking appends when `shutdown` is cancelled;
    /// then [`LogTasks::finish`] ends both.
    pub async fn start(
        store: Arc<dyn Store>,
        key: Arc<LogKey>,
        checkpoint_interval: Duration,
        shutdown: CancellationToken,
    ) -> Result<(Self, LogTasks), StoreError> {
        let frontier = sequencer::load_frontier(store.as_ref()).await?;
        let latest = store.latest_checkpoint().await?;
        if let Some(checkpoint) = &latest {
            proofs::check_checkpoint_against_tree(&store, checkpoint, frontier.size()).await?;
        }
        let head = LogHead {
            size: frontier.size(),
            root: frontier.root(),
        };
        let (head_tx, head_rx) = watch::channel(head);
        let (published_tx, published_rx) = watch::channel(latest.map(Arc::new));
        let (appends_tx, appends_rx) = mpsc::channel(16_384);

        let sequencer = tokio::spawn(sequencer::run(store.clone(), frontier, appends_rx, head_tx, shutdown));
        let stop_publisher = CancellationToken::new();
        let publisher = tokio::spawn(publisher::run(
            store,
            key.clone(),
            head_rx.clone(),
            published_tx,
            checkpoint_interval,
            stop_publisher.clone(),
        ));
        let log = Self {
            key,
            appends: appends_tx,
            head: head_rx,
            published: published_rx,
        };
        Ok((
            log,
            LogTasks {
                sequencer,
                publisher,
                stop_publisher,
            },
        ))
    }

    /// Appends a leaf; returns once it and its chunk are durable in the store.
    pub async fn append(&self, leaf: EvidenceLeaf, upload_expires_at_us: i64) -> Result<Appended, AppendError> {
        let (reply, answer) = oneshot::channel();
        self.appends
            .send(AppendRequest {
                leaf,
                upload_expires_at_us,
                reply,
            })
            .await
            .map_err(|_| AppendError::Closed)?;
        answer.await.map_err(|_| AppendError::Closed)?
    }

    pub fn key(&self) -> &LogKey {
        &self.key
    }

    /// The committed tree.
    pub fn head(&self) -> LogHead {
        *self.head.borrow()
    }

    /// The latest published checkpoint.
    pub fn latest_checkpoint(&self) -> Option<Arc<StoredCheckpoint>> {
        self.published.borrow().clone()
    }

    /// Waits (up to `timeout`) for a published checkpoint that contains log index `index`.
    pub async fn checkpoint_covering(&self, index: u64, timeout: Duration) -> Option<Arc<StoredCheckpoint>> {
        let mut published = self.published.clone();
        let wait = published.wait_for(|cp| cp.as_ref().is_some_and(|cp| cp.size > index));
        tokio::time::timeout(timeout, wait).await.ok()?.ok()?.clone()
    }
}
