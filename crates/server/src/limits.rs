//! The server's tunable limits, as the config file and `AMPARO_*` variables set them.

use serde::{Deserialize, Serialize};

/// Limits on what clients may send and how fast. Every value is documented in `amparo config`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest body of one tus PATCH (one chunk), in bytes.
    pub max_chunk_bytes: u64,
    /// Largest recording (tus `Upload-Length`), in bytes.
    pub max_upload_bytes: u64,
    /// An upload with no new chunk for this long is closed to appends (tus expiration). What it
    /// received stays stored: evidence never expires.
    pub upload_expiry_secs: u64,
    /// Sustained requests per second per logged-in account.
    pub account_requests_per_second: u32,
    /// Requests an account may burst above the sustained rate.
    pub account_burst: u32,
    /// Sign-ups and log-ins per minute per client address (what a stranger can call).
    pub anonymous_requests_per_minute: u32,
    /// How long a login lasts.
    pub session_ttl_hours: u64,
    /// How long a household invitation code works, in hours.
    pub invitation_ttl_hours: u64,
    /// Invitation codes tried per minute, per account and per client address: codes are secrets
    /// a stranger could try to guess.
    pub invitation_attempts_per_minute: u32,
    /// Rapid response (issue 6): an unverified report expires after this long, alerting nobody.
    pub report_expiry_secs: u64,
    /// Reports per hour per account.
    pub reports_per_hour: u32,
    /// Reports per hour per client address (throwaway accounts share an address).
    pub reports_per_hour_per_address: u32,
    /// The H3 resolution reports, incidents and watch areas are kept at (0 to 15).
    pub rapid_resolution: u8,
    /// The most H3 cells one watch area may cover.
    pub watch_area_max_cells: u32,
    /// The largest report photo accepted, in bytes (before it is re-encoded).
    pub max_photo_bytes: u64,
    /// The most photos one report may have.
    pub max_photos_per_report: u32,
    /// The longest side, in pixels, of the copy of a photo that is kept (larger ones are scaled
    /// down).
    pub max_photo_side: u32,
    /// The photos of a rejected or expired report are deleted (rows and bytes) this long after
    /// it was decided: long enough for its reporter to see why, no longer.
    pub rejected_photo_keep_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_chunk_bytes: 16 * 1024 * 1024,
            max_upload_bytes: 8 * 1024 * 1024 * 1024,
            upload_expiry_secs: 24 * 60 * 60,
            account_requests_per_second: 20,
            account_burst: 60,
            anonymous_requests_per_minute: 30,
            session_ttl_hours: 30 * 24,
            invitation_ttl_hours: 7 * 24,
            invitation_attempts_per_minute: 10,
            report_expiry_secs: amparo_core::rapid::DEFAULT_REPORT_EXPIRY_SECS,
            reports_per_hour: 10,
            reports_per_hour_per_address: 30,
            rapid_resolution: amparo_core::geo::DEFAULT_RESOLUTION,
            watch_area_max_cells: amparo_core::geo::DEFAULT_MAX_AREA_CELLS as u32,
            max_photo_bytes: 12 * 1024 * 1024,
            max_photos_per_report: amparo_store::photos::MAX_PHOTOS_PER_REPORT as u32,
            max_photo_side: 2048,
            rejected_photo_keep_secs: 24 * 60 * 60,
        }
    }
}

impl Limits {
    /// The network's precision; an out-of-range setting falls back to the default (the
    /// settings check refuses one at start).
    pub fn precision(&self) -> amparo_core::geo::Precision {
        amparo_core::geo::Precision::new(self.rapid_resolution).unwrap_or_default()
    }
}

/// The transparency log's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// The log's name in checkpoints and its key (C2SP origin: a schema-less URL is customary).
    pub origin: String,
    /// How often a new checkpoint is signed while entries arrive, in milliseconds (at most 1000:
    /// receipts promise a checkpoint within a second).
    pub checkpoint_interval_ms: u64,
    /// Several nodes on PostgreSQL: the URL the other nodes reach this one at, to forward their
    /// appends while it sequences the log (docs/scale-out.md). Empty: `http://` and the address
    /// it listens on.
    pub advertise_url: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            origin: "amparo.localhost/log".to_owned(),
            checkpoint_interval_ms: 250,
            advertise_url: String::new(),
        }
    }
}
