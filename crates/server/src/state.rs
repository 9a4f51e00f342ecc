//! What every handler shares. Built once by `serve`, cloned per request (an `Arc` inside).

use crate::alerts::fanout::Alerts;
use crate::alerts::silence::SilenceWatch;
use crate::alerts::webhook::WebhookChannel;
use crate::alerts::webpush::vapid::VapidKey;
use crate::alerts::webpush::{PushSettings, WebPush};
use crate::attorney::{AttorneyLine, LineSettings};
use crate::bus::leader::Leadership;
use crate::bus::{Bus, Membership, Subjects};
use crate::limits::Limits;
use crate::live::hub::Hub;
use crate::live::view::RecentFollows;
use crate::log::Log;
use crate::observers::ObserverDesk;
use crate::observers::settings::ObserverConfig;
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
    /// Alerts to the browsers people subscribed, with the server's VAPID key.
    pub web_push: WebPush,
    /// The live connections of this node's apps, by account and by followed encounter.
    pub hub: Arc<Hub>,
    /// Alert channels, follow links, the prepared messages' key.
    pub alerts: Alerts,
    /// Open encounters, watched for a recording that stops without being ended.
    pub silence: SilenceWatch,
    /// Cancelled when the server starts shutting down: long-lived connections (WebSockets)
    /// close then, so a graceful shutdown does not wait for them.
    pub closing: tokio_util::sync::CancellationToken,
    /// Who followed which encounter lately, so the chain of custody records it once per while.
    pub recent_follows: RecentFollows,
    /// What personal plans keep once lapsed (`[plans]`); see `plans::coverage`.
    pub plans: PlanSettings,
    /// The billing webhook's secret and rate limit (`[billing]`).
    pub billing: BillingWebhook,
    pub attorney: AttorneyLine,
    /// The network's incident webhook (`[rapid.webhook]`), if it has one.
    pub rapid_webhook: Option<WebhookChannel>,
    /// Legal observers for verified incidents (issue 6).
    pub observers: ObserverDesk,
    /// The other nodes of the deployment (the in-process bus when there are none).
    pub bus: Bus,
    pub subjects: Subjects,
    /// Whether this node runs the attorney line's dispatcher and the silence watch's alerts.
    pub leadership: Leadership,
}

/// What a server is built with beyond its storage and limits: alert channels and keys, and the
/// plans' and billing settings.
#[derive(Debug)]
pub struct Services {
    pub alerts: Alerts,
    pub web_push: WebPush,
    pub plans: PlanSettings,
    pub billing: BillingSettings,
    pub attorney: LineSettings,
    pub rapid_webhook: Option<WebhookChannel>,
    pub observers: ObserverConfig,
    /// The bus and the lease (a single node by default).
    pub membership: Membership,
}

impl Services {
    /// Alerts in the app and by Web Push (no email or webhook), keys that live as long as the
    /// process, default plans, no billing webhook: what tests and benchmarks build servers with.
    pub fn ephemeral() -> Self {
        Self {
            alerts: Alerts::in_app_only(),
            web_push: WebPush::new(VapidKey::generate(), &PushSettings::default())
                .expect("the default push settings are valid"),
            plans: PlanSettings::default(),
            billing: BillingSettings::default(),
            attorney: LineSettings::default(),
            rapid_webhook: None,
            observers: ObserverConfig::default(),
            membership: Membership::single_node(),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// A server built with [`Services::ephemeral`]: what tests and benchmarks use.
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        log: Log,
        limits: Limits,
        scratch_dir: PathBuf,
    ) -> Self {
        Self::with_services(store, blobs, log, limits, scratch_dir, Services::ephemeral())
    }

    pub fn with_services(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        log: Log,
        limits: Limits,
        scratch_dir: PathBuf,
        services: Services,
    ) -> Self {
        let rate_limits = RateLimits::new(&limits);
        let silence = SilenceWatch::new(services.alerts.silence_after);
        Self(Arc::new(Inner {
            store,
            blobs,
            log,
            limits,
            rate_limits,
            upload_locks: UploadLocks::default(),
            scratch_dir,
            web_push: services.web_push,
            hub: Arc::default(),
            alerts: services.alerts,
            silence,
            closing: tokio_util::sync::CancellationToken::new(),
            recent_follows: RecentFollows::default(),
            plans: services.plans,
            billing: BillingWebhook::new(&services.billing),
            attorney: AttorneyLine::new(services.attorney, &services.membership),
            rapid_webhook: services.rapid_webhook,
            observers: ObserverDesk::new(services.observers, &services.membership),
            bus: services.membership.bus,
            subjects: services.membership.subjects,
            leadership: services.membership.leadership,
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
