//! The attorney line across nodes: one dispatcher in the deployment, on the node that holds the
//! lease; every node's routes and sockets reach it, and every node sees what it publishes.
//!
//! - Commands from a node without the dispatcher are sent to it as bus requests
//!   (`attorney.commands`, through `bus::to_leader`), answered once queued; tried again for a
//!   while when nobody answers (a takeover under way), then given up, logged. A request for a new encounter is sent at
//!   once, while its row is committed; the word that it was (or was not) follows as a second
//!   message, and the dispatcher's writer waits for it as it waits on its own node.
//! - The line's shared reads (each request's status, connected calls, who is on duty) are kept
//!   on every node: each change is published on `attorney.line` by the node that makes it.
//! - A dispatcher that starts says so; every node then forgets what the previous one published
//!   and declares again the duty held on its connections. The new dispatcher picks up open
//!   requests from the store, as after a restart, and those a dead dispatcher rang but never
//!   recorded (`recover`): from their encounters as it starts, and from a request's word that its
//!   encounter was stored when that word reaches a dispatcher that never heard the request.

use super::messages::AttorneyStatus;
use super::stored::{Stored, Storing};
use super::{AttorneyLine, Command, Parties};
use crate::bus::to_leader::{Delivery, ToLeader};
use crate::bus::{BusError, Membership, Topic};
use crate::state::AppState;
use amparo_core::ids::{AccountId, EncounterId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the dispatcher waits for word that a remote request's encounter was stored before
/// it reads the store itself (its node may have died meanwhile).
const STORED_WORD_WAIT: Duration = Duration::from_secs(20);

/// What crosses to the dispatcher's node.
#[derive(Debug, Serialize, Deserialize)]
enum ToDispatcher {
    Command(Command),
    /// Whether the encounter behind a request sent earlier is stored.
    Stored {
        encounter: EncounterId,
        stored: bool,
    },
}

/// A change to the line's shared reads.
#[derive(Debug, Serialize, Deserialize)]
pub enum LineChange {
    Status {
        encounter: EncounterId,
        status: Option<AttorneyStatus>,
    },
    Call {
        encounter: EncounterId,
        parties: Option<Parties>,
    },
    Duty {
        attorney: AccountId,
        on: bool,
    },
    /// A dispatcher started: what the previous one published no longer holds.
    DispatcherStarted,
}

pub(super) fn to_dispatcher(membership: &Membership) -> ToLeader {
    ToLeader::new(
        membership,
        &membership.leadership,
        "attorney.commands",
        "the attorney dispatcher",
    )
}

pub(super) fn line_topic(subjects: &crate::bus::Subjects) -> Topic<LineChange> {
    Topic::new(subjects.named("attorney.line"))
}

/// Sends a command to the dispatcher on another node; see the module's docs.
pub(super) async fn forward(line: &AttorneyLine, command: Command) {
    let pending = match &command {
        Command::Request { request, context } => Some((request.encounter, context.stored.clone())),
        _ => None,
    };
    if !send(line, ToDispatcher::Command(command)).await {
        return;
    }
    if let Some((encounter, stored)) = pending {
        let stored = stored.wait().await;
        send(line, ToDispatcher::Stored { encounter, stored }).await;
    }
}

/// True once the dispatcher has it queued (on this node, if it moved here meanwhile).
async fn send(line: &AttorneyLine, message: ToDispatcher) -> bool {
    match line
        .to_dispatcher
        .request(Topic::<ToDispatcher>::encode(&message))
        .await
    {
        Delivery::Answered(_) => true,
        Delivery::GaveUp => false,
        Delivery::HeldHere => match message {
            ToDispatcher::Command(command) => {
                line.queue(command).await;
                true
            }
            // The request reached the dispatcher before it moved here, which may have stopped
            // before recording it: this one checks (`recover`).
            ToDispatcher::Stored { encounter, stored } => {
                if stored {
                    line.queue(Command::StoredUnheard { encounter }).await;
                }
                false
            }
        },
    }
}

/// On the dispatcher's node: takes the other nodes' commands into the dispatcher's queue until
/// the returned task is aborted (the lease is lost).
pub(super) async fn take_commands(state: AppState) -> Result<tokio::task::JoinHandle<()>, BusError> {
    let mut subscription = state.attorney.to_dispatcher.listen().await?;
    Ok(tokio::spawn(async move {
        let waiting: Arc<Mutex<HashMap<EncounterId, Storing>>> = Arc::default();
        while let Some(message) = subscription.next().await {
            let Some(decoded) = message.decode::<ToDispatcher>() else {
                message.respond(bytes::Bytes::new()).await;
                continue;
            };
            match decoded {
                ToDispatcher::Command(mut command) => {
                    if let Command::Request { request, context } = &mut command {
                        context.stored = await_word(&state, &waiting, request.encounter);
                    }
                    state.attorney.queue(command).await;
                }
                ToDispatcher::Stored { encounter, stored } => {
                    let storing = super::lock(&waiting).remove(&encounter);
                    match storing {
                        Some(storing) => storing.done(stored),
                        // Its request went to a dispatcher before this one, which may have
                        // stopped before recording it (or the word is late, and the store was
                        // read already).
                        None if stored => state.attorney.queue(Command::StoredUnheard { encounter }).await,
                        None => {}
                    }
                }
            }
            message.respond(bytes::Bytes::new()).await;
        }
    }))
}

/// A remote request's [`Stored`]: answered by the word its node sends, or, failing that, by
/// the store itself.
fn await_word(state: &AppState, waiting: &Arc<Mutex<HashMap<EncounterId, Storing>>>, encounter: EncounterId) -> Stored {
    let (storing, stored) = Stored::pending();
    super::lock(waiting).insert(encounter, storing);
    let (state, waiting) = (state.clone(), waiting.clone());
    tokio::spawn(async move {
        tokio::time::sleep(STORED_WORD_WAIT).await;
        let Some(storing) = super::lock(&waiting).remove(&encounter) else {
            return;
        };
        let found = matches!(state.store.encounter(encounter).await, Ok(Some(_)));
        storing.done(found);
    });
    stored
}

/// On every node: applies the changes other nodes publish to the line's shared reads.
pub async fn listen(state: &AppState) -> Result<tokio::task::JoinHandle<()>, BusError> {
    let (topic, bus, state) = (line_topic(&state.subjects), state.bus.clone(), state.clone());
    topic
        .listen(&bus, move |change| {
            let line = &state.attorney;
            match change {
                LineChange::Status { encounter, status } => line.mirror_status(encounter, status),
                LineChange::Call { encounter, parties } => line.mirror_call(encounter, parties),
                LineChange::Duty { attorney, on } => line.mirror_duty(attorney, on),
                LineChange::DispatcherStarted => {
                    line.forget_everything();
                    let state = state.clone();
                    tokio::spawn(async move { declare_duties_again(&state).await });
                }
            }
        })
        .await
}

/// This node now runs the dispatcher: what the others knew is stale, and the duty held on this
/// node's connections is declared to it again.
pub(super) async fn dispatcher_starting(state: &AppState) {
    state.attorney.forget_everything();
    line_topic(&state.subjects).publish(&state.bus, &LineChange::DispatcherStarted);
    declare_duties_again(state).await;
}

async fn declare_duties_again(state: &AppState) {
    for command in state.attorney.duties_held_here() {
        state.attorney.send(command).await;
    }
}
