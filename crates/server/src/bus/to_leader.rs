//! Commands for a task that runs on one node of the deployment at a time (a dispatcher, on the
//! node holding its lease), sent from any node; and the loop that runs that task term after term.
//!
//! - [`ToLeader::request`] sends a command's bytes to the lease holder's node as a bus request
//!   and hands back its answer. When nobody answers (a takeover under way) it tries again every
//!   250 ms for 15 s, then gives up (logged): the caller decides what a lost command means. When
//!   this node holds the lease it says so instead ([`Delivery::HeldHere`]), and the caller
//!   queues the command here, never encoded.
//! - [`ToLeader::each_term`] runs the task whenever this node holds the lease: it listens for
//!   the other nodes' commands first (so none is lost between the start and the first one),
//!   then runs the task until it returns (the lease was lost, or the server is closing).
//!
//! A single node (the in-process bus, a lease always held) never encodes a command nor listens:
//! [`ToLeader::held`] is one atomic read.

use super::leader::Leadership;
use super::{Bus, BusError, Membership, Subscription};
use bytes::Bytes;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a command is tried again when no lease holder answers (a takeover takes seconds).
const GIVE_UP_AFTER: Duration = Duration::from_secs(15);
const TRY_AGAIN_EVERY: Duration = Duration::from_millis(250);
/// How long a new holder waits before trying again to hear the other nodes.
const LISTEN_AGAIN_AFTER: Duration = Duration::from_secs(1);

/// Where one task's commands go: the node holding its lease.
#[derive(Clone, Debug)]
pub struct ToLeader {
    bus: Bus,
    leadership: Leadership,
    subject: String,
    /// The task's name in logs ("the attorney dispatcher").
    task: &'static str,
}

/// What became of a command sent with [`ToLeader::request`].
#[derive(Debug)]
pub enum Delivery {
    /// The holder's node took it and answered.
    Answered(Bytes),
    /// This node holds the lease (now): queue the command here.
    HeldHere,
    /// Nobody answered in time; logged.
    GaveUp,
}

impl ToLeader {
    /// Commands on `subject` (after the deployment's prefix) for the task `leadership` says
    /// whether this node runs.
    pub fn new(membership: &Membership, leadership: &Leadership, subject: &str, task: &'static str) -> Self {
        Self {
            bus: membership.bus.clone(),
            leadership: leadership.clone(),
            subject: membership.subjects.named(subject),
            task,
        }
    }

    /// Whether this node runs the task now.
    pub fn held(&self) -> bool {
        self.leadership.held()
    }

    /// This node's view of the lease, for a task that stops when it is lost.
    pub fn leadership(&self) -> Leadership {
        self.leadership.clone()
    }

    /// Sends `payload` to the lease holder's node; see the module's docs.
    pub async fn request(&self, payload: Bytes) -> Delivery {
        let give_up = tokio::time::Instant::now() + GIVE_UP_AFTER;
        loop {
            if self.leadership.held() {
                return Delivery::HeldHere;
            }
            match self.bus.request(self.subject.clone(), payload.clone()).await {
                Ok(answer) => return Delivery::Answered(answer),
                Err(e) if tokio::time::Instant::now() >= give_up => {
                    tracing::error!(error = %e, task = self.task, "nobody ran the task to take a command: it was dropped");
                    return Delivery::GaveUp;
                }
                Err(BusError::NoResponders(_) | BusError::TimedOut(_)) => {}
                Err(e) => tracing::warn!(error = %e, task = self.task, "the bus refused a command; trying again"),
            }
            tokio::time::sleep(TRY_AGAIN_EVERY).await;
        }
    }

    /// On the holder's node: the other nodes' commands, from the moment this returns.
    pub async fn listen(&self) -> Result<Subscription, BusError> {
        self.bus.subscribe(self.subject.clone()).await
    }

    /// Runs the task each time this node gains the lease, until `closing`. `hear` starts taking
    /// the other nodes' commands (called only when there are other nodes; its task is stopped
    /// when the term ends); `term` runs the task with its queue and gives the queue back when
    /// the lease is lost. Both are given a clone of `context` (the server's state).
    pub async fn each_term<C: Clone, Q, Hearing, Term>(
        self,
        context: C,
        closing: CancellationToken,
        mut queue: Q,
        hear: impl Fn(C) -> Hearing,
        term: impl Fn(C, Q) -> Term,
    ) where
        Hearing: Future<Output = Result<JoinHandle<()>, BusError>>,
        Term: Future<Output = Q>,
    {
        let mut leadership = self.leadership.clone();
        loop {
            tokio::select! {
                () = leadership.gained() => {}
                () = closing.cancelled() => return,
            }
            let heard = if self.bus.reaches_others() {
                match hear(context.clone()).await {
                    Ok(task) => Some(task),
                    Err(e) => {
                        tracing::error!(error = %e, task = self.task, "cannot hear the other nodes' commands; trying again");
                        tokio::select! {
                            () = tokio::time::sleep(LISTEN_AGAIN_AFTER) => continue,
                            () = closing.cancelled() => return,
                        }
                    }
                }
            } else {
                None
            };
            queue = term(context.clone(), queue).await;
            if let Some(heard) = heard {
                heard.abort();
            }
            if closing.is_cancelled() {
                return;
            }
            tracing::warn!(
                task = self.task,
                "this node no longer holds the lease: the task stopped"
            );
        }
    }
}
