//! Who is listening for what, on this node: each WebSocket connection subscribes to its account
//! (alerts) and to the encounters it follows (progress, state). Publishing serializes a message
//! once and hands the same bytes to every subscriber.
//!
//! Delivery never waits for a slow connection: each has a bounded queue, and a message that does
//! not fit is dropped for that connection alone (the app re-reads the state it missed when it
//! follows an encounter or opens the home screen). Cross-node delivery is the bus's job
//! (issue 7); this hub is what each node's bus hands messages to.

use amparo_core::ids::{AccountId, EncounterId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc;

/// One serialized message, shared by every connection it goes to.
pub type Frame = Arc<str>;

/// A connection's queue: what the hub sends into.
pub type Outbox = mpsc::Sender<Frame>;

/// How many messages a connection may have waiting before new ones are dropped for it.
pub const OUTBOX_CAPACITY: usize = 256;

#[derive(Debug, Default)]
pub struct Hub {
    accounts: Topics<AccountId>,
    encounters: Topics<EncounterId>,
    next_id: AtomicU64,
}

impl Hub {
    /// Subscribes a connection to its account's messages until the returned guard drops.
    pub fn subscribe_account(self: &Arc<Self>, account: AccountId, outbox: Outbox) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.accounts.add(account, id, outbox);
        Subscription {
            hub: self.clone(),
            topic: Topic::Account(account),
            id,
        }
    }

    /// Subscribes a connection to an encounter's progress until the returned guard drops. The
    /// caller has already checked that the account may follow it.
    pub fn subscribe_encounter(self: &Arc<Self>, encounter: EncounterId, outbox: Outbox) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.encounters.add(encounter, id, outbox);
        Subscription {
            hub: self.clone(),
            topic: Topic::Encounter(encounter),
            id,
        }
    }

    /// Sends to every connection of each account; returns how many connections took it.
    pub fn to_accounts(&self, accounts: &[AccountId], frame: &Frame) -> usize {
        accounts.iter().map(|account| self.accounts.send(account, frame)).sum()
    }

    /// Sends to every connection following the encounter; returns how many took it.
    pub fn to_followers(&self, encounter: EncounterId, frame: &Frame) -> usize {
        self.encounters.send(&encounter, frame)
    }

    /// Whether anyone on this node follows the encounter (so progress messages for nobody are
    /// not even serialized).
    pub fn has_followers(&self, encounter: EncounterId) -> bool {
        self.encounters.has(&encounter)
    }

    /// Connections subscribed to accounts, for metrics and tests.
    pub fn account_connections(&self) -> usize {
        self.accounts.len()
    }
}

/// Ends a subscription when dropped (a connection closing drops all of its own).
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    topic: Topic,
    id: u64,
}

#[derive(Debug)]
enum Topic {
    Account(AccountId),
    Encounter(EncounterId),
}

impl Drop for Subscription {
    fn drop(&mut self) {
        match self.topic {
            Topic::Account(account) => self.hub.accounts.remove(&account, self.id),
            Topic::Encounter(encounter) => self.hub.encounters.remove(&encounter, self.id),
        }
    }
}

#[derive(Debug)]
struct Topics<K>(Mutex<HashMap<K, Vec<(u64, Outbox)>>>);

impl<K> Default for Topics<K> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq + Copy> Topics<K> {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, Vec<(u64, Outbox)>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, key: K, id: u64, outbox: Outbox) {
        self.map().entry(key).or_default().push((id, outbox));
    }

    fn remove(&self, key: &K, id: u64) {
        let mut map = self.map();
        if let Some(subscribers) = map.get_mut(key) {
            subscribers.retain(|(other, _)| *other != id);
            if subscribers.is_empty() {
                map.remove(key);
            }
        }
    }

    fn send(&self, key: &K, frame: &Frame) -> usize {
        let map = self.map();
        let Some(subscribers) = map.get(key) else { return 0 };
        // try_send: never wait for one slow connection while holding the map.
        subscribers
            .iter()
            .filter(|(_, outbox)| outbox.try_send(frame.clone()).is_ok())
            .count()
    }

    fn has(&self, key: &K) -> bool {
        self.map().contains_key(key)
    }

    fn len(&self) -> usize {
        self.map().values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Frame {
        Arc::from(text)
    }

    #[tokio::test]
    async fn messages_reach_every_connection_of_an_account_until_it_unsubscribes() {
        let hub = Arc::new(Hub::default());
        let (ana, ben) = (AccountId::new(), AccountId::new());
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        let (tx3, mut rx3) = mpsc::channel(4);
        let phone = hub.subscribe_account(ana, tx1);
        let _laptop = hub.subscribe_account(ana, tx2);
        let _other = hub.subscribe_account(ben, tx3);
        assert_eq!(hub.to_accounts(&[ana], &frame("a")), 2);
        assert_eq!(&*rx1.recv().await.expect("phone"), "a");
        assert_eq!(&*rx2.recv().await.expect("laptop"), "a");
        assert!(rx3.try_recv().is_err(), "another account hears nothing");
        drop(phone);
        assert_eq!(hub.to_accounts(&[ana, ben], &frame("b")), 2);
        assert_eq!(hub.account_connections(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_drops_for_that_connection_only() {
        let hub = Arc::new(Hub::default());
        let encounter = EncounterId::new();
        let (slow_tx, _slow_rx) = mpsc::channel(1);
        let (fast_tx, mut fast_rx) = mpsc::channel(8);
        let _slow = hub.subscribe_encounter(encounter, slow_tx);
        let _fast = hub.subscribe_encounter(encounter, fast_tx);
        assert!(hub.has_followers(encounter));
        assert_eq!(hub.to_followers(encounter, &frame("1")), 2);
        assert_eq!(hub.to_followers(encounter, &frame("2")), 1, "the slow one is full");
        assert_eq!(&*fast_rx.recv().await.expect("1"), "1");
        assert_eq!(&*fast_rx.recv().await.expect("2"), "2");
        drop((_slow, _fast));
        assert!(
            !hub.has_followers(encounter),
            "topics without subscribers are forgotten"
        );
    }
}
