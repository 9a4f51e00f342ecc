//! What every handler shares. Built once by `serve`, cloned per request (an `Arc` inside).

use crate::alerts::webpush::WebPush;
use crate::limits::Limits;
use crate::log::Log;
use crate::ratelimit::RateLimits;
use amparo_core::ids::RecordingId;
use amparo_store::Store;
use object_store::ObjectStore;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Shared state. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    /// Metadata: accounts, encounters, uploads, the log's entries and hashes.
    pub store: Arc<dyn Store>,
    /// Media bytes, one object per chunk.
    pub blobs: Arc<dyn ObjectStore>,
    pub log: Log,
    pub limits: Limits,
    pub rate_limits: RateLimits,
    /// One lock per upload in progress: tus forbids concurrent PATCHes to one upload, and the
    /// offset check and the append must not interleave.
    pub upload_locks: UploadLocks,
    /// Where bundles are assembled before they are sent.
    pub scratch_dir: PathBuf,
    /// Alerts to the browsers people subscribed, with the server's VAPID key.
    pub web_push: WebPush,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        log: Log,
        limits: Limits,
        scratch_dir: PathBuf,
        web_push: WebPush,
    ) -> Self {
        let rate_limits = RateLimits::new(&limits);
        Self(Arc::new(Inner {
            store,
            blobs,
            log,
            limits,
            rate_limits,
            upload_locks: UploadLocks::default(),
            scratch_dir,
            web_push,
        }))
    }
}

/// Per-upload async locks, dropped from the map when nobody holds them.
#[derive(Debug, Default)]
pub struct UploadLocks(Mutex<HashMap<RecordingId, Arc<tokio::sync::Mutex<()>>>>);

/// Holds an upload's lock; releases it (and forgets the entry if unused) on drop.
#[derive(Debug)]
pub struct UploadGuard<'a> {
    locks: &'a UploadLocks,
    id: RecordingId,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl UploadLocks {
    /// Waits for exclusive use of an upload.
    pub async fn lock(&self, id: RecordingId) -> UploadGuard<'_> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(id).or_default().clone()
        };
        UploadGuard {
            locks: self,
            id,
            _guard: lock.lock_owned().await,
        }
    }
}

impl Drop for UploadGuard<'_> {
    fn drop(&mut self) {
        let mut map = self.locks.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Two references: the map's and our guard's mutex. More means someone is waiting.
        if map.get(&self.id).is_some_and(|lock| Arc::strong_count(lock) <= 2) {
            map.remove(&self.id);
        }
    }
}
