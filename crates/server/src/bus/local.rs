//! The in-process bus: the embedded default. A single node has nobody else to tell, so a
//! publish is one atomic load; nodes started in one process over [`LocalBus::join`] (tests) hear
//! each other as NATS would carry it, never their own messages.

use super::subject::matches;
use super::{BusError, Message, REQUEST_TIMEOUT, Reply, Subscription};
use bytes::Bytes;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

/// A subscription's queue: as deep as a NATS client's, and dropped from when full, as NATS drops
/// for a slow consumer.
const SUBSCRIPTION_QUEUE: usize = 8_192;

/// One node's handle on an in-process bus.
#[derive(Clone, Debug)]
pub struct LocalBus {
    shared: Arc<Shared>,
    node: u64,
}

#[derive(Debug, Default)]
struct Shared {
    subscribers: Mutex<Vec<Subscriber>>,
    /// Set once a second node joins: until then publishing has nobody to reach.
    joined: AtomicBool,
    next_node: AtomicU64,
}

#[derive(Debug)]
struct Subscriber {
    node: u64,
    pattern: String,
    inbox: mpsc::Sender<Message>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalBus {
    /// A bus with one node on it: this one.
    pub fn new() -> Self {
        Self {
            shared: Arc::default(),
            node: 0,
        }
    }

    /// Another node on the same bus.
    pub fn join(&self) -> Self {
        self.shared.joined.store(true, Ordering::Release);
        Self {
            shared: self.shared.clone(),
            node: self.shared.next_node.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }

    pub fn reaches_others(&self) -> bool {
        self.shared.joined.load(Ordering::Acquire)
    }

    pub fn publish(&self, subject: &str, payload: Bytes) {
        if !self.reaches_others() {
            return;
        }
        self.deliver(subject, |_| (payload.clone(), Reply::None), usize::MAX);
    }

    pub async fn request(&self, subject: &str, payload: Bytes) -> Result<Bytes, BusError> {
        let (answer, answered) = oneshot::channel();
        let mut answer = Some(answer);
        let delivered = self.deliver(
            subject,
            |_| (payload.clone(), answer.take().map_or(Reply::None, Reply::Local)),
            1,
        );
        if delivered == 0 {
            return Err(BusError::NoResponders(subject.to_owned()));
        }
        match tokio::time::timeout(REQUEST_TIMEOUT, answered).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(_)) | Err(_) => Err(BusError::TimedOut(subject.to_owned())),
        }
    }

    pub fn subscribe(&self, pattern: &str) -> Subscription {
        let (inbox, messages) = mpsc::channel(SUBSCRIPTION_QUEUE);
        self.subscribers().push(Subscriber {
            node: self.node,
            pattern: pattern.to_owned(),
            inbox,
        });
        Subscription::Local(messages)
    }

    fn subscribers(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        // Pushes and retains only: consistent under any panic.
        self.shared.subscribers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands a message to at most `limit` other nodes' matching subscribers; forgets the ones
    /// that are gone. Returns how many took it.
    fn deliver(&self, subject: &str, mut message: impl FnMut(usize) -> (Bytes, Reply), limit: usize) -> usize {
        let mut subscribers = self.subscribers();
        subscribers.retain(|s| !s.inbox.is_closed());
        let mut delivered = 0;
        for subscriber in subscribers.iter() {
            if delivered == limit || subscriber.node == self.node || !matches(&subscriber.pattern, subject) {
                continue;
            }
            let (payload, reply) = message(delivered);
            let sent = subscriber.inbox.try_send(Message {
                subject: subject.to_owned(),
                payload,
                reply,
            });
            if sent.is_ok() {
                delivered += 1;
            }
        }
        delivered
    }
}
