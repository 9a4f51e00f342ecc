//! From an encounter to a dispatch request: which organization's attorneys answer, in which
//! language and state. When no attorney can be asked, the person is told why, plainly, with the
//! organization's backup phone line when there is one; nothing is queued that nobody could take.

use super::messages::{AttorneyStatus, CallFacts, Location};
use super::stored::Stored;
use super::{CallContext, Command};
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::plans::PlanSource;
use crate::state::AppState;
use amparo_core::dispatch::{Language, Request, UsState};
use amparo_core::ids::OrgId;
use amparo_store::{CallRecord, Encounter};

/// The language asked for when the person did not say.
const DEFAULT_LANGUAGE: &str = "en";

/// Asks for an attorney for `encounter` and returns where the request stands. Asking again for
/// an open request changes nothing. `stored` says when the encounter's row is committed: a new
/// encounter is asked for while it is written.
///
/// On an encounter already stored, the request's call record is saved before the ring (one
/// commit), so a dispatcher that dies before its own writer saves it leaves it in the store for
/// the next. A new encounter's request is rung while its row is written and cannot be recorded
/// before that row exists: the next dispatcher finds it by the encounter instead (`recover`).
pub async fn ask(state: &AppState, encounter: &Encounter, stored: Stored) -> Result<AttorneyStatus, ApiError> {
    if encounter.ended_at_us.is_some() {
        return Err(ApiError::conflict(
            "This encounter has ended: start a new one to reach an attorney.",
        ));
    }
    if let Some(status) = state
        .attorney
        .status(encounter.id)
        .filter(|s| !matches!(s, AttorneyStatus::Closed | AttorneyStatus::Unavailable { .. }))
    {
        return Ok(status);
    }
    match plan(state, encounter, now_us(), stored).await? {
        Asked::Unavailable(status) => Ok(tell(state, encounter, status).await),
        Asked::Request(request, mut context) => {
            if context.stored.is_already() {
                state.store.save_call(&requested(&request)).await?;
                context.recorded = true;
            }
            state.attorney.send(Command::Request { request, context }).await;
            Ok(AttorneyStatus::Offering)
        }
    }
}

/// What asking for an attorney comes to.
enum Asked {
    Request(Request, CallContext),
    /// Nobody can be asked, and why.
    Unavailable(AttorneyStatus),
}

/// Which organization's attorneys answer `encounter`, in which language and state, asked at
/// `requested_at_us`; or why nobody can be asked.
async fn plan(
    state: &AppState,
    encounter: &Encounter,
    requested_at_us: i64,
    stored: Stored,
) -> Result<Asked, ApiError> {
    let coverage = state.coverage(encounter.owner).await?;
    let backup_line = coverage.backup_line.clone();
    let unavailable = |reason: &str, detail: &str| {
        Asked::Unavailable(AttorneyStatus::Unavailable {
            reason: reason.to_owned(),
            detail: detail.to_owned(),
            backup_line: backup_line.clone(),
        })
    };
    let org = match coverage.plan {
        PlanSource::Organization { org } | PlanSource::OrganizationHousehold { org, .. } => Some(org),
        PlanSource::Household { .. } | PlanSource::None => state.attorney.dispatch.personal_plans_org,
    };
    let Some(org) = org.filter(|_| coverage.attorney_line) else {
        return Ok(unavailable(
            "no_attorney_line",
            "Your plan does not include the attorney line right now. Keep recording: your evidence is safe.",
        ));
    };
    let Some(us_state) = encounter.us_state.as_deref().and_then(|s| s.parse::<UsState>().ok()) else {
        return Ok(unavailable(
            "no_state",
            "Choose the state you are in, so an attorney who can advise there is found.",
        ));
    };
    let language = language_of(encounter);
    let request = Request {
        encounter: encounter.id,
        org,
        language,
        state: us_state,
        requested_at_us,
    };
    let context = context(encounter, language, us_state, backup_line, stored);
    Ok(Asked::Request(request, context))
}

/// The call record of a request just made: asked, nothing more yet.
pub(super) fn requested(request: &Request) -> CallRecord {
    CallRecord {
        encounter: request.encounter,
        org: request.org,
        language: request.language.to_string(),
        us_state: request.state.to_string(),
        requested_at_us: request.requested_at_us,
        offered_at_us: None,
        connected_at_us: None,
        attorney: None,
        closed_at_us: None,
        outcome: None,
    }
}

/// The request of an encounter that asked for an attorney when it started but that no dispatcher
/// recorded (see `recover`), asked again as of the encounter's start so it keeps its place;
/// `None` when nobody can be asked (the person is told why, as when they first asked).
pub(super) async fn again(state: &AppState, encounter: &Encounter) -> Result<Option<(Request, CallContext)>, ApiError> {
    match plan(state, encounter, encounter.started_at_us, Stored::already()).await? {
        Asked::Request(request, context) => Ok(Some((request, context))),
        Asked::Unavailable(status) => {
            tell(state, encounter, status).await;
            Ok(None)
        }
    }
}

/// A request a previous run left open, asked again with its original time; `None` when its
/// encounter has ended or is gone.
pub async fn resume(state: &AppState, record: &CallRecord) -> Option<(Request, CallContext)> {
    let encounter = state.store.encounter(record.encounter).await.ok().flatten()?;
    if encounter.ended_at_us.is_some() {
        return None;
    }
    let language = record.language.parse().ok()?;
    let us_state = record.us_state.parse().ok()?;
    let backup_line = backup_line(state, record.org).await;
    let request = Request {
        encounter: record.encounter,
        org: record.org,
        language,
        state: us_state,
        requested_at_us: record.requested_at_us,
    };
    let context = CallContext {
        recorded: true,
        ..context(&encounter, language, us_state, backup_line, Stored::already())
    };
    Some((request, context))
}

async fn backup_line(state: &AppState, org: OrgId) -> Option<String> {
    state.store.organization(org).await.ok().flatten()?.policy.backup_line
}

fn language_of(encounter: &Encounter) -> Language {
    let default = || DEFAULT_LANGUAGE.parse().expect("the default language is a valid tag");
    encounter
        .language
        .as_deref()
        .and_then(|tag| tag.parse().ok())
        .unwrap_or_else(default)
}

fn context(
    encounter: &Encounter,
    language: Language,
    us_state: UsState,
    backup_line: Option<String>,
    stored: Stored,
) -> CallContext {
    let location = match (encounter.latitude, encounter.longitude) {
        (Some(latitude), Some(longitude)) => Some(Location { latitude, longitude }),
        _ => None,
    };
    CallContext {
        owner: encounter.owner,
        facts: CallFacts {
            encounter: encounter.id,
            language,
            us_state,
            started_at: rfc3339(encounter.started_at_us),
            location,
            note: encounter.note.clone(),
        },
        backup_line,
        stored,
        recorded: false,
    }
}

/// Records an "unavailable" status and sends it to the person's app.
async fn tell(state: &AppState, encounter: &Encounter, status: AttorneyStatus) -> AttorneyStatus {
    state.attorney.set_status(encounter.id, status.clone());
    let frame = super::messages::status(encounter.id, &status);
    crate::live::deliver::to_accounts(state, &[encounter.owner], &frame);
    status
}
