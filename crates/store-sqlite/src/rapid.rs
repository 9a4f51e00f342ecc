//! Reports, incidents, questions and the responders' audit log (issue 6). Every decision is one
//! `BEGIN IMMEDIATE` transaction whose `UPDATE ... WHERE state = 'unverified' AND expires_at_us >
//! ?` is the check: a report is decided once, however many responders press at the same time.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, IncidentId, ReportId, VehicleId};
use amparo_store::rapid::{cell, parse_stored, vehicles_from_json, vehicles_to_json};
use amparo_store::{Incident, Report, ResponderAction, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection};

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

pub(crate) async fn create(store: &SqliteStore, r: &Report) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query(concat!(
        "INSERT INTO reports (",
        report_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(r.id.as_bytes().as_slice())
    .bind(r.reporter.as_bytes().as_slice())
    .bind(r.kind.as_str())
    .bind(r.cell.to_i64())
    .bind(r.observed_at_us)
    .bind(r.created_at_us)
    .bind(r.expires_at_us)
    .bind(&r.description)
    .bind(vehicles_to_json(&r.vehicles))
    .bind(r.state.as_str())
    .bind(r.incident.map(|i| i.as_bytes().to_vec()))
    .bind(r.decided_by.map(|a| a.as_bytes().to_vec()))
    .bind(r.decided_at_us)
    .bind(&r.reason)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(|e| from_sqlx(e, &format!("storing report {} (account {})", r.id, r.reporter)))
}

pub(crate) async fn get(store: &SqliteStore, id: ReportId) -> Result<Option<Report>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!("SELECT ", report_columns!(), " FROM reports WHERE id = ?"))
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading report {id}")))?;
    row.as_ref().map(report).transpose()
}

pub(crate) async fn of_reporter(store: &SqliteStore, reporter: AccountId) -> Result<Vec<Report>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        report_columns!(),
        " FROM reports WHERE reporter = ? ORDER BY created_at_us DESC, id DESC"
    ))
    .bind(reporter.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the reports of account {reporter}")))?;
    rows.iter().map(report).collect()
}

pub(crate) async fn open(store: &SqliteStore, now_us: i64, limit: u32) -> Result<Vec<Report>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        report_columns!(),
        " FROM reports WHERE state = 'unverified' AND expires_at_us > ? \
         ORDER BY created_at_us DESC, id DESC LIMIT ?"
    ))
    .bind(now_us)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "reading the open reports"))?;
    rows.iter().map(report).collect()
}

/// Moves an open report to `state`; `Conflict` if it was not open at `at_us`, `NotFound` if it
/// does not exist.
async fn decide(
    tx: &mut SqliteConnection,
    id: ReportId,
    state: &str,
    incident: Option<IncidentId>,
    reason: Option<&str>,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let what = || format!("deciding report {id}");
    let done = sqlx::query(
        "UPDATE reports SET state = ?, incident = ?, decided_by = ?, decided_at_us = ?, reason = ? \
         WHERE id = ? AND state = 'unverified' AND expires_at_us > ?",
    )
    .bind(state)
    .bind(incident.map(|i| i.as_bytes().to_vec()))
    .bind(audit.responder.as_bytes().as_slice())
    .bind(audit.at_us)
    .bind(reason)
    .bind(id.as_bytes().as_slice())
    .bind(audit.at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if done.rows_affected() == 0 {
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM reports WHERE id = ?")
            .bind(id.as_bytes().as_slice())
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

pub(crate) async fn log_action(tx: &mut SqliteConnection, a: &ResponderAction) -> Result<(), StoreError> {
    let id = |x: Option<&[u8; 16]>| x.map(|b| b.to_vec());
    sqlx::query(
        "INSERT INTO responder_actions (at_us, responder, action, report, incident, vehicle, note) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.at_us)
    .bind(a.responder.as_bytes().as_slice())
    .bind(&a.action)
    .bind(id(a.report.as_ref().map(ReportId::as_bytes)))
    .bind(id(a.incident.as_ref().map(IncidentId::as_bytes)))
    .bind(id(a.vehicle.as_ref().map(VehicleId::as_bytes)))
    .bind(&a.note)
    .execute(&mut *tx)
    .await
    .map(|_| ())
    .map_err(|e| from_sqlx(e, "writing the responders' audit log"))
}

pub(crate) async fn verify(
    store: &SqliteStore,
    id: ReportId,
    i: &Incident,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    insert_incident(&mut tx, i).await?;
    decide(&mut tx, id, "verified", Some(i.id), None, audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, &format!("verifying report {id}")))
}

async fn insert_incident(tx: &mut SqliteConnection, i: &Incident) -> Result<(), StoreError> {
    sqlx::query::<Sqlite>(concat!(
        "INSERT INTO incidents (",
        incident_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(i.id.as_bytes().as_slice())
    .bind(i.kind.as_str())
    .bind(i.cell.to_i64())
    .bind(i.observed_at_us)
    .bind(&i.description)
    .bind(i.how.as_str())
    .bind(i.verified_by.as_bytes().as_slice())
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
    store: &SqliteStore,
    id: ReportId,
    incident: IncidentId,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM incidents WHERE id = ?")
        .bind(incident.as_bytes().as_slice())
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
    store: &SqliteStore,
    id: ReportId,
    reason: &str,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    decide(&mut tx, id, "rejected", None, Some(reason), audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, &format!("rejecting report {id}")))
}

pub(crate) async fn expire(store: &SqliteStore, now_us: i64) -> Result<u64, StoreError> {
    let mut conn = store.write_conn().await?;
    let done = sqlx::query(
        "UPDATE reports SET state = 'expired', decided_at_us = expires_at_us \
         WHERE state = 'unverified' AND expires_at_us <= ?",
    )
    .bind(now_us)
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "expiring reports"))?;
    Ok(done.rows_affected())
}

pub(crate) async fn update_incident(
    store: &SqliteStore,
    i: &Incident,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "UPDATE incidents SET description = ?, updated_at_us = ?, withdrawn_at_us = ?, note = ? WHERE id = ?",
    )
    .bind(&i.description)
    .bind(i.updated_at_us)
    .bind(i.withdrawn_at_us)
    .bind(&i.note)
    .bind(i.id.as_bytes().as_slice())
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

pub(crate) async fn incident(store: &SqliteStore, id: IncidentId) -> Result<Option<Incident>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!("SELECT ", incident_columns!(), " FROM incidents WHERE id = ?"))
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading incident {id}")))?;
    row.as_ref().map(incident_row).transpose()
}

pub(crate) async fn incidents_in(
    store: &SqliteStore,
    cells: &[Cell],
    since_us: i64,
    limit: u32,
) -> Result<Vec<Incident>, StoreError> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = store.read().await?;
    // The cells as a JSON array read by json_each: one statement whatever their number.
    let list = serde_json_list(cells);
    let rows = sqlx::query(concat!(
        "SELECT ",
        incident_columns!(),
        " FROM incidents WHERE cell IN (SELECT value FROM json_each(?)) \
         AND updated_at_us >= ? ORDER BY updated_at_us DESC, id DESC LIMIT ?"
    ))
    .bind(list)
    .bind(since_us)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "reading incidents in an area"))?;
    rows.iter().map(incident_row).collect()
}

fn serde_json_list(cells: &[Cell]) -> String {
    let items: Vec<String> = cells.iter().map(|c| c.to_i64().to_string()).collect();
    format!("[{}]", items.join(","))
}

fn report(row: &SqliteRow) -> Result<Report, StoreError> {
    let get = |e| from_sqlx(e, "reading a report");
    let id: Vec<u8> = row.try_get("id").map_err(get)?;
    let reporter: Vec<u8> = row.try_get("reporter").map_err(get)?;
    let incident: Option<Vec<u8>> = row.try_get("incident").map_err(get)?;
    let decided_by: Option<Vec<u8>> = row.try_get("decided_by").map_err(get)?;
    Ok(Report {
        id: ReportId(uuid(&id, "report id")?),
        reporter: AccountId(uuid(&reporter, "reporter")?),
        kind: parse_stored(row.try_get::<&str, _>("kind").map_err(get)?)?,
        cell: cell(row.try_get("cell").map_err(get)?)?,
        observed_at_us: row.try_get("observed_at_us").map_err(get)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        expires_at_us: row.try_get("expires_at_us").map_err(get)?,
        description: row.try_get("description").map_err(get)?,
        vehicles: vehicles_from_json(row.try_get("vehicles").map_err(get)?)?,
        state: parse_stored(row.try_get::<&str, _>("state").map_err(get)?)?,
        incident: incident
            .map(|b| uuid(&b, "report incident").map(IncidentId))
            .transpose()?,
        decided_by: decided_by
            .map(|b| uuid(&b, "report decider").map(AccountId))
            .transpose()?,
        decided_at_us: row.try_get("decided_at_us").map_err(get)?,
        reason: row.try_get("reason").map_err(get)?,
    })
}

fn incident_row(row: &SqliteRow) -> Result<Incident, StoreError> {
    let get = |e| from_sqlx(e, "reading an incident");
    let id: Vec<u8> = row.try_get("id").map_err(get)?;
    let by: Vec<u8> = row.try_get("verified_by").map_err(get)?;
    Ok(Incident {
        id: IncidentId(uuid(&id, "incident id")?),
        kind: parse_stored(row.try_get::<&str, _>("kind").map_err(get)?)?,
        cell: cell(row.try_get("cell").map_err(get)?)?,
        observed_at_us: row.try_get("observed_at_us").map_err(get)?,
        description: row.try_get("description").map_err(get)?,
        how: parse_stored(row.try_get::<&str, _>("how").map_err(get)?)?,
        verified_by: AccountId(uuid(&by, "incident verifier")?),
        verified_at_us: row.try_get("verified_at_us").map_err(get)?,
        updated_at_us: row.try_get("updated_at_us").map_err(get)?,
        withdrawn_at_us: row.try_get("withdrawn_at_us").map_err(get)?,
        note: row.try_get("note").map_err(get)?,
    })
}
