//! The transparency log service: one sequencer in the whole deployment that group-commits
//! appends, a publisher beside it that signs checkpoints, and proofs over the store.
//!
//! - [`leader`]: the node that holds the sequencer's lease ([`SEQUENCER_LEASE`], see
//!   [`crate::cluster::lease`]) runs the sequencer and the publisher for its term; a node that
//!   does not follows the store ([`follower`]) and forwards its appends ([`forward`]).
//! - [`sequencer`]: batches appends into one store transaction each, keeps the Merkle frontier,
//!   and steps down when the stored log moved under it (another sequencer wrote: a fence).
//! - [`publisher`]: signs and stores a checkpoint every interval while the tree grows.
//! - [`proofs`]: inclusion and consistency proofs read from the store's stored hashes.
//!
//! On SQLite (one node) the lease is always this node's, and the log runs as it always did. On
//! PostgreSQL, [`Log::append`] sends a leaf to this node's sequencer while it holds the lease and
//! forwards it to the holder's advertised URL otherwise; either way it returns only once the
//! leaf is committed, so a receipt always names a durable entry, whichever node signs it.

mod follower;
pub mod forward;
mod leader;
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

/// The lease whose holder sequences the log and publishes its checkpoints.
pub const SEQUENCER_LEASE: &str = "log-sequencer";

/// How long an append waits for a sequencer while the lease changes hands before it is refused
/// (the client sends the chunk again): a takeover takes about two seconds.
const TAKEOVER_WAIT: Duration = Duration::from_secs(10);
/// Pause between attempts while no node answers as the sequencer.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

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
    /// The node asked does not sequence the log (any more): ask the lease's holder.
    #[error("this node does not sequence the log")]
    NotSequencer,
    /// No node answered as the sequencer in time (a takeover that did not finish).
    #[error("no sequencer answered within {0:?}")]
    Unavailable(Duration),
}

impl AppendError {
    /// The same error again, for each request of a batch that failed as one.
    fn again(&self) -> Self {
        match self {
            Self::Store(StoreError::NotFound(what)) => Self::Store(StoreError::NotFound(what.clone())),
            Self::Store(StoreError::Conflict(why)) => Self::Store(StoreError::Conflict(why.clone())),
            Self::Store(StoreError::Backend(cause)) => Self::Store(StoreError::Backend(cause.clone())),
            Self::Closed => Self::Closed,
            Self::NotSequencer => Self::NotSequencer,
            Self::Unavailable(waited) => Self::Unavailable(*waited),
        }
    }
}

pub(crate) struct AppendRequest {
    leaf: EvidenceLeaf,
    upload_expires_at_us: i64,
    reply: oneshot::Sender<Result<Appended, AppendError>>,
}

/// Where this node's appends go now.
#[derive(Clone, Debug)]
enum Route {
    /// This node holds the lease: its own sequencer.
    Here(mpsc::Sender<AppendRequest>),
    /// Another node's sequencer, by HTTP.
    Elsewhere,
    /// Shutting down.
    Closed,
}

/// How a node takes part in the log.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// How often the publisher signs a checkpoint while the tree grows (at most a second).
    pub checkpoint_interval: Duration,
    /// The URL other nodes reach this node at (`http://10.0.0.5:8080`), to forward their
    /// appends while it sequences. Empty on a single node.
    pub advertise_url: String,
}

/// A handle to the running log. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Log {
    key: Arc<LogKey>,
    store: Arc<dyn Store>,
    route: watch::Receiver<Route>,
    forwarder: Arc<forward::Forwarder>,
    head: watch::Receiver<LogHead>,
    published: watch::Receiver<Option<Arc<StoredCheckpoint>>>,
}

/// The log's background task: the lease's loop, and the sequencer and publisher while it holds it.
#[derive(Debug)]
pub struct LogTasks {
    leadership: JoinHandle<()>,
}

impl LogTasks {
    /// After the shutdown token given to [`Log::start`] is cancelled: waits for the sequencer to
    /// commit what was queued, lets the publisher sign a last checkpoint over it, and gives the
    /// lease up.
    pub async fn finish(self) {
        if let Err(error) = self.leadership.await {
            tracing::error!(%error, "the log's task failed");
        }
    }
}

impl Log {
    /// [`Log::start_node`] for a single node (nothing to advertise).
    pub async fn start(
        store: Arc<dyn Store>,
        key: Arc<LogKey>,
        checkpoint_interval: Duration,
        shutdown: CancellationToken,
    ) -> Result<(Self, LogTasks), StoreError> {
        let config = LogConfig {
            checkpoint_interval,
            advertise_url: String::new(),
        };
        Self::start_node(store, key, config, shutdown).await
    }

    /// Starts this node's part of the log. If it takes the sequencer's lease at once (always, on
    /// SQLite), it loads the tree from the store and checks it against the last checkpoint first,
    /// and refuses to start if they disagree. Otherwise it follows the store and keeps trying
    /// for the lease. When `shutdown` is cancelled, appends are refused; [`LogTasks::finish`]
    /// then commits what was queued and seals it.
    pub async fn start_node(
        store: Arc<dyn Store>,
        key: Arc<LogKey>,
        config: LogConfig,
        shutdown: CancellationToken,
    ) -> Result<(Self, LogTasks), StoreError> {
        let lease = crate::cluster::lease::Lease::new(store.clone(), SEQUENCER_LEASE, config.advertise_url.clone());
        let first_term = match lease.try_take().await {
            Some(hold) => Some(leader::prepare(&store, &key, hold).await?),
            None => None,
        };
        let head = match &first_term {
            Some(term) => term.head(),
            None => follower::stored_head(store.as_ref()).await?,
        };
        let latest = store.latest_checkpoint().await?;
        let (head_tx, head_rx) = watch::channel(head);
        let (published_tx, published_rx) = watch::channel(latest.map(Arc::new));
        let (route_tx, route_rx) = watch::channel(Route::Elsewhere);
        let shared = leader::Shared {
            store: store.clone(),
            key: key.clone(),
            checkpoint_interval: config.checkpoint_interval,
            head: Arc::new(head_tx),
            published: Arc::new(published_tx),
            route: route_tx,
        };
        let leadership = tokio::spawn(leader::run(shared, lease, first_term, shutdown));
        let log = Self {
            forwarder: Arc::new(forward::Forwarder::new(store.clone(), &key)),
            key,
            store,
            route: route_rx,
            head: head_rx,
            published: published_rx,
        };
        Ok((log, LogTasks { leadership }))
    }

    /// Appends a leaf; returns once it and its chunk are durable in the store. Goes to whichever
    /// node sequences the log, waiting out a takeover (up to [`TAKEOVER_WAIT`]).
    pub async fn append(&self, leaf: EvidenceLeaf, upload_expires_at_us: i64) -> Result<Appended, AppendError> {
        let deadline = tokio::time::Instant::now() + TAKEOVER_WAIT;
        let mut route = self.route.clone();
        let mut retried = false;
        loop {
            let current = route.borrow_and_update().clone();
            let attempt = match current {
                Route::Here(sequencer) => send(&sequencer, leaf.clone(), upload_expires_at_us).await,
                Route::Elsewhere => self.forwarder.append(&leaf, upload_expires_at_us).await,
                Route::Closed => Err(AppendError::Closed),
            };
            match attempt {
                Err(AppendError::NotSequencer) if tokio::time::Instant::now() < deadline => {
                    retried = true;
                    tokio::select! {
                        () = tokio::time::sleep(RETRY_PAUSE) => {}
                        _ = route.changed() => {}
                    }
                }
                Err(AppendError::NotSequencer) => return Err(AppendError::Unavailable(TAKEOVER_WAIT)),
                // An earlier attempt whose answer was lost (its sequencer died) may have committed
                // the leaf: then this is its place, not a conflict.
                Err(AppendError::Store(StoreError::Conflict(why))) if retried => {
                    return match self.already_logged(&leaf).await {
                        Some(appended) => Ok(appended),
                        None => Err(AppendError::Store(StoreError::Conflict(why))),
                    };
                }
                other => return other,
            }
        }
    }

    /// Appends a leaf to this node's own sequencer only: `NotSequencer` if it does not hold the
    /// lease. What a forwarded append runs on the sequencing node (never forwarded again).
    pub async fn append_here(&self, leaf: EvidenceLeaf, upload_expires_at_us: i64) -> Result<Appended, AppendError> {
        let current = self.route.borrow().clone();
        match current {
            Route::Here(sequencer) => send(&sequencer, leaf, upload_expires_at_us).await,
            Route::Elsewhere => Err(AppendError::NotSequencer),
            Route::Closed => Err(AppendError::Closed),
        }
    }

    /// The leaf's place if this exact leaf is in the log already.
    async fn already_logged(&self, leaf: &EvidenceLeaf) -> Option<Appended> {
        let chunks = self.store.chunks_of(leaf.recording_id).await.ok()?;
        let chunk = chunks
            .iter()
            .find(|c| c.offset == leaf.offset && c.sha256 == leaf.chunk_sha256)?;
        let stored = self.store.entries(chunk.leaf_index, 1).await.ok()?;
        (stored.first()? == &leaf.encode()).then(|| Appended {
            index: chunk.leaf_index,
            leaf_hash: leaf.leaf_hash(),
        })
    }

    pub fn key(&self) -> &LogKey {
        &self.key
    }

    /// The token nodes sharing this log key present to each other (forwarded appends).
    pub fn node_token(&self) -> &str {
        self.forwarder.token()
    }

    /// Whether this node sequences the log now.
    pub fn is_sequencer(&self) -> bool {
        matches!(*self.route.borrow(), Route::Here(_))
    }

    /// The committed tree, as far as this node knows (on a node that does not sequence, as of its
    /// last look at the store, at most a checkpoint interval ago).
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

/// Hands a leaf to this node's sequencer and waits for its answer. A sequencer that went away
/// (its term ended) before answering sends the caller to the next one.
async fn send(
    sequencer: &mpsc::Sender<AppendRequest>,
    leaf: EvidenceLeaf,
    upload_expires_at_us: i64,
) -> Result<Appended, AppendError> {
    let (reply, answer) = oneshot::channel();
    let request = AppendRequest {
        leaf,
        upload_expires_at_us,
        reply,
    };
    sequencer.send(request).await.map_err(|_| AppendError::NotSequencer)?;
    answer.await.map_err(|_| AppendError::NotSequencer)?
}

/// Publishes a checkpoint to this node's readers if it is larger than the one they have.
fn raise(published: &watch::Sender<Option<Arc<StoredCheckpoint>>>, checkpoint: Arc<StoredCheckpoint>) {
    published.send_if_modified(|current| {
        let newer = current.as_ref().is_none_or(|c| c.size < checkpoint.size);
        if newer {
            *current = Some(checkpoint);
        }
        newer
    });
}
