//! Leases on a single node's store: the only nodes to exclude are the holds of this process, so
//! a lease is a name in a set, given up when its hold is dropped, and never lost while held.

use amparo_store::LeaseHold;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// The leases held in this process, and who took each last.
#[derive(Debug, Default, Clone)]
pub(crate) struct Leases {
    inner: Arc<Mutex<Held>>,
}

#[derive(Debug, Default)]
struct Held {
    names: HashSet<String>,
    holders: HashMap<String, String>,
}

/// Gives a name back when its hold is dropped. Keeps the hold's `lost` sender alive, so a hold
/// on SQLite is never lost while it is held.
struct Release {
    leases: Leases,
    name: String,
    _never_lost: watch::Sender<bool>,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.leases.lock().names.remove(&self.name);
    }
}

impl Leases {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // The set stays consistent whatever panicked while holding it: every change is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn acquire(&self, name: &str, holder: &str) -> Option<LeaseHold> {
        let mut held = self.lock();
        if !held.names.insert(name.to_owned()) {
            return None;
        }
        held.holders.insert(name.to_owned(), holder.to_owned());
        drop(held);
        let (never_lost, lost) = watch::channel(false);
        let release = Release {
            leases: self.clone(),
            name: name.to_owned(),
            _never_lost: never_lost,
        };
        Some(LeaseHold::new(name, lost, release))
    }

    pub(crate) fn holder(&self, name: &str) -> Option<String> {
        self.lock().holders.get(name).cloned()
    }
}
