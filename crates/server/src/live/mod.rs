//! What the app sees as it happens: alerts, and the encounters a person follows.
//!
//! Module map:
//! - [`hub`]: this node's live connections, by account and by followed encounter.
//! - [`deliver`]: to accounts and followers on every node: this node's hub, and the bus.
//! - [`view`]: an encounter's live state ([`view::LiveView`]), and who may follow it.
//! - [`socket`]: the WebSocket at `/api/v1/live`: sign-in by first message, follow/unfollow,
//!   pings, and closing when the session ends or the server stops.
//!
//! The messages, server to app: `alert` (see `alerts::fanout`), `progress` (a chunk of a
//! followed encounter arrived), `live` (a followed encounter's state changed, or the snapshot
//! sent on follow), `error`; app to server: `auth`, `follow`, `unfollow`. The attorney line adds
//! its own both ways (`duty`, `heartbeat`, `offer`, `accept`, `call`, `signal`, `hangup`, ...):
//! see `crate::attorney::socket` and docs/attorney-line.md.

pub mod deliver;
pub mod hub;
pub mod socket;
pub mod view;

use crate::state::AppState;
use amparo_core::ids::EncounterId;
use amparo_store::Upload;
use hub::Frame;
use serde::Serialize;

/// A chunk of a followed encounter was stored and logged.
#[derive(Serialize)]
struct Progress<'a> {
    r#type: &'static str,
    encounter: String,
    recording: String,
    media_type: Option<&'a str>,
    bytes_received: u64,
    received_at: String,
}

/// Tells the encounter's followers that a chunk arrived. Cheap on a single node nobody follows.
pub fn publish_progress(state: &AppState, upload: &Upload, received_at_us: i64) {
    if !deliver::may_have_followers(state, upload.encounter) {
        return;
    }
    let message = Progress {
        r#type: "progress",
        encounter: upload.encounter.to_string(),
        recording: upload.id.to_string(),
        media_type: upload.media_type.as_deref(),
        bytes_received: upload.offset,
        received_at: crate::clock::rfc3339(received_at_us),
    };
    if let Ok(json) = serde_json::to_string(&message) {
        deliver::to_followers(state, upload.encounter, &Frame::from(json));
    }
}

/// Sends the encounter's state to its followers (after it ended, went silent, was marked a
/// detention, or got an attorney).
pub async fn publish_state(state: &AppState, encounter: EncounterId) {
    if !deliver::may_have_followers(state, encounter) {
        return;
    }
    match view::live_message(state, encounter).await {
        Ok(Some(frame)) => {
            deliver::to_followers(state, encounter, &frame);
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(%encounter, error = %e, "live state not published"),
    }
}
