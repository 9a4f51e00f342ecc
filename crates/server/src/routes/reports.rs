//! Community reports (issue 6). Any member reports (rate-limited per account and per address);
//! only responders see unverified reports, and only they decide: verify (the report becomes an
//! incident and its subscribers are alerted), merge into an incident, ask the reporter, reject
//! with why. Every decision is written to the audit log with it. The reporter sees their own
//! reports, their state and questions, and answers, and deletes them (`report_deletes`).

use super::accounts::ClientAddress;
use super::{report_decisions, report_deletes};
use crate::auth::CurrentAccount;
use crate::clock::now_us;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::rapid::input::{self, PlaceInput, VehicleInput};
use crate::rapid::views::{QuestionView, ReportView};
use crate::state::AppState;
use amparo_core::geo::Cell;
use amparo_core::ids::{QuestionId, ReportId};
use amparo_core::rapid::{ReportKind, ReportState};
use amparo_core::roles::Role;
use amparo_store::{Report, StoreError};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", post(create).get(queue))
        .route("/api/v1/reports/mine", get(mine))
        .route("/api/v1/reports/{id}", get(read).delete(report_deletes::delete_report))
        .route("/api/v1/reports/{id}/verify", post(report_decisions::verify))
        .route("/api/v1/reports/{id}/merge", post(report_decisions::merge))
        .route("/api/v1/reports/{id}/reject", post(report_decisions::reject))
        .route("/api/v1/reports/{id}/questions", post(report_decisions::ask))
        .route("/api/v1/questions/{id}/answer", post(answer))
}

/// A member's report. No field names or describes a person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// The report's id, chosen by the app (a random UUID) so that sending it again after a
    /// lost answer (an app that queued it offline retries) never makes two reports. Optional.
    pub id: Option<String>,
    /// checkpoint, raid_home, raid_workplace, arrest, vehicle or other.
    pub kind: String,
    /// Where: kept only as the H3 cell at the network's precision.
    pub place: PlaceInput,
    /// When it was seen (RFC 3339); now if absent.
    pub observed_at: Option<String>,
    /// What was seen.
    pub description: String,
    #[serde(default)]
    pub vehicles: Vec<VehicleInput>,
}

/// Sends a report to the responders. It alerts nobody until a responder verifies it. Sent again
/// with the same `id`, it answers 200 with the report the first send stored.
#[utoipa::path(post, path = "/api/v1/reports", tag = "rapid", security(("bearer" = [])), request_body = ReportInput,
    responses((status = 201, body = ReportView), (status = 200, body = ReportView, description = "Already stored under this id"),
        (status = 400), (status = 401), (status = 409, description = "The id is another account's"), (status = 429)))]
pub async fn create(
    State(state): State<AppState>,
    account: CurrentAccount,
    ClientAddress(address): ClientAddress,
    ApiJson(input): ApiJson<ReportInput>,
) -> Result<Response, ApiError> {
    let chosen: Option<ReportId> = input::chosen_id(input.id.as_deref(), "id")?;
    // A retry of a report already stored answers with it, and uses up no allowance.
    if let Some(id) = chosen
        && let Some(stored) = already_stored(&state, &account, id).await?
    {
        return Ok(stored);
    }
    let kind: ReportKind = input
        .kind
        .parse()
        .map_err(|e: String| ApiError::invalid_field("kind", format!("kind: {e}.")))?;
    let cell = input.place.cell(state.limits.precision(), "place")?;
    let description = input::description(&input.description)?;
    let vehicles = input::vehicles(input.vehicles)?;
    let now = now_us();
    let expiry_us = i64::try_from(state.limits.report_expiry_secs.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
    let observed_at_us = input::observed_at(input.observed_at.as_deref(), now, now.saturating_sub(expiry_us))?;
    // Checked last, so a report refused for its content does not use up the allowance.
    state.rate_limits.check_report(account.0.id, address)?;
    let report = Report {
        id: chosen.unwrap_or_default(),
        reporter: account.0.id,
        kind,
        cell,
        observed_at_us,
        created_at_us: now,
        expires_at_us: now.saturating_add(expiry_us),
        description,
        vehicles,
        state: ReportState::Unverified,
        incident: None,
        decided_by: None,
        decided_at_us: None,
        reason: None,
    };
    match state.store.create_report(&report).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(ReportView::new(&report, &[], None))).into_response()),
        // Two sends of one report at once: the store's key let one in; the other answers with it.
        Err(StoreError::Conflict(_)) => already_stored(&state, &account, report.id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("report {} conflicted but is not stored", report.id))),
        Err(other) => Err(other.into()),
    }
}

/// The report stored under `id`, as a 200 answer, if the caller stored it; 409 if another
/// account's report has that id (a random UUID never collides: the app is choosing ids badly).
async fn already_stored(
    state: &AppState,
    account: &CurrentAccount,
    id: ReportId,
) -> Result<Option<Response>, ApiError> {
    match state.store.report(id).await? {
        None => Ok(None),
        Some(report) if report.reporter == account.0.id => {
            let questions = state.store.questions_of(id).await?;
            Ok(Some(
                (StatusCode::OK, Json(ReportView::new(&report, &questions, None))).into_response(),
            ))
        }
        Some(_) => Err(ApiError::conflict(
            "This report id is taken. Send the report again with a new random id (or none).",
        )),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// An H3 cell: reports nearest to it come first (then newest).
    pub near: Option<String>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<u32>,
}

/// The responders' triage queue: open reports, nearest to `near` first, then newest, each
/// with its reporter's record and its questions.
#[utoipa::path(get, path = "/api/v1/reports", tag = "rapid", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = Vec<ReportView>), (status = 400), (status = 401), (status = 403)))]
pub async fn queue(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(query): Query<QueueQuery>,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    account.require(Role::Responder)?;
    let near: Option<Cell> = match query.near.as_deref() {
        Some(text) => Some(
            text.parse()
                .map_err(|e| ApiError::invalid_field("near", format!("near: {e}.")))?,
        ),
        None => None,
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let reports = state.store.open_reports(now_us(), limit).await?;
    let mut views = Vec::with_capacity(reports.len());
    for report in &reports {
        let mut view = responder_view(&state, report).await?;
        view.distance_cells = near.map(|n| n.grid_distance(report.cell).unwrap_or(u32::MAX));
        views.push(view);
    }
    // Stable: within one distance, the store's newest-first order stays.
    views.sort_by_key(|v| v.distance_cells.unwrap_or(0));
    Ok(Json(views))
}

pub(crate) async fn responder_view(state: &AppState, report: &Report) -> Result<ReportView, ApiError> {
    let questions = state.store.questions_of(report.id).await?;
    let accuracy = state.store.reporter_accuracy(report.reporter).await?;
    Ok(ReportView::new(report, &questions, Some(accuracy)))
}

/// The caller's own reports, newest first, with the responders' questions.
#[utoipa::path(get, path = "/api/v1/reports/mine", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportView>), (status = 401)))]
pub async fn mine(State(state): State<AppState>, account: CurrentAccount) -> Result<Json<Vec<ReportView>>, ApiError> {
    let reports = state.store.reports_of(account.0.id).await?;
    let mut views = Vec::with_capacity(reports.len());
    for report in &reports {
        let questions = state.store.questions_of(report.id).await?;
        views.push(ReportView::new(report, &questions, None));
    }
    Ok(Json(views))
}

/// One report: for responders, or for the member who made it.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "rapid", security(("bearer" = [])),
    responses((status = 200, body = ReportView), (status = 401), (status = 404)))]
pub async fn read(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    let id: ReportId = input::id(&id, "report")?;
    let report = state.store.report(id).await?;
    match report {
        Some(report) if account.0.has_role(Role::Responder) => Ok(Json(responder_view(&state, &report).await?)),
        Some(report) if report.reporter == account.0.id => {
            let questions = state.store.questions_of(report.id).await?;
            Ok(Json(ReportView::new(&report, &questions, None)))
        }
        // Someone else's report does not exist, as far as a member can tell.
        _ => Err(ApiError::not_found("No such report.")),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub answer: String,
}

/// The reporter answers a responder's question about their report.
#[utoipa::path(post, path = "/api/v1/questions/{id}/answer", tag = "rapid", security(("bearer" = [])), request_body = AnswerInput,
    responses((status = 200, body = QuestionView), (status = 400), (status = 401), (status = 404)))]
pub async fn answer(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AnswerInput>,
) -> Result<Json<QuestionView>, ApiError> {
    let id: QuestionId = input::id(&id, "question")?;
    let answer = input::note("answer", &body.answer)?;
    let question = state.store.answer_question(id, account.0.id, &answer, now_us()).await?;
    Ok(Json(QuestionView::from(&question)))
}
