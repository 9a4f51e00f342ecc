//! An encounter's live state, as the people following it see it, and who may follow it.

use super::hub::Frame;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::routes::encounters::{Access, LocationInput, location_of};
use crate::state::AppState;
use amparo_core::ids::{AccountId, EncounterId};
use amparo_core::roles::Role;
use amparo_store::{AccessRecord, Account, Encounter, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// A chunk newer than this means the phone is recording now.
const FRESH_US: i64 = 5_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveView {
    pub id: String,
    /// The person recording, by their username.
    pub who: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// When they pressed "I'm being detained" (or ended the encounter as a detention).
    pub detained_at: Option<String>,
    /// As precise as the person allowed; `null` when they shared no place.
    pub location: Option<LocationInput>,
    pub us_state: Option<String>,
    pub language: Option<String>,
    pub attorney_on_line: bool,
    /// Not ended, and a chunk arrived in the last five seconds.
    pub recording: bool,
    /// Seconds since the last chunk (or the start, before any), when more than five and the
    /// encounter is not over: the phone may have lost its network, or been taken.
    pub silent_secs: Option<u64>,
    /// Seconds of recording safe on the server: for each recording, from its start to the
    /// arrival of its last chunk.
    pub seconds_safe: f64,
    pub last_chunk_at: Option<String>,
    /// Oldest first; the newest is the one recording now.
    pub recordings: Vec<LiveRecording>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveRecording {
    pub id: String,
    pub media_type: Option<String>,
    pub bytes_received: u64,
}

pub async fn live_view(state: &AppState, encounter: &Encounter) -> Result<LiveView, StoreError> {
    let now = now_us();
    let who = state
        .store
        .account(encounter.owner)
        .await?
        .map(|a| a.username)
        .unwrap_or_default();
    let uploads = state.store.uploads_of(encounter.id).await?;
    let mut seconds_safe = 0.0;
    let mut last_chunk_us: Option<i64> = None;
    for upload in &uploads {
        if let Some(last) = state.store.chunks_of(upload.id).await?.last() {
            seconds_safe += (last.received_at_us - upload.created_at_us).max(0) as f64 / 1e6;
            last_chunk_us = last_chunk_us.max(Some(last.received_at_us));
        }
    }
    let open = encounter.ended_at_us.is_none();
    let quiet_since = last_chunk_us.unwrap_or(encounter.started_at_us);
    let silent_us = now - quiet_since;
    Ok(LiveView {
        id: encounter.id.to_string(),
        who,
        started_at: rfc3339(encounter.started_at_us),
        ended_at: encounter.ended_at_us.map(rfc3339),
        detained_at: state.store.detained_at(encounter.id).await?.map(rfc3339),
        location: location_of(encounter),
        us_state: encounter.us_state.clone(),
        language: encounter.language.clone(),
        attorney_on_line: !state.store.encounter_attorneys(encounter.id).await?.is_empty(),
        recording: open && last_chunk_us.is_some() && silent_us < FRESH_US,
        silent_secs: (open && silent_us > FRESH_US).then(|| silent_us.unsigned_abs() / 1_000_000),
        seconds_safe: (seconds_safe * 10.0).round() / 10.0,
        last_chunk_at: last_chunk_us.map(rfc3339),
        recordings: uploads
            .iter()
            .map(|u| LiveRecording {
                id: u.id.to_string(),
                media_type: u.media_type.clone(),
                bytes_received: u.offset,
            })
            .collect(),
    })
}

/// The `live` message for an encounter's followers; `None` if the encounter is gone.
pub async fn live_message(state: &AppState, encounter: EncounterId) -> Result<Option<Frame>, StoreError> {
    let Some(encounter) = state.store.encounter(encounter).await? else {
        return Ok(None);
    };
    let view = live_view(state, &encounter).await?;
    Ok(serde_json::to_value(&view).ok().map(|mut value| {
        if let Some(object) = value.as_object_mut() {
            object.insert("type".to_owned(), "live".into());
        }
        Frame::from(value.to_string())
    }))
}

/// The encounter if `account` may follow it: its owner, a member of the owner's household, an
/// attorney assigned to it, or an admin. Nobody else learns more than that it is not theirs.
pub async fn followable(state: &AppState, account: &Account, id: EncounterId) -> Result<(Encounter, Access), ApiError> {
    let encounter = state
        .store
        .encounter(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such encounter."))?;
    if encounter.owner == account.id {
        return Ok((encounter, Access::Owner));
    }
    if same_household(state, encounter.owner, account.id).await? {
        return Ok((encounter, Access::Household));
    }
    if crate::routes::encounters::is_assigned_attorney(state, account, encounter.id).await? {
        return Ok((encounter, Access::Attorney));
    }
    if account.has_role(Role::Admin) {
        return Ok((encounter, Access::Admin));
    }
    Err(ApiError::forbidden(
        "Only the person who recorded this encounter, their household, an attorney assigned to it, or an admin may follow it.",
    ))
}

/// How often one follower's watching of one encounter is written to its chain of custody. The app
/// re-reads the live state every few seconds; a custody row per read would bury the log, while
/// one per ten minutes still shows who watched, and for how long.
const FOLLOW_RECORD_EVERY: Duration = Duration::from_secs(600);

/// When each (follower, encounter, action) was last written to the chain of custody, on this
/// node. Forgotten after [`FOLLOW_RECORD_EVERY`], so it stays small.
#[derive(Debug, Default)]
pub struct RecentFollows(Mutex<HashMap<(AccountId, EncounterId, &'static str), Instant>>);

impl RecentFollows {
    /// True if this should be recorded now (and remembers that it was).
    fn due(&self, key: (AccountId, EncounterId, &'static str)) -> bool {
        let now = Instant::now();
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.retain(|_, at| now.duration_since(*at) < FOLLOW_RECORD_EVERY);
        if seen.contains_key(&key) {
            return false;
        }
        seen.insert(key, now);
        true
    }
}

/// Writes someone other than the owner following an encounter into its chain of custody, at most
/// once per [`FOLLOW_RECORD_EVERY`] per follower, encounter and action.
pub async fn record_following(
    state: &AppState,
    account: &Account,
    encounter: EncounterId,
    access: Access,
    action: &'static str,
) -> Result<(), StoreError> {
    if access == Access::Owner || !state.recent_follows.due((account.id, encounter, action)) {
        return Ok(());
    }
    let record = AccessRecord {
        encounter,
        account: account.id,
        role: access.as_str().to_owned(),
        action: action.to_owned(),
        at_us: now_us(),
    };
    state.store.record_access(&record).await
}

/// Whether both accounts are in the same household now (someone who left no longer follows).
async fn same_household(state: &AppState, a: AccountId, b: AccountId) -> Result<bool, StoreError> {
    Ok(state.store.household_of(a).await?.is_some_and(|h| h.has_member(b)))
}
