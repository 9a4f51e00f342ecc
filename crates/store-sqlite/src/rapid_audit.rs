//! Reading the responders' audit log (issue 6): newest first by `seq`, filtered by responder,
//! report or incident (each filter an indexed column, see `migrations/0010_audit_log_indexes.sql`).

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::{AccountId, IncidentId, ReportId, VehicleId};
use amparo_store::{AuditEntry, AuditQuery, ResponderAction, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

pub(crate) async fn page(store: &SqliteStore, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let mut sql = QueryBuilder::<Sqlite>::new(
        "SELECT seq, at_us, responder, action, report, incident, vehicle, note FROM responder_actions WHERE 1 = 1",
    );
    if let Some(before) = query.before {
        sql.push(" AND seq < ").push_bind(before);
    }
    if let Some(responder) = query.responder {
        sql.push(" AND responder = ").push_bind(responder.as_bytes().to_vec());
    }
    if let Some(report) = query.report {
        sql.push(" AND report = ").push_bind(report.as_bytes().to_vec());
    }
    if let Some(incident) = query.incident {
        sql.push(" AND incident = ").push_bind(incident.as_bytes().to_vec());
    }
    sql.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(query.limit));
    let mut conn = store.read().await?;
    let rows = sql
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading the responders' audit log"))?;
    rows.iter().map(entry).collect()
}

fn entry(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    let get = |e| from_sqlx(e, "reading the responders' audit log");
    let responder: Vec<u8> = row.try_get("responder").map_err(get)?;
    let optional = |name: &str| -> Result<Option<uuid::Uuid>, StoreError> {
        let bytes: Option<Vec<u8>> = row.try_get(name).map_err(get)?;
        bytes.map(|b| uuid(&b, "audit log id")).transpose()
    };
    Ok(AuditEntry {
        seq: row.try_get("seq").map_err(get)?,
        action: ResponderAction {
            at_us: row.try_get("at_us").map_err(get)?,
            responder: AccountId(uuid(&responder, "audit log responder")?),
            action: row.try_get("action").map_err(get)?,
            report: optional("report")?.map(ReportId),
            incident: optional("incident")?.map(IncidentId),
            vehicle: optional("vehicle")?.map(VehicleId),
            note: row.try_get("note").map_err(get)?,
        },
    })
}
