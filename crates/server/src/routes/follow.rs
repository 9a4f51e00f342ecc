//! Following an encounter as it happens: its live state, its recording's bytes as they arrive
//! (the app feeds them to Media Source Extensions a few seconds behind), the household's open
//! encounters, the live WebSocket, and the status page an emergency contact's link opens.
//!
//! Who may follow: the owner, their household, an assigned attorney, an admin
//! ([`crate::live::view::followable`]). Anyone but the owner following (here or on the live
//! socket), or starting to watch a recording, is written to the chain of custody, once per ten
//! minutes per follower (`live::view::record_following`): the app re-reads the state every few
//! seconds, and a row per read would bury the log.

use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::live::view::{LiveView, followable, live_view, record_following};
use crate::state::AppState;
use amparo_core::ids::{ContactId, EncounterId, RecordingId};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Serialize;
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};

/// The most one media response carries; the app asks again from where it ends.
const MAX_MEDIA_BYTES: u64 = 8 * 1024 * 1024;

pub static AMPARO_NEXT_OFFSET: HeaderName = HeaderName::from_static("amparo-next-offset");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/live", get(crate::live::socket::upgrade))
        .route("/api/v1/following", get(following))
        .route("/api/v1/encounters/{id}/live", get(live))
        .route("/api/v1/encounters/{id}/recordings/{recording}/media", get(media))
        .route("/api/v1/shared/{encounter}/{contact}/{tag}", get(shared))
}

fn encounter_id(id: &str) -> Result<EncounterId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("No such encounter."))
}

/// The encounter's live state.
#[utoipa::path(get, path = "/api/v1/encounters/{id}/live", tag = "following", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LiveView), (status = 401), (status = 403), (status = 404)))]
pub async fn live(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<LiveView>, ApiError> {
    let (encounter, access) = followable(&state, &account.0, encounter_id(&id)?).await?;
    record_following(&state, &account.0, encounter.id, access, "follow live").await?;
    Ok(Json(live_view(&state, &encounter).await?))
}

/// The open encounters of the caller's household (their own included), newest first: what an
/// app opened after an alert shows.
#[utoipa::path(get, path = "/api/v1/following", tag = "following", security(("bearer" = [])),
    responses((status = 200, body = [LiveView]), (status = 401)))]
pub async fn following(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<Vec<LiveView>>, ApiError> {
    let people = match state.store.household_of(account.0.id).await? {
        Some(household) => household.members.iter().map(|m| m.account).collect(),
        None => vec![account.0.id],
    };
    let mut open = Vec::new();
    for person in people {
        open.extend(
            state
                .store
                .encounters_of(person)
                .await?
                .into_iter()
                .filter(|e| e.ended_at_us.is_none()),
        );
    }
    open.sort_by_key(|e| std::cmp::Reverse(e.started_at_us));
    let mut views = Vec::with_capacity(open.len());
    for encounter in &open {
        views.push(live_view(&state, encounter).await?);
    }
    Ok(Json(views))
}

/// How long after an encounter ends its contacts' status links keep working.
const SHARED_AFTER_END_US: i64 = 24 * 3_600_000_000;

/// What an emergency contact's link shows: the state, never the recording or the notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedView {
    pub who: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub detained_at: Option<String>,
    pub location: Option<crate::routes::encounters::LocationInput>,
    pub attorney_on_line: bool,
    pub recording: bool,
    pub silent_secs: Option<u64>,
    pub seconds_safe: f64,
}

/// An emergency contact's view of an encounter, by the link in their alert. No account: the
/// link's tag is the credential, checked in constant time; it stops working when the contact is
/// deleted or a day after the encounter ends. Rate-limited per address, like every call a
/// stranger can make.
#[utoipa::path(get, path = "/api/v1/shared/{encounter}/{contact}/{tag}", tag = "following",
    params(("encounter" = String, Path), ("contact" = String, Path), ("tag" = String, Path)),
    responses((status = 200, body = SharedView), (status = 404), (status = 410), (status = 429)))]
pub async fn shared(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((encounter, contact, tag)): Path<(String, String, String)>,
) -> Result<Json<SharedView>, ApiError> {
    state.rate_limits.check_address(peer.ip())?;
    // One answer for every wrong link: which part was wrong is nobody's business.
    let unknown = || ApiError::not_found("This link does not work: ask the person who sent it for a new one.");
    let (Ok(encounter), Ok(contact)) = (encounter.parse::<EncounterId>(), contact.parse::<ContactId>()) else {
        return Err(unknown());
    };
    if !state.alerts.message_key.check_share_tag(encounter, contact, &tag) {
        return Err(unknown());
    }
    let encounter = state.store.encounter(encounter).await?.ok_or_else(unknown)?;
    let still_a_contact = state
        .store
        .contacts_of(encounter.owner)
        .await?
        .iter()
        .any(|c| c.id == contact);
    if !still_a_contact {
        return Err(unknown());
    }
    if encounter
        .ended_at_us
        .is_some_and(|end| now_us() > end.saturating_add(SHARED_AFTER_END_US))
    {
        return Err(ApiError::gone(
            "This encounter ended more than a day ago; its status is no longer shared.",
        ));
    }
    let live = live_view(&state, &encounter).await?;
    Ok(Json(SharedView {
        who: live.who,
        started_at: live.started_at,
        ended_at: live.ended_at,
        detained_at: live.detained_at,
        location: live.location,
        attorney_on_line: live.attorney_on_line,
        recording: live.recording,
        silent_secs: live.silent_secs,
        seconds_safe: live.seconds_safe,
    }))
}

#[derive(Debug, IntoParams)]
pub struct MediaQuery {
    /// The byte offset to start from (what the last answer's `Amparo-Next-Offset` said).
    /// Default 0.
    pub from: u64,
}

/// `from=N` (axum's `Query` would answer bad input in plain text, not problem+json).
fn media_query(raw: Option<&str>) -> Result<MediaQuery, ApiError> {
    let mut query = MediaQuery { from: 0 };
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "from" => {
                query.from = value.parse().map_err(|_| {
                    ApiError::invalid_field("from", "from must be a byte offset: a whole number, 0 or more.")
                })?;
            }
            _ => {
                return Err(ApiError::invalid_field(
                    name,
                    format!("Unknown parameter {name:?}: this address takes only from."),
                ));
            }
        }
    }
    Ok(query)
}

/// A recording's bytes from `from` to what has arrived so far (at most 8 MiB per answer), exactly
/// as the phone sent them; `Amparo-Next-Offset` says where to ask next.
#[utoipa::path(get, path = "/api/v1/encounters/{id}/recordings/{recording}/media", tag = "following", security(("bearer" = [])),
    params(("id" = String, Path), ("recording" = String, Path), MediaQuery),
    responses((status = 200, description = "The bytes, possibly none yet"), (status = 401), (status = 403), (status = 404), (status = 416)))]
pub async fn media(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path((id, recording)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = media_query(raw.as_deref())?;
    let (encounter, access) = followable(&state, &account.0, encounter_id(&id)?).await?;
    let no_recording = || ApiError::not_found("This encounter has no such recording.");
    let recording: RecordingId = recording.parse().map_err(|_| no_recording())?;
    let upload = state
        .store
        .upload(recording)
        .await?
        .filter(|u| u.encounter == encounter.id)
        .ok_or_else(no_recording)?;
    if query.from > upload.offset {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "Range not satisfiable",
            format!(
                "from={} is past the {} bytes received so far: ask from Amparo-Next-Offset.",
                query.from, upload.offset
            ),
        ));
    }
    if query.from == 0 {
        record_following(&state, &account.0, encounter.id, access, "watch recording").await?;
    }
    let mut body = Vec::new();
    let mut next = query.from;
    for chunk in state.store.chunks_of(recording).await? {
        let end = chunk.offset + chunk.length;
        if end <= next {
            continue;
        }
        if chunk.offset > next || (next > query.from && next - query.from >= MAX_MEDIA_BYTES) {
            break;
        }
        let bytes = crate::blobs::read_chunk(state.blobs.as_ref(), &chunk)
            .await
            .map_err(ApiError::internal)?;
        let skip = usize::try_from(next - chunk.offset).unwrap_or(usize::MAX);
        body.extend_from_slice(bytes.get(skip..).unwrap_or_default());
        next = end;
    }
    let media_type = upload.media_type.as_deref().unwrap_or("application/octet-stream");
    let mut response = (StatusCode::OK, Body::from(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(AMPARO_NEXT_OFFSET.clone(), HeaderValue::from(next));
    Ok(response)
}
