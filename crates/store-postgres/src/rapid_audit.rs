//! Reading the responders' audit log (issue 6): newest first by `seq`, filtered by responder,
//! report or incident (each filter an indexed column, see `migrations/0009_audit_log_indexes.sql`).

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::{AccountId, IncidentId, ReportId, VehicleId};
use amparo_store::{AuditEntry, AuditQuery, ResponderAction, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

pub(crate) async fn page(store: &PostgresStore, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT seq, at_us, responder, action, report, incident, vehicle, note FROM responder_actions WHERE TRUE",
    );
    if let Some(before) = query.before {
        sql.push(" AND seq < ").push_bind(before);
    }
    if let Some(responder) = query.responder {
        sql.push(" AND responder = ").push_bind(responder.0);
    }
    if let Some(report) = query.report {
        sql.push(" AND report = ").push_bind(report.0);
    }
    if let Some(incident) = query.incident {
        sql.push(" AND incident = ").push_bind(incident.0);
    }
    sql.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(query.limit));
    let rows = sql
        .build()
        .fetch_all(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading the responders' audit log"))?;
    rows.iter().map(entry).collect()
}

fn entry(row: &PgRow) -> Result<AuditEntry, StoreError> {
    let get = |e| from_sqlx(e, "reading the responders' audit log");
    let optional = |name: &str| -> Result<Option<Uuid>, StoreError> { row.try_get(name).map_err(get) };
    Ok(AuditEntry {
        seq: row.try_get("seq").map_err(get)?,
        action: ResponderAction {
            at_us: row.try_get("at_us").map_err(get)?,
            responder: AccountId(row.try_get("responder").map_err(get)?),
            action: row.try_get("action").map_err(get)?,
            report: optional("report")?.map(ReportId),
            incident: optional("incident")?.map(IncidentId),
            vehicle: optional("vehicle")?.map(VehicleId),
            note: row.try_get("note").map_err(get)?,
        },
    })
}
