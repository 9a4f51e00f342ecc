//! Legal observers across nodes: one dispatcher in the deployment, on the node that holds the
//! `observer-dispatcher` lease; every node's routes reach it, and every node reads what it
//! publishes.
//!
//! - Commands from a node without the dispatcher are sent to it as bus requests
//!   (`observers.commands`, through `bus::to_leader`) and answered once carried out (an accept
//!   with the observer's row, a request with its status); tried again for a while when nobody
//!   answers (a takeover under way), then given up, logged. Commands queued on a node that
//!   loses the lease before carrying them out are sent on to the next dispatcher.
//! - What the routes read synchronously (who is available where and until when, each request's
//!   status, who is on the way, each responder's offers) is kept on every node: after each
//!   event the dispatcher publishes what changed on `observers.desk`.
//! - Each node remembers the availability declared through it (the latest node a responder
//!   declared through says so on `observers.desk`, and the others forget theirs). A dispatcher
//!   that starts says so; every node then forgets what the previous one published and declares
//!   that availability again. The new dispatcher asks again for open requests from the store,
//!   as after a restart.

use super::{Answer, Availability, Command, ObserverDesk, Published, Queued, lock};
use crate::bus::to_leader::ToLeader;
use crate::bus::{BusError, Membership, Subjects, Topic};
use crate::clock::now_us;
use crate::state::AppState;
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, IncidentId};
use amparo_core::observers::RequestStatus;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;
use tokio::sync::{mpsc, oneshot};

/// What every node hears on `observers.desk`.
#[derive(Debug, Serialize, Deserialize)]
pub enum DeskChange {
    /// What the dispatcher's last event changed in its published picture.
    Changed(Changes),
    /// A dispatcher started: what the previous one published no longer holds.
    DispatcherStarted,
    /// The responder declared their availability (or its end) through another node: that
    /// node alone declares it to a new dispatcher.
    DeclaredElsewhere { responder: AccountId },
}

/// Entries of one of [`Published`]'s maps that changed: the new value, or `None` for one gone.
type Changed<K, V> = Vec<(K, Option<V>)>;

/// What changed in [`Published`].
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Changes {
    available: Changed<AccountId, Availability>,
    statuses: Changed<IncidentId, RequestStatus>,
    on_the_way: Changed<AccountId, IncidentId>,
    offers: Changed<AccountId, Vec<(IncidentId, i64)>>,
}

impl Changes {
    fn between(old: &Published, new: &Published) -> Self {
        Self {
            available: changed(&old.available, &new.available),
            statuses: changed(&old.statuses, &new.statuses),
            on_the_way: changed(&old.on_the_way, &new.on_the_way),
            offers: changed(&old.offers, &new.offers),
        }
    }

    fn is_empty(&self) -> bool {
        self.available.is_empty() && self.statuses.is_empty() && self.on_the_way.is_empty() && self.offers.is_empty()
    }

    fn apply_to(self, published: &mut Published) {
        apply(&mut published.available, self.available);
        apply(&mut published.statuses, self.statuses);
        apply(&mut published.on_the_way, self.on_the_way);
        apply(&mut published.offers, self.offers);
    }
}

fn changed<K: Copy + Eq + Hash, V: Clone + PartialEq>(old: &HashMap<K, V>, new: &HashMap<K, V>) -> Changed<K, V> {
    let gone = old.keys().filter(|k| !new.contains_key(k)).map(|k| (*k, None));
    let set = new
        .iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .map(|(k, v)| (*k, Some(v.clone())));
    gone.chain(set).collect()
}

fn apply<K: Eq + Hash, V>(map: &mut HashMap<K, V>, changes: Changed<K, V>) {
    for (key, value) in changes {
        match value {
            Some(value) => map.insert(key, value),
            None => map.remove(&key),
        };
    }
}

pub(super) fn to_dispatcher(membership: &Membership) -> ToLeader {
    let leadership = &membership.observer_leadership;
    ToLeader::new(membership, leadership, "observers.commands", "the observer dispatcher")
}

pub(super) fn desk_topic(subjects: &Subjects) -> Topic<DeskChange> {
    Topic::new(subjects.named("observers.desk"))
}

/// The dispatcher's answer from another node, to whoever waits for it.
pub(super) fn answered(answer: &Bytes, reply: Option<oneshot::Sender<Answer>>) {
    let Some(reply) = reply else { return };
    match serde_json::from_slice::<Answer>(answer) {
        Ok(answer) => {
            // The asker may have stopped waiting.
            let _ = reply.send(answer);
        }
        Err(e) => tracing::warn!(error = %e, "the observer dispatcher's answer did not decode"),
    }
}

/// On the dispatcher's node: what changed between two pictures, to the other nodes.
pub(super) fn publish_changes(desk: &ObserverDesk, old: &Published, new: &Published) {
    let changes = Changes::between(old, new);
    if !changes.is_empty() {
        desk.desk_changes.publish(&desk.bus, &DeskChange::Changed(changes));
    }
}

impl ObserverDesk {
    /// Remembers (or forgets) availability declared through this node, and tells the other
    /// nodes to forget theirs. Nothing to remember for a single node.
    pub(super) fn hold(&self, responder: AccountId, cell: Option<Cell>) {
        if !self.bus.reaches_others() {
            return;
        }
        {
            let mut held = lock(&self.held_here);
            match cell {
                Some(cell) => held.insert(responder, (cell, now_us())),
                None => held.remove(&responder),
            };
        }
        self.desk_changes
            .publish(&self.bus, &DeskChange::DeclaredElsewhere { responder });
    }

    /// The availability declared through this node that has not lapsed since, as commands.
    fn held_fresh(&self) -> Vec<Command> {
        let since = now_us().saturating_sub(self.config.core().availability_ttl_us);
        let mut held = lock(&self.held_here);
        held.retain(|_, (_, at_us)| *at_us > since);
        held.iter()
            .map(|(responder, (cell, _))| Command::Available {
                responder: *responder,
                cell: *cell,
            })
            .collect()
    }
}

/// On the dispatcher's node: takes the other nodes' commands into the task's queue until the
/// returned task is aborted (the lease is lost), and answers each once it is carried out. A
/// command the task drops unanswered (the lease was lost first) is not answered: its sender's
/// wait runs out, and it sends it to the next dispatcher.
pub(super) async fn take_commands(state: AppState) -> Result<tokio::task::JoinHandle<()>, BusError> {
    let mut subscription = state.observers.to_dispatcher.listen().await?;
    Ok(tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let Some(command) = message.decode::<Command>() else {
                message.respond(Bytes::new()).await;
                continue;
            };
            let (reply, answer) = oneshot::channel();
            let queued = Queued {
                command,
                reply: Some(reply),
                from_another_node: true,
            };
            state.observers.queue(queued).await;
            tokio::spawn(async move {
                if let Ok(answer) = answer.await {
                    message.respond(Topic::<Answer>::encode(&answer)).await;
                }
            });
        }
    }))
}

/// On the node that just lost the lease: the commands its task did not carry out go to the next
/// dispatcher, in order (those from other nodes are sent again by their own nodes).
pub(super) fn send_on(state: &AppState, inbox: &mut mpsc::Receiver<Queued>) {
    let mut left = Vec::new();
    while let Ok(queued) = inbox.try_recv() {
        if !queued.from_another_node {
            left.push(queued);
        }
    }
    if left.is_empty() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        for queued in left {
            state.observers.dispatch(queued.command, queued.reply).await;
        }
    });
}

/// On every node: applies what other nodes publish about the observers' picture.
pub async fn listen(state: &AppState) -> Result<tokio::task::JoinHandle<()>, BusError> {
    let (topic, bus, state) = (desk_topic(&state.subjects), state.bus.clone(), state.clone());
    topic
        .listen(&bus, move |change| {
            let desk = &state.observers;
            match change {
                DeskChange::Changed(changes) => changes.apply_to(&mut lock(&desk.published)),
                DeskChange::DeclaredElsewhere { responder } => {
                    lock(&desk.held_here).remove(&responder);
                }
                DeskChange::DispatcherStarted => {
                    *lock(&desk.published) = Published::default();
                    declare_again(&state);
                }
            }
        })
        .await
}

/// This node now runs the dispatcher: what the others read is stale, and the availability
/// declared through this node is declared to it again.
pub(super) fn dispatcher_starting(state: &AppState) {
    let desk = &state.observers;
    *lock(&desk.published) = Published::default();
    desk.desk_changes.publish(&desk.bus, &DeskChange::DispatcherStarted);
    declare_again(state);
}

/// Declares again, on a task of its own (the dispatcher may not be taking commands yet), the
/// availability declared through this node.
fn declare_again(state: &AppState) {
    let commands = state.observers.held_fresh();
    if commands.is_empty() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        for command in commands {
            state.observers.send(command).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use amparo_core::geo::Precision;

    fn cell(lat: f64) -> Cell {
        Precision::new(8)
            .expect("resolution")
            .cell_of(lat, -87.65)
            .expect("cell")
    }

    /// A copy that applies the changes between two pictures ends as the second, and a picture
    /// that did not change publishes nothing.
    #[test]
    fn changes_carry_a_copy_from_one_picture_to_the_next() {
        let (stays, moves, goes, comes) = (AccountId::new(), AccountId::new(), AccountId::new(), AccountId::new());
        let (open, closed) = (IncidentId::new(), IncidentId::new());
        let at = |lat, until_us| Availability {
            cell: cell(lat),
            until_us,
        };
        let mut old = Published::default();
        old.available.insert(stays, at(41.85, 10));
        old.available.insert(moves, at(41.85, 10));
        old.available.insert(goes, at(41.85, 10));
        old.statuses.insert(open, RequestStatus::Waiting);
        old.statuses.insert(closed, RequestStatus::Fulfilled);
        old.on_the_way.insert(goes, closed);
        old.offers.insert(moves, vec![(open, 99)]);
        let mut new = Published::default();
        new.available.insert(stays, at(41.85, 10));
        new.available.insert(moves, at(41.90, 20));
        new.available.insert(comes, at(41.80, 30));
        new.statuses.insert(
            open,
            RequestStatus::Offering {
                responders: vec![comes],
            },
        );
        new.offers.insert(comes, vec![(open, 120)]);

        let changes = Changes::between(&old, &new);
        assert_eq!(changes.available.len(), 3, "moved, gone, come: {changes:?}");
        let wire: Changes = serde_json::from_slice(&Topic::<Changes>::encode(&changes)).expect("decodes");
        wire.apply_to(&mut old);
        assert_eq!(old.available, new.available);
        assert_eq!(old.statuses, new.statuses);
        assert_eq!(old.on_the_way, new.on_the_way);
        assert_eq!(old.offers, new.offers);
        assert!(Changes::between(&new, &new).is_empty());
    }
}
