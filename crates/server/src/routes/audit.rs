//! The responders' audit log (issue 6), for whoever leads the network: every verification,
//! merge, rejection, question, incident update or withdrawal, vehicle status and photo shared,
//! newest first, a page at a time, by responder or by report or incident.
//!
//! Who may read it: server admins. The model has no responder-lead role, and ordinary
//! responders do not read each other's record (nor members anyone's); a network that wants
//! leads who are not admins would add that role, not widen this one.

use crate::auth::CurrentAccount;
use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::state::AppState;
use amparo_core::ids::AccountId;
use amparo_core::roles::Role;
use amparo_store::{AuditEntry, AuditQuery};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Json;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Entries per page unless asked otherwise, and at most.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit-log", get(read))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// The `next` of the page before: entries older than it.
    pub before: Option<String>,
    /// Only this responder's actions (an account id).
    pub responder: Option<String>,
    /// Only actions about this report.
    pub report: Option<String>,
    /// Only actions about this incident.
    pub incident: Option<String>,
    /// Entries on this page (default 50, at most 200).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub at: String,
    pub responder: ResponderRef,
    /// verify, merge, reject, ask, update, withdraw, vehicle_status, photo_share, photo_unshare.
    pub action: String,
    pub report: Option<String>,
    pub incident: Option<String>,
    pub vehicle: Option<String>,
    /// What the responder wrote (a reason, a question, a method), as they wrote it.
    pub note: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResponderRef {
    pub id: String,
    /// `None` if the account no longer exists.
    pub username: Option<String>,
}

/// A page of the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "rapid", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 400), (status = 401), (status = 403)))]
pub async fn read(
    State(state): State<AppState>,
    account: CurrentAccount,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    account.require(Role::Admin)?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("limit: from 1 to {MAX_LIMIT} entries a page."),
        ));
    }
    let query = AuditQuery {
        before: params.before.as_deref().map(cursor).transpose()?,
        responder: parse_id(params.responder.as_deref(), "responder", "an account id")?,
        report: parse_id(params.report.as_deref(), "report", "a report id")?,
        incident: parse_id(params.incident.as_deref(), "incident", "an incident id")?,
        limit,
    };
    let entries = state.store.audit_log(&query).await?;
    // A full page may have more behind it; a short one is the last.
    let next = if entries.len() == limit as usize {
        entries.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    let mut names: HashMap<AccountId, ResponderRef> = HashMap::new();
    let mut views = Vec::with_capacity(entries.len());
    for entry in entries {
        let responder = responder_ref(&state, &mut names, entry.action.responder).await?;
        views.push(view(entry, responder));
    }
    Ok(Json(AuditPage { entries: views, next }))
}

fn cursor(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::invalid_field(
            "before",
            "before: pass the `next` value of the previous page, as it was given.",
        )
    })
}

fn parse_id<T: std::str::FromStr>(text: Option<&str>, field: &str, what: &str) -> Result<Option<T>, ApiError> {
    text.map(|t| {
        t.parse()
            .map_err(|_| ApiError::invalid_field(field, format!("{field}: {what} (a UUID).")))
    })
    .transpose()
}

/// Who the responder is, read once per page.
async fn responder_ref(
    state: &AppState,
    names: &mut HashMap<AccountId, ResponderRef>,
    id: AccountId,
) -> Result<ResponderRef, ApiError> {
    if let Some(known) = names.get(&id) {
        return Ok(known.clone());
    }
    let account = state.store.account(id).await?;
    let found = ResponderRef {
        id: id.to_string(),
        username: account.map(|a| a.username),
    };
    names.insert(id, found.clone());
    Ok(found)
}

fn view(entry: AuditEntry, responder: ResponderRef) -> AuditEntryView {
    let a = entry.action;
    AuditEntryView {
        at: rfc3339(a.at_us),
        responder,
        action: a.action,
        report: a.report.map(|r| r.to_string()),
        incident: a.incident.map(|i| i.to_string()),
        vehicle: a.vehicle.map(|v| v.to_string()),
        note: a.note,
    }
}
