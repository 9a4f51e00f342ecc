//! Group commit: many small writes in one transaction, so one fsync makes them all durable.
//!
//! With `synchronous=FULL` every commit waits for the disk. A write that is one statement
//! (an encounter's insert, a call record's upsert, an attorney's assignment) costs almost nothing
//! but that wait, so at hundreds a second they queue for the writer one fsync at a time. Here
//! they go to one task instead, which takes every write waiting at that moment (up to
//! [`MAX_BATCH`]), runs each in a savepoint of one `BEGIN IMMEDIATE` transaction, commits once,
//! and only then answers each caller: an acknowledged write has reached the disk, as before.
//!
//! A write that fails is rolled back to its savepoint and fails alone; the others commit. A
//! commit that fails fails every write of the batch, which then changed nothing. Writes run in
//! the order they were asked for, so two writes of the same row keep their order.
//!
//! Written here rather than taken from a crate: it is the SQLite writer's own queue, a few dozen
//! lines over sqlx's savepoints, and no crate offers it.

use crate::convert::from_sqlx;
use amparo_store::StoreError;
use futures::future::BoxFuture;
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// The most writes one transaction takes. A batch this size commits in a few milliseconds; a
/// larger one would hold the writer from the log's sequencer for longer.
pub(crate) const MAX_BATCH: usize = 512;

/// The queue to the group-commit task.
pub(crate) type Queue = mpsc::UnboundedSender<Box<dyn Pending>>;

/// One write waiting in the queue, whatever it returns.
pub(crate) trait Pending: Send {
    /// Runs the write on the batch's connection (inside its savepoint); `true` when it succeeded.
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool>;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, commit: &Result<(), String>);
}

type Step<T> = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send>;

struct Job<T> {
    step: Option<Step<T>>,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Pending for Job<T> {
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let Some(step) = self.step.take() else { return false };
            let outcome = step(conn).await;
            let succeeded = outcome.is_ok();
            self.outcome = Some(outcome);
            succeeded
        })
    }

    fn finish(self: Box<Self>, commit: &Result<(), String>) {
        let outcome = match (self.outcome, commit) {
            (Some(Err(failed)), _) => Err(failed),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(why)) => Err(StoreError::Backend(why.clone())),
            (None, Ok(())) => Err(StoreError::Backend("a grouped write was never run".into())),
        };
        // The caller may have gone (a dropped request): the write stands all the same.
        let _ = self.reply.send(outcome);
    }
}

/// Starts the group-commit task on the current Tokio runtime; it ends when every sender is gone.
pub(crate) fn start(writer: SqlitePool) -> Queue {
    let (queue, mut inbox) = mpsc::unbounded_channel::<Box<dyn Pending>>();
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while inbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let commit = commit(&writer, &mut batch).await;
            for job in batch.drain(..) {
                job.finish(&commit);
            }
        }
    });
    queue
}

/// Queues `step` and waits until its batch has committed.
pub(crate) async fn write<T, F>(queue: &Queue, step: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job = Job {
        step: Some(Box::new(step)),
        outcome: None,
        reply,
    };
    let stopped = || StoreError::Backend("the SQLite writer has stopped (the store is closing)".into());
    queue.send(Box::new(job)).map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

async fn commit(writer: &SqlitePool, batch: &mut [Box<dyn Pending>]) -> Result<(), String> {
    let failed = |e: sqlx::Error, what: &str| from_sqlx(e, what).to_string();
    let mut conn = writer
        .acquire()
        .await
        .map_err(|e| failed(e, "waiting for the writer"))?;
    // Dropped without a commit (an early return), the transaction rolls back.
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| failed(e, "starting a batch of writes"))?;
    for job in batch.iter_mut() {
        let mut savepoint = Connection::begin(&mut *tx)
            .await
            .map_err(|e| failed(e, "starting a write of the batch"))?;
        if job.run(&mut savepoint).await {
            savepoint
                .commit()
                .await
                .map_err(|e| failed(e, "ending a write of the batch"))?;
        } else {
            savepoint
                .rollback()
                .await
                .map_err(|e| failed(e, "undoing a failed write of the batch"))?;
        }
    }
    tx.commit().await.map_err(|e| failed(e, "committing a batch of writes"))
}
