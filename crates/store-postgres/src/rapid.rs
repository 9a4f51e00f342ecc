//! Reports, incidents, questions and the responders' audit log (issue 6). Every decision is one
//! transaction whose `UPDATE ... WHERE state = 'unverified' AND expires_at_us >
//! $n` is the check (PostgreSQL re-reads the row's state after waiting for its lock): a report
//! is decided once, however many responders press at the same time.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, IncidentId, ReportId};
use amparo_store::rapid::{cell, parse_stored, vehicles_from_json, vehicles_to_json};
use amparo_store::{Incident, Report, ResponderAction, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row};
use uuid::Uuid;

macro_rules! report_columns {
    () => {
        "id, reporter, kind, cell, observed_at_us, created_at_us, expires_at_us, description, vehicles, state, incident, decided_by, decided_at_us, reason"
    };
}
macro_rules! incident_columns {
    () => {
        "id, kind, cell, observed_at_us, description, how, verified_by, verified_at_us, updated_at_us, withdrawn_at_us, note"
    };
}

pub(crate) async fn create(store: &PostgresStore, r: &Report) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO reports (",
        report_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(r.id.0)
    .bind(r.reporter.0)
    .bind(r.kind.as_str())
    .bind(r.cell.to_i64())
    .bind(r.observed_at_us)
    .bind(r.created_at_us)
    .bind(r.expires_at_us)
    .bind(&r.description)
    .bind(vehicles_to_json(&r.vehicles))
    .bind(r.state.as_str())
    .bind(r.incident.map(|i| i.0))
    .bind(r.decided_by.map(|a| a.0))
    .bind(r.decided_at_us)
    .bind(&r.reason)
    .execute(&store.pool)
    .await
    .map(|_| ())
    .map_err(|e| from_sqlx(e, &format!("storing report {} (account {})", r.id, r.reporter)))
}

pub(crate) async fn get(store: &PostgresStore, id: ReportId) -> Result<Option<Report>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", report_columns!(), " FROM reports WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading report {id}")))?;
    row.as_ref().map(report).transpose()
}

pub(crate) async fn of_reporter(store: &PostgresStore, reporter: AccountId) -> Result<Vec<Report>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        report_columns!(),
        " FROM reports WHERE reporter = $1 ORDER BY created_at_us DESC, id DESC"
    ))
    .bind(reporter.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the reports of account {reporter}")))?;
    rows.iter().map(report).collect()
}

pub(crate) async fn open(store: &PostgresStore, now_us: i64, limit: u32) -> Result<Vec<Report>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        report_columns!(),
        " FROM reports WHERE state = 'unverified' AND expires_at_us > $1 \
         ORDER BY created_at_us DESC, id DESC LIMIT $2"
    ))
    .bind(now_us)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "reading the open reports"))?;
    rows.iter().map(report).collect()
}

/// Moves an open report to `state`; `Conflict` if it was not open at `at_us`, `NotFound` if it
/// does not exist.
async fn decide(
    tx: &mut PgConnection,
    id: ReportId,
    state: &str,
    incident: Option<IncidentId>,
    reason: Option<&str>,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let what = || format!("deciding report {id}");
    let done = sqlx::query(
        "UPDATE reports SET state = $1, incident = $2, decided_by = $3, decided_at_us = $4, reason = $5 \
         WHERE id = $6 AND state = 'unverified' AND expires_at_us > $7",
    )
    .bind(state)
    .bind(incident.map(|i| i.0))
    .bind(audit.responder.0)
    .bind(audit.at_us)
    .bind(reason)
    .bind(id.0)
    .bind(audit.at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if done.rows_affected() == 0 {
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM reports WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what()))?;
        return Err(match exists {
            Some(_) => Report::not_open(id),
            None => StoreError::NotFound(format!("report {id}")),
        });
    }
    log_action(tx, audit).await
}

pub(crate) async fn log_action(tx: &mut PgConnection, a: &ResponderAction) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO responder_actions (at_us, responder, action, report, incident, vehicle, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.at_us)
    .bind(a.responder.0)
    .bind(&a.action)
    .bind(a.report.map(|r| r.0))
    .bind(a.incident.map(|i| i.0))
    .bind(a.vehicle.map(|v| v.0))
    .bind(&a.note)
    .execute(&mut *tx)
    .await
    .map(|_| ())
    .map_err(|e| from_sqlx(e, "writing the responders' audit log"))
}

pub(crate) async fn verify(
    store: &PostgresStore,
    id: ReportId,
    i: &Incident,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    insert_incident(&mut tx, i).await?;
    decide(&mut tx, id, "verified", Some(i.id), None, audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, &format!("verifying report {id}")))
}

async fn insert_incident(tx: &mut PgConnection, i: &Incident) -> Result<(), StoreError> {
    sqlx::query::<Postgres>(concat!(
        "INSERT INTO incidents (",
        incident_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(i.id.0)
    .bind(i.kind.as_str())
    .bind(i.cell.to_i64())
    .bind(i.observed_at_us)
    .bind(&i.description)
    .bind(i.how.as_str())
    .bind(i.verified_by.0)
    .bind(i.verified_at_us)
    .bind(i.updated_at_us)
    .bind(i.withdrawn_at_us)
    .bind(&i.note)
    .execute(&mut *tx)
    .await
    .map(|_| ())
    .map_err(|e| from_sqlx(e, &format!("storing incident {}", i.id)))
}

pub(crate) async fn merge(
    store: &PostgresStore,
    id: ReportId,
    incident: IncidentId,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    let found: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM incidents WHERE id = $1")
        .bind(incident.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("merging report {id}")))?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("incident {incident}")));
    }
    decide(&mut tx, id, "merged", Some(incident), None, audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, &format!("merging report {id}")))
}

pub(crate) async fn reject(
    store: &PostgresStore,
    id: ReportId,
    reason: &str,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    decide(&mut tx, id, "rejected", None, Some(reason), audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, &format!("rejecting report {id}")))
}

pub(crate) async fn expire(store: &PostgresStore, now_us: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE reports SET state = 'expired', decided_at_us = expires_at_us \
         WHERE state = 'unverified' AND expires_at_us <= $1",
    )
    .bind(now_us)
    .execute(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "expiring reports"))?;
    Ok(done.rows_affected())
}

pub(crate) async fn update_incident(
    store: &PostgresStore,
    i: &Incident,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    let done = sqlx::query(
        "UPDATE incidents SET description = $1, updated_at_us = $2, withdrawn_at_us = $3, note = $4 WHERE id = $5",
    )
    .bind(&i.description)
    .bind(i.updated_at_us)
    .bind(i.withdrawn_at_us)
    .bind(&i.note)
    .bind(i.id.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &format!("updating incident {}", i.id)))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("incident {}", i.id)));
    }
    log_action(&mut tx, audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, &format!("updating incident {}", i.id)))
}

pub(crate) async fn incident(store: &PostgresStore, id: IncidentId) -> Result<Option<Incident>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", incident_columns!(), " FROM incidents WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading incident {id}")))?;
    row.as_ref().map(incident_row).transpose()
}

pub(crate) async fn incidents_in(
    store: &PostgresStore,
    cells: &[Cell],
    since_us: i64,
    limit: u32,
) -> Result<Vec<Incident>, StoreError> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<i64> = cells.iter().map(|c| c.to_i64()).collect();
    let rows = sqlx::query(concat!(
        "SELECT ",
        incident_columns!(),
        " FROM incidents WHERE cell = ANY($1) \
         AND updated_at_us >= $2 ORDER BY updated_at_us DESC, id DESC LIMIT $3"
    ))
    .bind(list)
    .bind(since_us)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "reading incidents in an area"))?;
    rows.iter().map(incident_row).collect()
}

fn report(row: &PgRow) -> Result<Report, StoreError> {
    let get = |e| from_sqlx(e, "reading a report");
    let id: Uuid = row.try_get("id").map_err(get)?;
    let reporter: Uuid = row.try_get("reporter").map_err(get)?;
    let incident: Option<Uuid> = row.try_get("incident").map_err(get)?;
    let decided_by: Option<Uuid> = row.try_get("decided_by").map_err(get)?;
    Ok(Report {
        id: ReportId(id),
        reporter: AccountId(reporter),
        kind: parse_stored(row.try_get::<&str, _>("kind").map_err(get)?)?,
        cell: cell(row.try_get("cell").map_err(get)?)?,
        observed_at_us: row.try_get("observed_at_us").map_err(get)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        expires_at_us: row.try_get("expires_at_us").map_err(get)?,
        description: row.try_get("description").map_err(get)?,
        vehicles: vehicles_from_json(row.try_get("vehicles").map_err(get)?)?,
        state: parse_stored(row.try_get::<&str, _>("state").map_err(get)?)?,
        incident: incident.map(IncidentId),
        decided_by: decided_by.map(AccountId),
        decided_at_us: row.try_get("decided_at_us").map_err(get)?,
        reason: row.try_get("reason").map_err(get)?,
    })
}

fn incident_row(row: &PgRow) -> Result<Incident, StoreError> {
    let get = |e| from_sqlx(e, "reading an incident");
    let id: Uuid = row.try_get("id").map_err(get)?;
    let by: Uuid = row.try_get("verified_by").map_err(get)?;
    Ok(Incident {
        id: IncidentId(id),
        kind: parse_stored(row.try_get::<&str, _>("kind").map_err(get)?)?,
        cell: cell(row.try_get("cell").map_err(get)?)?,
        observed_at_us: row.try_get("observed_at_us").map_err(get)?,
        description: row.try_get("description").map_err(get)?,
        how: parse_stored(row.try_get::<&str, _>("how").map_err(get)?)?,
        verified_by: AccountId(by),
        verified_at_us: row.try_get("verified_at_us").map_err(get)?,
        updated_at_us: row.try_get("updated_at_us").map_err(get)?,
        withdrawn_at_us: row.try_get("withdrawn_at_us").map_err(get)?,
        note: row.try_get("note").map_err(get)?,
    })
}
