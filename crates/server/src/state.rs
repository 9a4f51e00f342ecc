//! What every handler shares. Built once by `serve`, cloned per request (an `Arc` inside).

use crate::limits::Limits;
use crate::log::Log;
use crate::plans::PlanSettings;
use crate::ratelimit::RateLimits;
use crate::routes::billing::{BillingSettings, BillingWebhook};
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
    /// What personal plans keep once lapsed (`[plans]`); see `plans::coverage`.
    pub plans: PlanSettings,
    /// The billing webhook's secret and rate limit (`[billing]`).
    pub billing: BillingWebhook,
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
    ) -> Self {
        Self::with_plans(
            store,
            blobs,
            log,
            limits,
            scratch_dir,
            PlanSettings::default(),
            &BillingSettings::default(),
        )
    }

    /// [`AppState::new`], with the `[plans]` and `[billing]` settings.
    pub fn with_plans(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        log: Log,
        limits: Limits,
        scratch_dir: PathBuf,
        plans: PlanSettings,
        billing: &BillingSettings,
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
            plans,
            billing: BillingWebhook::new(billing),
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
