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
    let coverage = state.coverage(encounter.owner).await?;
    let backup_line = coverage.backup_line.clone();
    let unavailable = |reason: &str, detail: &str| AttorneyStatus::Unavailable {
        reason: reason.to_owned(),
        detail: detail.to_owned(),
        backup_line: backup_line.clone(),
    };
    let org = match coverage.plan {
        PlanSource::Organization { org } | PlanSource::OrganizationHousehold { org, .. } => Some(org),
        PlanSource::Household { .. } | PlanSource::None => state.attorney.dispatch.personal_plans_org,
    };
    let Some(org) = org.filter(|_| coverage.attorney_line) else {
        let status = unavailable(
            "no_attorney_line",
            "Your plan does not include the attorney line right now. Keep recording: your evidence is safe.",
        );
        return Ok(tell(state, encounter, status).await);
    };
    let Some(us_state) = encounter.us_state.as_deref().and_then(|s| s.parse::<UsState>().ok()) else {
        let status = unavailable(
            "no_state",
            "Choose the state you are in, so an attorney who can advise there is found.",
        );
        return Ok(tell(state, encounter, status).await);
    };
    let language = language_of(encounter);
    let request = Request {
        encounter: encounter.id,
        org,
        language,
        state: us_state,
        requested_at_us: now_us(),
    };
    let context = context(encounter, language, us_state, backup_line, stored);
    state.attorney.send(Command::Request { request, context }).await;
    Ok(AttorneyStatus::Offering)
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
    Some((
        request,
        context(&encounter, language, us_state, backup_line, Stored::already()),
    ))
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
    }
}

/// Records an "unavailable" status and sends it to the person's app.
async fn tell(state: &AppState, encounter: &Encounter, status: AttorneyStatus) -> AttorneyStatus {
    state.attorney.set_status(encounter.id, status.clone());
    let frame = super::messages::status(encounter.id, &status);
    crate::live::deliver::to_accounts(state, &[encounter.owner], &frame);
    status
}
