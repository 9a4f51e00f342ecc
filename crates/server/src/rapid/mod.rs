//! The rapid-response network (issue 6), besides its routes: what reports and incidents look
//! like to each audience, telling subscribers about verified incidents, and expiring reports
//! nobody verified.
//!
//! Module map:
//! - [`views`]: the JSON of reports, incidents, questions, watch areas and vehicles. A responder
//!   sees who verified; a subscriber sees what was verified, how and when, never by whom.
//! - [`deliver`]: a verified, updated or withdrawn incident to every subscriber whose area holds
//!   its cell: in the app over the live hub, and by Web Push (the household alerts' channel).
//! - [`webhook`]: the network's incident webhook (`[rapid.webhook]`): each verified, updated or
//!   withdrawn incident POSTed once, signed and retried, with its facts and its words in English
//!   and Spanish, and nobody's identity.
//! - [`input`]: what members and responders send, parsed into the domain's types.
//! - [`photo`]: a report photo decoded and re-encoded, so only its pixels are kept (no EXIF,
//!   GPS, device or anything appended), bounded against decompression bombs; [`photo_view`] its
//!   JSON.
//! - [`purge`]: photos kept no longer than needed: bytes of deleted photos, photos of rejected
//!   and expired reports after `limits.rejected_photo_keep_secs`, blobs that never got a row.
//! - [`search`]: plate search: the store's index reads candidates, `core::plate::rank` orders
//!   them; spoken plates searched reading by reading.
//!
//! Unverified reports alert nobody: only [`deliver::announce`] tells anyone anything (the
//! webhook included), and only
//! the verify, update and withdraw handlers call it.

pub mod deliver;
pub mod input;
pub mod photo;
pub mod photo_view;
pub mod purge;
pub mod search;
pub mod views;
pub mod webhook;

use crate::clock::now_us;
use crate::state::AppState;
use std::time::Duration;

/// Expires unverified reports whose time is up, every `every`, for as long as the server runs.
/// Nobody is told: an expired report was never verified.
pub async fn expire_reports(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        match state.store.expire_reports(now_us()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "unverified reports expired"),
            Err(error) => tracing::warn!(%error, "expiring reports"),
        }
    }
}
