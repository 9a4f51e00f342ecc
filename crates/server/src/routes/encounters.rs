//! Encounters: start one, end it, read it, and who may see it.

use crate::alerts::AlertKind;
use crate::alerts::fanout::announce;
use crate::attorney::stored::{Stored, Storing};
use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;
use amparo_core::ids::{AccountId, EncounterId};
use amparo_core::roles::Role;
use amparo_store::{AccessRecord, Account, Encounter, Upload};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/encounters", post(start).get(list))
        .route("/api/v1/encounters/{id}", get(read))
        .route("/api/v1/encounters/{id}/end", post(end))
        .route("/api/v1/encounters/{id}/detained", post(detained))
        .route("/api/v1/encounters/{id}/attorneys", post(assign_attorney))
        .route("/api/v1/encounters/{id}/bundle", get(super::bundle::export))
}

/// What a person gives when they press the button. Everything is optional: the button must work
/// with nothing filled in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartEncounter {
    pub location: Option<LocationInput>,
    /// Two-letter USPS code of the state they are in (`CA`, `TX`, `PR`, ...).
    pub us_state: Option<String>,
    /// BCP 47 language tag (`es`, `en`, `ht`, ...).
    pub language: Option<String>,
    #[serde(default)]
    pub wants_attorney: bool,
    /// Free text, at most 4,000 characters.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EncounterView {
    pub id: String,
    pub owner: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub location: Option<LocationInput>,
    pub us_state: Option<String>,
    pub language: Option<String>,
    pub wants_attorney: bool,
    pub note: Option<String>,
    pub recordings: Vec<RecordingView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingView {
    pub id: String,
    pub upload_url: String,
    pub media_type: Option<String>,
    pub bytes_received: u64,
    pub length: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignAttorney {
    pub attorney_id: String,
}

/// Starts an encounter owned by the caller.
#[utoipa::path(post, path = "/api/v1/encounters", tag = "encounters", security(("bearer" = [])), request_body = StartEncounter,
    responses((status = 201, body = EncounterView), (status = 400), (status = 401)))]
pub async fn start(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(input): ApiJson<StartEncounter>,
) -> Result<Response, ApiError> {
    if let Some(location) = input.location {
        validate::location(location.latitude, location.longitude, location.accuracy_m)?;
    }
    let encounter = Encounter {
        id: EncounterId::new(),
        owner: account.0.id,
        started_at_us: now_us(),
        ended_at_us: None,
        latitude: input.location.map(|l| l.latitude),
        longitude: input.location.map(|l| l.longitude),
        accuracy_m: input.location.and_then(|l| l.accuracy_m),
        us_state: input.us_state.map(|s| validate::us_state(&s)).transpose()?,
        language: input.language.map(|l| validate::language(&l)).transpose()?,
        wants_attorney: input.wants_attorney,
        note: input.note.map(|n| validate::note(&n)).transpose()?,
    };
    let storing = encounter.wants_attorney.then(|| ask_while_storing(&state, &encounter));
    store_encounter(&state, &encounter, storing).await?;
    crate::alerts::silence_shared::started(&state, encounter.id, encounter.started_at_us);
    tell(&state, &encounter, vec![AlertKind::EncounterStarted]);
    Ok((StatusCode::CREATED, Json(view(&encounter, &[]))).into_response())
}

/// Asks for an attorney at once, while the encounter is written: a lawyer on the line is the
/// first thing the button does, and the ring does not wait for the disk (see
/// [`Stored`](crate::attorney::stored::Stored)). The returned half says when the row is there.
fn ask_while_storing(state: &AppState, encounter: &Encounter) -> Storing {
    let (storing, stored) = Stored::pending();
    let (state, encounter) = (state.clone(), encounter.clone());
    tokio::spawn(async move {
        if let Err(e) = crate::attorney::request::ask(&state, &encounter, stored).await {
            tracing::error!(encounter = %encounter.id, error = %e.detail(), "attorney not requested");
        }
    });
    storing
}

/// Commits the encounter on a task of its own, so the answer to `storing` is given even if the
/// person's connection drops while it is written.
async fn store_encounter(state: &AppState, encounter: &Encounter, storing: Option<Storing>) -> Result<(), ApiError> {
    let (state, encounter) = (state.clone(), encounter.clone());
    let writing = tokio::spawn(async move {
        let written = state.store.create_encounter(&encounter).await;
        if let Some(storing) = storing {
            storing.done(written.is_ok());
        }
        written
    });
    match writing.await {
        Ok(written) => Ok(written?),
        Err(e) => Err(ApiError::internal(format!("the encounter's write stopped: {e}"))),
    }
}

/// The caller's encounters, newest first.
#[utoipa::path(get, path = "/api/v1/encounters", tag = "encounters", security(("bearer" = [])), responses((status = 200, body = [EncounterView])))]
pub async fn list(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> Result<Json<Vec<EncounterView>>, ApiError> {
    let mut views = Vec::new();
    for encounter in state.store.encounters_of(account.0.id).await? {
        let uploads = state.store.uploads_of(encounter.id).await?;
        views.push(view(&encounter, &uploads));
    }
    Ok(Json(views))
}

/// One encounter, for its owner, an attorney assigned to it, or an admin.
#[utoipa::path(get, path = "/api/v1/encounters/{id}", tag = "encounters", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = EncounterView), (status = 403), (status = 404)))]
pub async fn read(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<EncounterView>, ApiError> {
    let (encounter, access) = readable_encounter(&state, &account, &id).await?;
    if access != Access::Owner {
        // Anyone but the person who recorded it reading the encounter is part of the chain of
        // custody; the owner's own app polling its status is not.
        let record = AccessRecord {
            encounter: encounter.id,
            account: account.0.id,
            role: access.as_str().to_owned(),
            action: "view encounter".to_owned(),
            at_us: now_us(),
        };
        state.store.record_access(&record).await?;
    }
    let uploads = state.store.uploads_of(encounter.id).await?;
    Ok(Json(view(&encounter, &uploads)))
}

/// How an encounter ended, when the person says. Everything is optional: ending must work with
/// no body at all.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndEncounter {
    /// `detained`: the encounter ended in detention. The person's emergency contacts are sent
    /// their prepared messages, as with "I'm being detained".
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Released,
    Detained,
}

/// Ends the caller's encounter. Chunks still queued on the phone may upload afterwards.
#[utoipa::path(post, path = "/api/v1/encounters/{id}/end", tag = "encounters", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = Option<EndEncounter>, description = "Optional"),
    responses((status = 200, body = EncounterView), (status = 403), (status = 404), (status = 409)))]
pub async fn end(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<EncounterView>, ApiError> {
    let input: EndEncounter = if body.iter().all(u8::is_ascii_whitespace) {
        EndEncounter::default()
    } else {
        crate::json::parse(&body)?
    };
    let encounter = owned_encounter(&state, &account, parse_id(&id)?).await?;
    if encounter.ended_at_us.is_some() {
        return Err(ApiError::conflict("This encounter has already ended."));
    }
    let ended = state.store.end_encounter(encounter.id, now_us()).await?;
    crate::alerts::silence_shared::ended(&state, ended.id);
    state
        .attorney
        .send(crate::attorney::Command::EncounterEnded { encounter: ended.id })
        .await;
    let mut kinds = vec![AlertKind::EncounterEnded];
    if input.outcome == Some(Outcome::Detained) && state.store.mark_detained(ended.id, now_us()).await? {
        kinds.insert(0, AlertKind::Detained);
    }
    tell(&state, &ended, kinds);
    let uploads = state.store.uploads_of(ended.id).await?;
    Ok(Json(view(&ended, &uploads)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetainedView {
    pub detained_at: String,
    /// False when it had already been pressed: the messages went out the first time only.
    pub first_time: bool,
    /// Messages to emergency contacts sent on their way now (email and SMS each count).
    pub messages_sent: usize,
}

/// "I'm being detained": the person's household is alerted and each emergency contact is sent
/// the message prepared for them. Once per encounter; pressing again changes nothing.
#[utoipa::path(post, path = "/api/v1/encounters/{id}/detained", tag = "encounters", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = DetainedView), (status = 403), (status = 404)))]
pub async fn detained(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<DetainedView>, ApiError> {
    let encounter = owned_encounter(&state, &account, parse_id(&id)?).await?;
    let first_time = state.store.mark_detained(encounter.id, now_us()).await?;
    let mut messages_sent = 0;
    if first_time {
        // Awaited, not spawned: the person is told how many messages went out.
        messages_sent = announce(&state, &encounter, AlertKind::Detained).await?.contacts;
        crate::live::publish_state(&state, encounter.id).await;
    }
    let at = state.store.detained_at(encounter.id).await?.unwrap_or_else(now_us);
    Ok(Json(DetainedView {
        detained_at: rfc3339(at),
        first_time,
        messages_sent,
    }))
}

/// Alerts the encounter's people and updates its followers, on a task of its own: the person
/// pressing a button never waits for their family's phones.
fn tell(state: &AppState, encounter: &Encounter, kinds: Vec<AlertKind>) {
    let (state, encounter) = (state.clone(), encounter.clone());
    tokio::spawn(async move {
        for kind in kinds {
            if let Err(e) = announce(&state, &encounter, kind).await {
                tracing::error!(encounter = %encounter.id, error = %e, "alert not sent");
            }
        }
        crate::live::publish_state(&state, encounter.id).await;
    });
}

/// Assigns an attorney to an encounter (admins; automatic dispatch assigns them too).
#[utoipa::path(post, path = "/api/v1/encounters/{id}/attorneys", tag = "encounters", security(("bearer" = [])), request_body = AssignAttorney,
    params(("id" = String, Path)), responses((status = 204), (status = 400), (status = 403), (status = 404)))]
pub async fn assign_attorney(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssignAttorney>,
) -> Result<StatusCode, ApiError> {
    account.require(Role::Admin)?;
    let encounter = state
        .store
        .encounter(parse_id(&id)?)
        .await?
        .ok_or_else(|| ApiError::not_found("No such encounter."))?;
    let attorney_id: AccountId = input
        .attorney_id
        .parse()
        .map_err(|_| ApiError::invalid_field("attorney_id", "attorney_id is not an account id."))?;
    let attorney = state
        .store
        .account(attorney_id)
        .await?
        .ok_or_else(|| ApiError::invalid_field("attorney_id", "No such account."))?;
    if !attorney.has_role(Role::Attorney) {
        return Err(ApiError::invalid_field(
            "attorney_id",
            "That account does not have the attorney role.",
        ));
    }
    let already = state
        .store
        .encounter_attorneys(encounter.id)
        .await?
        .contains(&attorney.id);
    state.store.assign_attorney(encounter.id, attorney.id).await?;
    if !already {
        tell(&state, &encounter, vec![AlertKind::AttorneyJoined]);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// How the caller may see an encounter's evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Owner,
    /// A member of the owner's household, following the encounter.
    Household,
    Attorney,
    Admin,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Owner => "owner",
            Access::Household => "household",
            Access::Attorney => "attorney",
            Access::Admin => "admin",
        }
    }
}

/// The encounter if the caller owns it.
pub async fn owned_encounter(
    state: &AppState,
    account: &CurrentAccount,
    id: EncounterId,
) -> Result<Encounter, ApiError> {
    let encounter = state
        .store
        .encounter(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such encounter."))?;
    if encounter.owner != account.0.id {
        return Err(ApiError::forbidden("This encounter belongs to another account."));
    }
    Ok(encounter)
}

/// Whether the account is an attorney assigned to the encounter: on its call now (known the
/// moment they accept, before the assignment is written), or assigned in the store.
pub async fn is_assigned_attorney(
    state: &AppState,
    account: &Account,
    encounter: EncounterId,
) -> Result<bool, ApiError> {
    if !account.has_role(Role::Attorney) {
        return Ok(false);
    }
    if state
        .attorney
        .parties(encounter)
        .is_some_and(|p| p.attorney == account.id)
    {
        return Ok(true);
    }
    Ok(state.store.encounter_attorneys(encounter).await?.contains(&account.id))
}

/// The encounter if the caller owns it, is an attorney assigned to it, or is an admin.
pub async fn readable_encounter(
    state: &AppState,
    account: &CurrentAccount,
    id: &str,
) -> Result<(Encounter, Access), ApiError> {
    let encounter = state
        .store
        .encounter(parse_id(id)?)
        .await?
        .ok_or_else(|| ApiError::not_found("No such encounter."))?;
    if encounter.owner == account.0.id {
        return Ok((encounter, Access::Owner));
    }
    if is_assigned_attorney(state, &account.0, encounter.id).await? {
        return Ok((encounter, Access::Attorney));
    }
    if account.0.has_role(Role::Admin) {
        return Ok((encounter, Access::Admin));
    }
    Err(ApiError::forbidden(
        "Only the person who recorded this encounter, an attorney assigned to it, or an admin may see it.",
    ))
}

fn parse_id(id: &str) -> Result<EncounterId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("No such encounter."))
}

/// Where the encounter is, as the person shared it; `None` when they shared no place.
pub fn location_of(encounter: &Encounter) -> Option<LocationInput> {
    match (encounter.latitude, encounter.longitude) {
        (Some(latitude), Some(longitude)) => Some(LocationInput {
            latitude,
            longitude,
            accuracy_m: encounter.accuracy_m,
        }),
        _ => None,
    }
}

fn view(encounter: &Encounter, uploads: &[Upload]) -> EncounterView {
    let location = location_of(encounter);
    EncounterView {
        id: encounter.id.to_string(),
        owner: encounter.owner.to_string(),
        started_at: rfc3339(encounter.started_at_us),
        ended_at: encounter.ended_at_us.map(rfc3339),
        location,
        us_state: encounter.us_state.clone(),
        language: encounter.language.clone(),
        wants_attorney: encounter.wants_attorney,
        note: encounter.note.clone(),
        recordings: uploads
            .iter()
            .map(|u| RecordingView {
                id: u.id.to_string(),
                upload_url: format!("/api/v1/uploads/{}", u.id),
                media_type: u.media_type.clone(),
                bytes_received: u.offset,
                length: u.length,
            })
            .collect(),
    }
}
