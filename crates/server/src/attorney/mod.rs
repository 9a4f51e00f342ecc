//! The attorney line: a lawyer on the call in seconds.
//!
//! The rules of dispatch are pure code in `amparo_core::dispatch`; this module runs them. One
//! task per node owns the [`Dispatcher`](amparo_core::dispatch::Dispatcher) and takes
//! [`Command`]s from the live WebSocket (duty, heartbeats, accept, decline, hang-up) and from
//! the routes (a person asks, cancels, ends their encounter); it carries out the dispatcher's
//! effects as WebSocket messages at once, and hands what must be written (call records, duty
//! spans, an attorney's assignment, admins' coverage alerts) to a writer task that keeps their
//! order, so a slow disk never delays a ring. An attorney who took a call may open the encounter
//! before their assignment is written: the table of connected calls says they are on it.
//!
//! Module map:
//! - [`settings`]: `[dispatch]`, `[turn]`, `[metrics]`.
//! - [`request`]: from an encounter to a dispatch request (which organization answers, in which
//!   language and state), or an honest "unavailable".
//! - `service`: the dispatcher's task and how each effect is carried out; `writer` its writes.
//! - [`messages`]: every message the line sends.
//! - [`stored`]: whether the encounter behind a request is committed yet (it is rung before).
//! - `recover`: requests a dead dispatcher rang but never recorded, found by their encounters
//!   and asked again.
//! - `lapses`: when each attorney on duty was last heard; one who went quiet (their node died,
//!   their socket died silently) has their duty span ended at their last heartbeat.
//! - [`presence`]: an attorney's duty on one connection, ended when the connection drops;
//!   [`socket`]: the line's messages on the live WebSocket (duty, answers, signaling).
//! - [`coverage`]: the organization admins' coverage table (pure); [`gap_push`]: coverage gaps
//!   to the admins' devices by Web Push, at most one per organization every few minutes.
//! - [`turn`]: ICE servers and coturn REST credentials; [`metrics`]: `/metrics`.
//!
//! - [`cluster`]: on several nodes (issue 7), one dispatcher in the deployment (on the node that
//!   holds the lease): commands cross to it on the bus, its messages reach sockets on any node,
//!   and every node keeps the line's shared reads (statuses, calls, duty) as it publishes them.

pub mod cluster;
pub mod coverage;
pub mod gap_push;
mod lapses;
pub mod messages;
pub mod metrics;
pub mod presence;
mod recover;
pub mod request;
mod service;
pub mod settings;
pub mod socket;
pub mod stored;
pub mod turn;
mod writer;

use crate::bus::to_leader::ToLeader;
use crate::bus::{Bus, Membership, Topic};
use crate::state::AppState;
use amparo_core::dispatch::{AttorneyProfile, Request, StatePolicy};
use amparo_core::ids::{AccountId, EncounterId, OrgId};
use cluster::LineChange;
use messages::{AttorneyCard, AttorneyStatus, CallFacts};
use serde::{Deserialize, Serialize};
use settings::{DispatchConfig, MetricsSettings, TurnSettings};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use stored::Stored;
use tokio::sync::mpsc;

pub use service::run;

/// Commands queued for the dispatcher's task. Big enough for a burst of a city's raid morning;
/// senders wait when it is full rather than lose a command.
const COMMAND_QUEUE: usize = 65_536;

/// What the dispatcher's task is told (on its node, or from another over the bus).
#[derive(Debug, Serialize, Deserialize)]
pub enum Command {
    /// One more connection of this attorney is on duty, with their vetted profile.
    OnDuty {
        attorney: AccountId,
        connection: u64,
        profile: AttorneyProfile,
        card: AttorneyCard,
    },
    /// This connection is off duty (or closed).
    OffDuty {
        attorney: AccountId,
        connection: u64,
    },
    Heartbeat {
        attorney: AccountId,
    },
    Accept {
        attorney: AccountId,
        encounter: EncounterId,
    },
    Decline {
        attorney: AccountId,
        encounter: EncounterId,
    },
    /// A person asks for an attorney.
    Request {
        request: Request,
        context: CallContext,
    },
    /// The person cancels, or either side hangs up: the request closes.
    Close {
        encounter: EncounterId,
    },
    /// The encounter ended: its request closes and its status is forgotten.
    EncounterEnded {
        encounter: EncounterId,
    },
    SetPolicy {
        org: OrgId,
        policy: StatePolicy,
    },
    /// The encounter was stored, and this dispatcher never heard its request: it went to one
    /// that stopped since, perhaps before recording it. Asked again if it was not (`recover`).
    StoredUnheard {
        encounter: EncounterId,
    },
    /// An admin changed the attorney's profile: applied at once if they are on duty.
    ProfileChanged {
        attorney: AccountId,
        profile: AttorneyProfile,
        card: AttorneyCard,
    },
}

/// What the server knows about a request beyond what dispatch decides on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallContext {
    pub owner: AccountId,
    pub facts: CallFacts,
    pub backup_line: Option<String>,
    /// Whether the encounter's row is committed: the line's writes about it wait for this.
    /// Never sent: the dispatcher's node makes its own from the sender's word (`cluster`).
    #[serde(skip, default = "Stored::already")]
    pub stored: Stored,
    /// The request's call record was saved before it was sent (asked on an encounter already
    /// stored, or read back from the store): the dispatcher does not save it again, and closes
    /// it if the encounter turns out to have another request open.
    #[serde(default)]
    pub recorded: bool,
}

/// The two sides of a connected call: who may signal to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parties {
    pub owner: AccountId,
    pub attorney: AccountId,
}

/// The line as the rest of the server sees it: a queue into the dispatcher's task, and what
/// that task publishes for synchronous reads (each request's status, connected calls).
#[derive(Debug)]
pub struct AttorneyLine {
    commands: mpsc::Sender<Command>,
    inbox: Mutex<Option<mpsc::Receiver<Command>>>,
    statuses: Mutex<HashMap<EncounterId, AttorneyStatus>>,
    calls: Mutex<HashMap<EncounterId, Parties>>,
    on_duty: Mutex<HashSet<AccountId>>,
    /// Duty declared on this node's connections, by connection: declared again to a new
    /// dispatcher.
    duties_here: Mutex<HashMap<u64, HeldDuty>>,
    bus: Bus,
    /// The node running the dispatcher: this one, or the lease holder over the bus.
    to_dispatcher: ToLeader,
    line_changes: Topic<LineChange>,
    next_connection: AtomicU64,
    pub dispatch: DispatchConfig,
    pub turn: TurnSettings,
    pub metrics_access: MetricsSettings,
    pub metrics: metrics::DispatchMetrics,
    /// When each organization's admins were last pushed a coverage gap.
    pub gap_pushes: gap_push::GapPushes,
}

/// The attorney line's settings, as `Services` carries them.
#[derive(Clone, Debug, Default)]
pub struct LineSettings {
    pub dispatch: DispatchConfig,
    pub turn: TurnSettings,
    pub metrics: MetricsSettings,
}

impl AttorneyLine {
    pub fn new(settings: LineSettings, membership: &Membership) -> Self {
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        Self {
            commands,
            inbox: Mutex::new(Some(inbox)),
            statuses: Mutex::default(),
            calls: Mutex::default(),
            on_duty: Mutex::default(),
            duties_here: Mutex::default(),
            bus: membership.bus.clone(),
            to_dispatcher: cluster::to_dispatcher(membership),
            line_changes: cluster::line_topic(&membership.subjects),
            next_connection: AtomicU64::new(rand::random::<u64>() >> 1),
            dispatch: settings.dispatch,
            turn: settings.turn,
            metrics_access: settings.metrics,
            metrics: metrics::DispatchMetrics::default(),
            gap_pushes: gap_push::GapPushes::default(),
        }
    }

    /// Sends a command to the dispatcher: queued here when this node runs it, else sent to the
    /// node that does (see [`cluster`]).
    pub async fn send(&self, command: Command) {
        if self.to_dispatcher.held() {
            self.queue(command).await;
        } else {
            cluster::forward(self, command).await;
        }
    }

    /// Queues a command for this node's dispatcher. Only fails once the task has stopped.
    async fn queue(&self, command: Command) {
        if self.commands.send(command).await.is_err() {
            tracing::debug!("the dispatcher has stopped; command dropped");
        }
    }

    /// Queues a command without waiting; gives it back when it must wait (a full queue, or a
    /// dispatcher on another node).
    fn try_send(&self, command: Command) -> Option<Command> {
        if !self.to_dispatcher.held() {
            return Some(command);
        }
        match self.commands.try_send(command) {
            Err(mpsc::error::TrySendError::Full(command)) => Some(command),
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => None,
        }
    }

    /// A number for one WebSocket connection, so duty can follow connections; unique across
    /// nodes (each node starts at a random point).
    pub fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    fn duty_held_here(&self, connection: u64, duty: Option<HeldDuty>) {
        let mut duties = lock(&self.duties_here);
        match duty {
            Some(duty) => duties.insert(connection, duty),
            None => duties.remove(&connection),
        };
    }

    /// `OnDuty` for every connection of this node that holds duty.
    fn duties_held_here(&self) -> Vec<Command> {
        lock(&self.duties_here)
            .iter()
            .map(|(connection, duty)| Command::OnDuty {
                attorney: duty.attorney,
                connection: *connection,
                profile: duty.profile.clone(),
                card: duty.card.clone(),
            })
            .collect()
    }

    /// Where the person's request stands, if they asked.
    pub fn status(&self, encounter: EncounterId) -> Option<AttorneyStatus> {
        lock(&self.statuses).get(&encounter).cloned()
    }

    /// The connected call's two sides.
    pub fn parties(&self, encounter: EncounterId) -> Option<Parties> {
        lock(&self.calls).get(&encounter).copied()
    }

    /// Whether the attorney is on duty on some connection to this node.
    pub fn is_on_duty(&self, attorney: AccountId) -> bool {
        lock(&self.on_duty).contains(&attorney)
    }

    fn set_on_duty(&self, attorney: AccountId, on: bool) {
        self.mirror_duty(attorney, on);
        self.publish(&LineChange::Duty { attorney, on });
    }

    fn mirror_duty(&self, attorney: AccountId, on: bool) {
        let mut on_duty = lock(&self.on_duty);
        if on {
            on_duty.insert(attorney);
        } else {
            on_duty.remove(&attorney);
        }
    }

    fn publish(&self, change: &LineChange) {
        self.line_changes.publish(&self.bus, change);
    }

    /// A dispatcher (re)started: statuses, calls and duty are published again from scratch.
    fn forget_everything(&self) {
        lock(&self.statuses).clear();
        lock(&self.calls).clear();
        lock(&self.on_duty).clear();
    }

    fn take_inbox(&self) -> Option<mpsc::Receiver<Command>> {
        lock(&self.inbox).take()
    }

    fn set_status(&self, encounter: EncounterId, status: AttorneyStatus) {
        self.mirror_status(encounter, Some(status.clone()));
        self.publish(&LineChange::Status {
            encounter,
            status: Some(status),
        });
    }

    fn forget_status(&self, encounter: EncounterId) {
        self.mirror_status(encounter, None);
        self.publish(&LineChange::Status {
            encounter,
            status: None,
        });
    }

    fn mirror_status(&self, encounter: EncounterId, status: Option<AttorneyStatus>) {
        let mut statuses = lock(&self.statuses);
        match status {
            Some(status) => statuses.insert(encounter, status),
            None => statuses.remove(&encounter),
        };
    }

    fn set_call(&self, encounter: EncounterId, parties: Option<Parties>) {
        self.mirror_call(encounter, parties);
        self.publish(&LineChange::Call { encounter, parties });
    }

    fn mirror_call(&self, encounter: EncounterId, parties: Option<Parties>) {
        let mut calls = lock(&self.calls);
        match parties {
            Some(parties) => calls.insert(encounter, parties),
            None => calls.remove(&encounter),
        };
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps stay consistent under every panic (single inserts and removes).
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Duty held on one of this node's connections, as it was declared.
#[derive(Clone, Debug)]
struct HeldDuty {
    attorney: AccountId,
    profile: AttorneyProfile,
    card: AttorneyCard,
}

/// Starts the task that runs the dispatcher whenever this node holds the lease (always, for a
/// single node); `None` if it was started already.
pub fn start(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let inbox = state.attorney.take_inbox()?;
    let terms = state.attorney.to_dispatcher.clone();
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
async fn term(state: AppState, inbox: mpsc::Receiver<Command>) -> mpsc::Receiver<Command> {
    cluster::dispatcher_starting(&state).await;
    run(state, inbox).await
}
