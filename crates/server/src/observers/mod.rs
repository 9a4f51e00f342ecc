//! Legal observers (issue 6): the nearest available responders are asked to go to a verified
//! incident, and the first to accept is on the way.
//!
//! The rules are pure code in `amparo_core::observers` (on the attorney dispatcher's offer
//! machinery); this module runs them the way `crate::attorney` runs attorney dispatch. One task
//! in the deployment (on the node holding the `observer-dispatcher` lease; always, for a single
//! node) owns the [`ObserverDispatcher`](amparo_core::observers::ObserverDispatcher) and takes
//! [`Command`]s from every node's routes (availability, requests, answers, done, cancel), in
//! order; it tells responders over the live WebSocket at once (on whatever node holds their
//! socket) and writes what the incident page needs (requests, observers sent) before it answers
//! an accept, so a restart or a takeover never hides a dispatched observer.
//!
//! Module map:
//! - [`settings`]: the `observers` section of the settings.
//! - `service`: the task, and how each effect is carried out.
//! - `ask`: asking for observers at an incident (the route, and the verifier at verification).
//! - [`messages`]: every message it sends, and the observer as the incident page shows them.
//! - [`metrics`]: requests open, offers sent and ended, lapses, time to accept, for `/metrics`.
//! - [`cluster`]: on several nodes (issue 7), commands to the dispatcher's node over the bus,
//!   its published picture kept on every node, availability declared again to a new dispatcher.
//!
//! In memory only, never stored: who is available and their current cell (replaced by each
//! refresh, forgotten when they stop or it lapses), and the offers out. A restart forgets every
//! responder's availability (their apps say it again) and asks again for every open request; a
//! takeover by another node does the same, and the nodes declare again the availability they
//! were told of.

mod ask;
pub mod cluster;
pub mod messages;
pub mod metrics;
mod service;
pub mod settings;

use crate::bus::to_leader::{Delivery, ToLeader};
use crate::bus::{Bus, Membership, Topic};
use crate::state::AppState;
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, IncidentId};
use amparo_core::observers::{RefuseReason, RequestStatus};
use amparo_store::{Incident, ObserverDispatch};
pub use ask::{MAX_OBSERVERS, RequestView, ask, counted};
use cluster::DeskChange;
use serde::{Deserialize, Serialize};
use settings::ObserverConfig;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

/// Commands queued for the task; senders wait when it is full rather than lose one.
const COMMAND_QUEUE: usize = 4_096;

/// What the task is told (on its node, or from another over the bus).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Command {
    Available {
        responder: AccountId,
        cell: Cell,
    },
    Unavailable {
        responder: AccountId,
    },
    /// Someone asks for observers (or for more). `on_the_way` and `done` come from the store.
    /// Answered with where the request stands once asked.
    Request {
        incident: Incident,
        requester: AccountId,
        wanted: u32,
        requested_at_us: i64,
        on_the_way: Vec<AccountId>,
        done: u32,
    },
    /// Answered with the observer row written, or why the accept did not count.
    Accept {
        responder: AccountId,
        display_name: String,
        incident: IncidentId,
    },
    /// Answered with whether an offer was out to decline.
    Decline {
        responder: AccountId,
        incident: IncidentId,
    },
    /// The observer marked arriving (after the store took it): their time to be done starts.
    Arrived {
        responder: AccountId,
        incident: IncidentId,
    },
    Done {
        responder: AccountId,
        incident: IncidentId,
    },
    Cancel {
        incident: IncidentId,
    },
}

/// What the task answers a command with, once carried out.
#[derive(Debug, Serialize, Deserialize)]
pub enum Answer {
    /// Carried out; nothing more to say.
    Done,
    Status(Option<RequestStatus>),
    Accepted(Result<ObserverDispatch, Refused>),
    Declined(bool),
}

/// A command in the task's queue, with whoever waits for its answer.
#[derive(Debug)]
pub struct Queued {
    command: Command,
    reply: Option<oneshot::Sender<Answer>>,
    /// Sent by another node: when this node loses the lease before carrying it out, that node
    /// (whose wait for an answer runs out) sends it on to the next dispatcher itself.
    from_another_node: bool,
}

/// Why an accept did not send the responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refused {
    Core(RefuseReason),
    /// The dispatch could not be written: the responder was not sent.
    NotSaved,
}

/// A responder's availability, as the task last published it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub cell: Cell,
    pub until_us: i64,
}

/// What the task publishes after every event, for synchronous reads by the routes (on every
/// node: the others keep a copy from the changes it publishes on the bus).
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) available: HashMap<AccountId, Availability>,
    pub(crate) statuses: HashMap<IncidentId, RequestStatus>,
    pub(crate) on_the_way: HashMap<AccountId, IncidentId>,
    /// Each responder's offers out: incident and when it lapses.
    pub(crate) offers: HashMap<AccountId, Vec<(IncidentId, i64)>>,
}

/// Observer dispatch as the rest of the server sees it: a way to the task (here, or on the
/// lease holder's node), and what the task last published.
#[derive(Debug)]
pub struct ObserverDesk {
    commands: mpsc::Sender<Queued>,
    inbox: Mutex<Option<mpsc::Receiver<Queued>>>,
    published: Mutex<Published>,
    /// Availability declared through this node (cell, when), declared again to a new
    /// dispatcher. Kept only when there are other nodes.
    held_here: Mutex<HashMap<AccountId, (Cell, i64)>>,
    bus: Bus,
    to_dispatcher: ToLeader,
    desk_changes: Topic<DeskChange>,
    pub config: ObserverConfig,
    pub metrics: metrics::ObserverMetrics,
}

impl ObserverDesk {
    pub fn new(config: ObserverConfig, membership: &Membership) -> Self {
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        Self {
            commands,
            inbox: Mutex::new(Some(inbox)),
            published: Mutex::default(),
            held_here: Mutex::default(),
            bus: membership.bus.clone(),
            to_dispatcher: cluster::to_dispatcher(membership),
            desk_changes: cluster::desk_topic(&membership.subjects),
            config,
            metrics: metrics::ObserverMetrics::default(),
        }
    }

    /// Tells the task, without waiting for what it makes of it.
    pub async fn send(&self, command: Command) {
        self.dispatch(command, None).await;
    }

    /// The responder is available in `cell`; remembered on this node for a new dispatcher.
    pub async fn available(&self, responder: AccountId, cell: Cell) {
        self.hold(responder, Some(cell));
        self.send(Command::Available { responder, cell }).await;
    }

    pub async fn unavailable(&self, responder: AccountId) {
        self.hold(responder, None);
        self.send(Command::Unavailable { responder }).await;
    }

    /// Asks for observers (`request` is a [`Command::Request`]): where the request stands once
    /// asked, or `None` if no dispatcher answered.
    pub async fn request(&self, request: Command) -> Option<Option<RequestStatus>> {
        match self.ask(request).await? {
            Answer::Status(status) => Some(status),
            _ => None,
        }
    }

    /// The observer's row once written, or why they were not sent; `None` if no dispatcher
    /// answered.
    pub async fn accept(
        &self,
        responder: AccountId,
        display_name: String,
        incident: IncidentId,
    ) -> Option<Result<ObserverDispatch, Refused>> {
        let command = Command::Accept {
            responder,
            display_name,
            incident,
        };
        match self.ask(command).await? {
            Answer::Accepted(answer) => Some(answer),
            _ => None,
        }
    }

    /// Whether an offer was out to decline; `None` if no dispatcher answered.
    pub async fn decline(&self, responder: AccountId, incident: IncidentId) -> Option<bool> {
        match self.ask(Command::Decline { responder, incident }).await? {
            Answer::Declined(declined) => Some(declined),
            _ => None,
        }
    }

    async fn ask(&self, command: Command) -> Option<Answer> {
        let (reply, answer) = oneshot::channel();
        self.dispatch(command, Some(reply)).await;
        answer.await.ok()
    }

    /// Queues the command here when this node runs the task, else sends it to the node that
    /// does (see [`cluster`]) and hands its answer to `reply`.
    async fn dispatch(&self, command: Command, reply: Option<oneshot::Sender<Answer>>) {
        if !self.to_dispatcher.held() {
            match self.to_dispatcher.request(Topic::<Command>::encode(&command)).await {
                Delivery::Answered(answer) => {
                    cluster::answered(&answer, reply);
                    return;
                }
                // Logged; whoever waits for an answer hears that none came.
                Delivery::GaveUp => return,
                Delivery::HeldHere => {}
            }
        }
        let queued = Queued {
            command,
            reply,
            from_another_node: false,
        };
        self.queue(queued).await;
    }

    /// Queues a command for this node's task. Only fails once the task has stopped (shutdown).
    async fn queue(&self, queued: Queued) {
        if self.commands.send(queued).await.is_err() {
            tracing::debug!("the observer dispatcher has stopped; command dropped");
        }
    }

    pub fn availability(&self, responder: AccountId) -> Option<Availability> {
        lock(&self.published).available.get(&responder).cloned()
    }

    pub fn status(&self, incident: IncidentId) -> Option<RequestStatus> {
        lock(&self.published).statuses.get(&incident).cloned()
    }

    pub fn on_the_way_to(&self, responder: AccountId) -> Option<IncidentId> {
        lock(&self.published).on_the_way.get(&responder).copied()
    }

    pub fn offers_of(&self, responder: AccountId) -> Vec<(IncidentId, i64)> {
        lock(&self.published)
            .offers
            .get(&responder)
            .cloned()
            .unwrap_or_default()
    }

    /// The task's new picture; the other nodes hear what changed.
    fn publish(&self, published: Published) {
        let mut current = lock(&self.published);
        if self.bus.reaches_others() {
            cluster::publish_changes(self, &current, &published);
        }
        *current = published;
    }

    fn take_inbox(&self) -> Option<mpsc::Receiver<Queued>> {
        lock(&self.inbox).take()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Replaced whole under the lock: consistent under every panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// From the store's rows: the observers still going (on the way or there), and how many went
/// (done, or lapsed after arriving). One who lapsed before arriving is neither.
pub(crate) fn split(sent: &[ObserverDispatch]) -> (Vec<AccountId>, u32) {
    let on_the_way = sent.iter().filter(|d| d.going()).map(|d| d.observer).collect();
    let went = sent.iter().filter(|d| d.went()).count();
    (on_the_way, u32::try_from(went).unwrap_or(u32::MAX))
}

/// Starts the task that runs the dispatcher whenever this node holds the lease (always, for a
/// single node); `None` if it was started already.
pub fn start(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let inbox = state.observers.take_inbox()?;
    let terms = state.observers.to_dispatcher.clone();
    let (state, closing) = (state.clone(), state.closing.clone());
    Some(tokio::spawn(terms.each_term(
        state,
        closing,
        inbox,
        cluster::take_commands,
        term,
    )))
}

/// One term of this node's dispatcher: the others hear it started, then it runs.
async fn term(state: AppState, inbox: mpsc::Receiver<Queued>) -> mpsc::Receiver<Queued> {
    cluster::dispatcher_starting(&state);
    service::run(state, inbox).await
}
