//! What responders do to a report (issue 6): verify, merge, reject, ask. Each checks the
//! responder role, and the store decides the report once and logs the action in the same
//! transaction. Only verifying alerts anyone.

use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::rapid::deliver::{self, Event};
use crate::rapid::input;
use crate::rapid::views::{IncidentView, QuestionView};
use crate::state::AppState;
use amparo_core::ids::{IncidentId, QuestionId, ReportId, VehicleId};
use amparo_core::plate::Plate;
use amparo_core::rapid::VerifiedHow;
use amparo_core::roles::Role;
use amparo_store::{Incident, NewSighting, Question, Report, ResponderAction};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// in_person, photo or second_report.
    pub how: String,
    /// What subscribers will read; the report's own description if absent. Edit out anything
    /// that identifies a person.
    pub description: Option<String>,
    /// Also ask this many legal observers to go (1 to 10): the nearest available responders
    /// are asked at once. The answer's `observers` says where that stands.
    pub observers: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The incident this report describes too.
    pub incident: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectInput {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskInput {
    pub question: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecidedView {
    pub report: String,
    pub state: String,
}

fn audit(account: &CurrentAccount, action: &str, report: ReportId, note: String) -> ResponderAction {
    ResponderAction {
        at_us: now_us(),
        responder: account.0.id,
        action: action.to_owned(),
        report: Some(report),
        incident: None,
        vehicle: None,
        note,
    }
}

async fn open_report(state: &AppState, id: &str) -> Result<Report, ApiError> {
    let id: ReportId = input::id(id, "report")?;
    state
        .store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such report."))
}

/// Verifies a report: it becomes an incident, and every subscriber watching its cell is alerted.
#[utoipa::path(post, path = "/api/v1/reports/{id}/verify", tag = "rapid", security(("bearer" = [])), request_body = VerifyInput,
    responses((status = 201, body = IncidentView), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "Already decided, or expired")))]
pub async fn verify(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VerifyInput>,
) -> Result<Response, ApiError> {
    account.require(Role::Responder)?;
    let how: VerifiedHow = body
        .how
        .parse()
        .map_err(|e: String| ApiError::invalid_field("how", format!("how: {e}.")))?;
    let description = body.description.as_deref().map(input::description).transpose()?;
    if body
        .observers
        .is_some_and(|n| !(1..=crate::observers::MAX_OBSERVERS).contains(&n))
    {
        return Err(ApiError::invalid_field(
            "observers",
            "observers: ask for 1 to 10 observers, or leave it out.",
        ));
    }
    let report = open_report(&state, &id).await?;
    let now = now_us();
    let incident = Incident {
        id: IncidentId::new(),
        kind: report.kind,
        cell: report.cell,
        observed_at_us: report.observed_at_us,
        description: description.unwrap_or_else(|| report.description.clone()),
        how,
        verified_by: account.0.id,
        verified_at_us: now,
        updated_at_us: now,
        withdrawn_at_us: None,
        note: None,
    };
    let mut action = audit(&account, "verify", report.id, how.to_string());
    action.incident = Some(incident.id);
    state.store.verify_report(report.id, &incident, &action).await?;
    record_vehicles(&state, &report, &incident).await?;
    deliver::announce(&state, &incident, Event::Verified).await?;
    let mut view = serde_json::to_value(IncidentView::for_responders(&incident)).map_err(ApiError::internal)?;
    if let Some(wanted) = body.observers {
        // The incident stands whatever happens here; a refusal is reported beside it.
        view["observers"] = match crate::observers::ask(&state, account.0.id, incident, wanted).await {
            Ok(request) => serde_json::to_value(request).map_err(ApiError::internal)?,
            Err(e) => serde_json::json!({"status": "not_asked", "detail": e.detail()}),
        };
    }
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The report's plated vehicles, seen at a verified incident, into the registry.
async fn record_vehicles(state: &AppState, report: &Report, incident: &Incident) -> Result<(), ApiError> {
    let sightings: Vec<NewSighting> = report
        .vehicles
        .iter()
        .filter_map(|v| {
            let plate = Plate::parse(v.plate.as_deref()?).ok()?;
            Some(NewSighting {
                new_id: VehicleId::new(),
                plate,
                region: v.region.clone().unwrap_or_default(),
                make: v.make.clone(),
                model: v.model.clone(),
                colour: v.colour.clone(),
                markings: v.markings.clone(),
                incident: incident.id,
                cell: incident.cell,
                seen_at_us: report.observed_at_us,
            })
        })
        .collect();
    if !sightings.is_empty() {
        state.store.record_sightings(&sightings).await?;
    }
    Ok(())
}

/// Merges a duplicate report into an incident already verified. Nobody is alerted again.
#[utoipa::path(post, path = "/api/v1/reports/{id}/merge", tag = "rapid", security(("bearer" = [])), request_body = MergeInput,
    responses((status = 200, body = DecidedView), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn merge(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeInput>,
) -> Result<Json<DecidedView>, ApiError> {
    account.require(Role::Responder)?;
    let target: IncidentId = input::id(&body.incident, "incident")?;
    let report = open_report(&state, &id).await?;
    let mut action = audit(&account, "merge", report.id, String::new());
    action.incident = Some(target);
    state.store.merge_report(report.id, target, &action).await?;
    if let Some(incident) = state.store.incident(target).await? {
        record_vehicles(&state, &report, &incident).await?;
    }
    Ok(Json(DecidedView {
        report: report.id.to_string(),
        state: "merged".into(),
    }))
}

/// Rejects a report, saying why. Nobody is alerted; the reporter sees the reason.
#[utoipa::path(post, path = "/api/v1/reports/{id}/reject", tag = "rapid", security(("bearer" = [])), request_body = RejectInput,
    responses((status = 200, body = DecidedView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn reject(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectInput>,
) -> Result<Json<DecidedView>, ApiError> {
    account.require(Role::Responder)?;
    let reason = input::note("reason", &body.reason)?;
    let report = open_report(&state, &id).await?;
    let action = audit(&account, "reject", report.id, reason.clone());
    state.store.reject_report(report.id, &reason, &action).await?;
    Ok(Json(DecidedView {
        report: report.id.to_string(),
        state: "rejected".into(),
    }))
}

/// Asks the reporter a question; they see it with their report and answer it.
#[utoipa::path(post, path = "/api/v1/reports/{id}/questions", tag = "rapid", security(("bearer" = [])), request_body = AskInput,
    responses((status = 201, body = QuestionView), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn ask(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AskInput>,
) -> Result<Response, ApiError> {
    account.require(Role::Responder)?;
    let text = input::note("question", &body.question)?;
    let report = open_report(&state, &id).await?;
    let question = Question {
        id: QuestionId::new(),
        report: report.id,
        asked_by: account.0.id,
        asked_at_us: now_us(),
        text: text.clone(),
        answer: None,
        answered_at_us: None,
    };
    state
        .store
        .ask_question(&question, &audit(&account, "ask", report.id, text))
        .await?;
    Ok((StatusCode::CREATED, Json(QuestionView::from(&question))).into_response())
}
