//! Events between the nodes of one deployment (issue 7): offers, alerts, signaling, presence.
//!
//! Nodes stay stateless; what one node learns that a connection on another must hear crosses on
//! the bus. Each node delivers to its own connections directly and publishes for the others, so
//! a node never hears its own messages back (NATS `no_echo`), and a single node with the
//! in-process bus pays one atomic load per publish (nobody else can listen).
//!
//! Module map:
//! - [`subject`]: subjects, all under `amparo.<cluster>.`; NATS-style matching.
//! - [`local`]: the in-process bus, the embedded default (and the nodes of one process in tests).
//! - [`nats`]: the same over a NATS server (`async-nats`), for nodes on several machines.
//! - [`open`]: the `bus_url` setting (empty for the in-process bus, `nats://` for NATS) and
//!   `[bus]` (a NATS credentials file, a private CA).
//! - [`address`]: `bus_url` taken apart: its servers, and the user and password or token it
//!   carries, which only async-nats ever sees (messages show [`address::redacted`]).
//! - [`leader`]: whether this node runs the deployment's one-of-a-kind tasks (the attorney line's
//!   dispatcher and the silence watch's alerts on one lease, the legal observers' dispatcher on
//!   another).
//! - [`to_leader`]: commands for such a task from any node, to the lease holder's node and
//!   tried again through a takeover; the loop that runs the task term after term.
//!
//! Messages: [`Bus::publish`] (fire and forget, in order from one node, dropped rather than
//! waited for when the outgoing queue is full: a live message is worth less than a stalled
//! node), [`Bus::request`] (answered by one subscriber, or an error saying nobody is there),
//! [`Bus::subscribe`] (a pattern; ready once it returns). [`Topic`] pairs a subject with the
//! JSON type it carries; live frames travel as their bytes, serialized once.

pub mod address;
pub mod leader;
pub mod local;
pub mod nats;
pub mod open;
pub mod subject;
pub mod to_leader;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::time::Duration;
pub use subject::Subjects;

/// How long a request waits for its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The deployment's bus, as every node holds it. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Bus {
    Local(local::LocalBus),
    Nats(nats::NatsBus),
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("nobody is listening on {0}")]
    NoResponders(String),
    #[error("no answer on {0} in time")]
    TimedOut(String),
    #[error("the bus: {0}")]
    Nats(String),
    #[error("{0}")]
    Setting(String),
}

/// One message as a subscriber receives it.
#[derive(Debug)]
pub struct Message {
    pub subject: String,
    pub payload: Bytes,
    reply: Reply,
}

#[derive(Debug)]
enum Reply {
    None,
    Local(tokio::sync::oneshot::Sender<Bytes>),
    Nats { client: async_nats::Client, to: String },
}

impl Message {
    /// Answers a request (a published message has nobody to answer: nothing happens).
    pub async fn respond(self, payload: Bytes) {
        match self.reply {
            Reply::None => {}
            Reply::Local(to) => {
                // The requester may have stopped waiting.
                let _ = to.send(payload);
            }
            Reply::Nats { client, to } => {
                if let Err(e) = client.publish(to, payload).await {
                    tracing::warn!(error = %e, "a bus request's answer was not sent");
                }
            }
        }
    }

    /// The payload as `T`, or `None` (logged) when it is not one.
    pub fn decode<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.payload)
            .inspect_err(|e| tracing::warn!(subject = %self.subject, error = %e, "a bus message did not decode"))
            .ok()
    }
}

/// What a subscriber reads from. Dropping it unsubscribes.
#[derive(Debug)]
pub enum Subscription {
    Local(tokio::sync::mpsc::Receiver<Message>),
    Nats(nats::NatsSubscription),
}

impl Subscription {
    /// The next message; `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Message> {
        match self {
            Self::Local(inbox) => inbox.recv().await,
            Self::Nats(subscription) => subscription.next().await,
        }
    }
}

impl Bus {
    /// The in-process bus of a single node.
    pub fn single_node() -> Self {
        Self::Local(local::LocalBus::new())
    }

    /// Whether a message published here can reach another node. `false` for a single node:
    /// callers skip building messages only other nodes would read.
    pub fn reaches_others(&self) -> bool {
        match self {
            Self::Local(bus) => bus.reaches_others(),
            Self::Nats(_) => true,
        }
    }

    /// Sends to every other node subscribed to a pattern `subject` matches.
    pub fn publish(&self, subject: String, payload: Bytes) {
        match self {
            Self::Local(bus) => bus.publish(&subject, payload),
            Self::Nats(bus) => bus.publish(subject, payload),
        }
    }

    /// Sends to one subscriber on another node and waits for its answer.
    pub async fn request(&self, subject: String, payload: Bytes) -> Result<Bytes, BusError> {
        match self {
            Self::Local(bus) => bus.request(&subject, payload).await,
            Self::Nats(bus) => bus.request(subject, payload).await,
        }
    }

    /// Listens for other nodes' messages on `pattern`; they are received from the moment this
    /// returns.
    pub async fn subscribe(&self, pattern: String) -> Result<Subscription, BusError> {
        match self {
            Self::Local(bus) => Ok(bus.subscribe(&pattern)),
            Self::Nats(bus) => bus.subscribe(pattern).await,
        }
    }
}

/// A subject and the JSON it carries.
#[derive(Debug)]
pub struct Topic<T> {
    pub subject: String,
    carries: PhantomData<fn() -> T>,
}

impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        Self {
            subject: self.subject.clone(),
            carries: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Topic<T> {
    pub fn new(subject: String) -> Self {
        Self {
            subject,
            carries: PhantomData,
        }
    }

    pub fn encode(event: &T) -> Bytes {
        // Our own types always serialize (no maps with non-string keys, no failing Serialize).
        Bytes::from(serde_json::to_vec(event).unwrap_or_default())
    }

    /// Publishes `event` to the other nodes, unless there are none.
    pub fn publish(&self, bus: &Bus, event: &T) {
        if bus.reaches_others() {
            bus.publish(self.subject.clone(), Self::encode(event));
        }
    }

    /// Hands every event other nodes publish here to `apply`, in order, on a task of its own
    /// (stopped by aborting it); events that do not decode are logged and skipped.
    pub async fn listen(
        &self,
        bus: &Bus,
        mut apply: impl FnMut(T) + Send + 'static,
    ) -> Result<tokio::task::JoinHandle<()>, BusError>
    where
        T: 'static,
    {
        let mut subscription = bus.subscribe(self.subject.clone()).await?;
        Ok(tokio::spawn(async move {
            while let Some(message) = subscription.next().await {
                if let Some(event) = message.decode::<T>() {
                    apply(event);
                }
            }
        }))
    }
}

/// How a node is joined to the rest of its deployment: the bus, its subjects, and whether this
/// node runs the one-of-a-kind tasks.
#[derive(Clone, Debug)]
pub struct Membership {
    pub bus: Bus,
    pub subjects: Subjects,
    /// The attorney line's dispatcher and the silence watch's alerts.
    pub leadership: leader::Leadership,
    /// The legal observers' dispatcher (a lease of its own, so the two may run on two nodes).
    pub observer_leadership: leader::Leadership,
}

impl Membership {
    /// A node alone: the in-process bus, and it leads.
    pub fn single_node() -> Self {
        Self {
            bus: Bus::single_node(),
            subjects: Subjects::new("single").expect("a valid cluster name"),
            leadership: leader::Leadership::always(),
            observer_leadership: leader::Leadership::always(),
        }
    }
}
