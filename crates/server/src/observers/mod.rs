//! Legal observers (issue 6): the nearest available responders are asked to go to a verified
//! incident, and the first to accept is on the way.
//!
//! The rules are pure code in `amparo_core::observers` (on the attorney dispatcher's offer
//! machinery); this module runs them the way `crate::attorney` runs attorney dispatch. One task
//! per node owns the [`ObserverDispatcher`](amparo_core::observers::ObserverDispatcher) and
//! takes [`Command`]s from the routes (availability, requests, answers, done, cancel), in order;
//! it tells responders over the live WebSocket at once and writes what the incident page needs
//! (requests, observers sent) before it answers an accept, so a restart never hides a dispatched
//! observer.
//!
//! Module map:
//! - [`settings`]: the `observers` section of the settings.
//! - `service`: the task, and how each effect is carried out.
//! - `ask`: asking for observers at an incident (the route, and the verifier at verification).
//! - [`messages`]: every message it sends, and the observer as the incident page shows them.
//! - [`metrics`]: requests open, offers sent and ended, lapses, time to accept, for `/metrics`.
//!
//! In memory only, never stored: who is available and their current cell (replaced by each
//! refresh, forgotten when they stop or it lapses), and the offers out. A restart forgets every
//! responder's availability (their apps say it again) and asks again for every open request.

mod ask;
pub mod messages;
pub mod metrics;
mod service;
pub mod settings;

use crate::state::AppState;
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, IncidentId};
use amparo_core::observers::{RefuseReason, RequestStatus};
use amparo_store::{Incident, ObserverDispatch};
pub use ask::{MAX_OBSERVERS, RequestView, ask, counted};
use settings::ObserverConfig;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

/// Commands queued for the task; senders wait when it is full rather than lose one.
const COMMAND_QUEUE: usize = 4_096;

/// What the task is told.
#[derive(Debug)]
pub enum Command {
    Available {
        responder: AccountId,
        cell: Cell,
    },
    Unavailable {
        responder: AccountId,
    },
    /// Someone asks for observers (or for more). `on_the_way` and `done` come from the store.
    Request {
        incident: Incident,
        requester: AccountId,
        wanted: u32,
        requested_at_us: i64,
        on_the_way: Vec<AccountId>,
        done: u32,
        /// Where the request stands once asked (none when a restart asks again).
        reply: Option<oneshot::Sender<Option<RequestStatus>>>,
    },
    /// The answer is the observer row written, or why the accept did not count.
    Accept {
        responder: AccountId,
        display_name: String,
        incident: IncidentId,
        reply: oneshot::Sender<Result<ObserverDispatch, Refused>>,
    },
    /// The answer says whether an offer was out to decline.
    Decline {
        responder: AccountId,
        incident: IncidentId,
        reply: oneshot::Sender<bool>,
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

/// Why an accept did not send the responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Core(RefuseReason),
    /// The dispatch could not be written: the responder was not sent.
    NotSaved,
}

/// A responder's availability, as the task last published it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub cell: Cell,
    pub until_us: i64,
}

/// What the task publishes after every event, for synchronous reads by the routes.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) available: HashMap<AccountId, Availability>,
    pub(crate) statuses: HashMap<IncidentId, RequestStatus>,
    pub(crate) on_the_way: HashMap<AccountId, IncidentId>,
    /// Each responder's offers out: incident and when it lapses.
    pub(crate) offers: HashMap<AccountId, Vec<(IncidentId, i64)>>,
}

/// Observer dispatch as the rest of the server sees it: a queue into the task, and what the
/// task last published.
#[derive(Debug)]
pub struct ObserverDesk {
    commands: mpsc::Sender<Command>,
    inbox: Mutex<Option<mpsc::Receiver<Command>>>,
    published: Mutex<Published>,
    pub config: ObserverConfig,
    pub metrics: metrics::ObserverMetrics,
}

impl ObserverDesk {
    pub fn new(config: ObserverConfig) -> Self {
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        Self {
            commands,
            inbox: Mutex::new(Some(inbox)),
            published: Mutex::default(),
            config,
            metrics: metrics::ObserverMetrics::default(),
        }
    }

    /// Queues a command. Only fails once the task has stopped (shutdown).
    pub async fn send(&self, command: Command) {
        if self.commands.send(command).await.is_err() {
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

    fn publish(&self, published: Published) {
        *lock(&self.published) = published;
    }

    fn take_inbox(&self) -> Option<mpsc::Receiver<Command>> {
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

/// Starts the task for this state; `None` if it was started already.
pub fn start(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let inbox = state.observers.take_inbox()?;
    Some(tokio::spawn(service::run(state.clone(), inbox)))
}
