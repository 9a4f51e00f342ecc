//! Legal observers' rows (issue 6): requests for observers and the observers sent. Each
//! responder's action is logged in the transaction that does it.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use crate::rapid::log_action;
use amparo_core::ids::{AccountId, IncidentId};
use amparo_store::{ObserverDispatch, ObserverMark, ObserverRequest, ResponderAction, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

// Column lists as macros, so every statement stays one literal (sqlx audits dynamic SQL).
macro_rules! request_columns {
    () => {
        "incident, requested_by, wanted, requested_at_us, closed_at_us"
    };
}
macro_rules! dispatch_columns {
    () => {
        "incident, observer, display_name, accepted_at_us, arrived_at_us, done_at_us, lapsed_at_us"
    };
}

pub(crate) async fn request(
    store: &SqliteStore,
    r: &ObserverRequest,
    audit: &ResponderAction,
) -> Result<ObserverRequest, StoreError> {
    let what = || format!("asking for observers at incident {}", r.incident);
    let mut tx = store.write().await?;
    // A closed request asked again starts afresh; an open one keeps its place in line.
    let row = sqlx::query(concat!(
        "INSERT INTO observer_requests (",
        request_columns!(),
        ") VALUES (?, ?, ?, ?, NULL) \
         ON CONFLICT (incident) DO UPDATE SET requested_by = excluded.requested_by, \
         wanted = excluded.wanted, closed_at_us = NULL, requested_at_us = CASE \
         WHEN observer_requests.closed_at_us IS NULL THEN observer_requests.requested_at_us \
         ELSE excluded.requested_at_us END RETURNING ",
        request_columns!()
    ))
    .bind(r.incident.as_bytes().as_slice())
    .bind(r.requested_by.as_bytes().as_slice())
    .bind(i64::from(r.wanted))
    .bind(r.requested_at_us)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let stored = request_row(&row)?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(stored)
}

pub(crate) async fn close(store: &SqliteStore, incident: IncidentId, at_us: i64) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query("UPDATE observer_requests SET closed_at_us = ? WHERE incident = ? AND closed_at_us IS NULL")
        .bind(at_us)
        .bind(incident.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| from_sqlx(e, &format!("closing the observer request of incident {incident}")))
}

pub(crate) async fn open(store: &SqliteStore) -> Result<Vec<ObserverRequest>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM observer_requests WHERE closed_at_us IS NULL \
         ORDER BY requested_at_us, incident"
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "reading open observer requests"))?;
    rows.iter().map(request_row).collect()
}

pub(crate) async fn get(store: &SqliteStore, incident: IncidentId) -> Result<Option<ObserverRequest>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM observer_requests WHERE incident = ?"
    ))
    .bind(incident.as_bytes().as_slice())
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the observer request of incident {incident}")))?;
    row.as_ref().map(request_row).transpose()
}

pub(crate) async fn lapse(
    store: &SqliteStore,
    incident: IncidentId,
    observer: AccountId,
    at_us: i64,
) -> Result<bool, StoreError> {
    let mut conn = store.write_conn().await?;
    let done = sqlx::query(
        "UPDATE observer_dispatches SET lapsed_at_us = ? \
         WHERE incident = ? AND observer = ? AND done_at_us IS NULL AND lapsed_at_us IS NULL",
    )
    .bind(at_us)
    .bind(incident.as_bytes().as_slice())
    .bind(observer.as_bytes().as_slice())
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("marking observer {observer} lapsed at incident {incident}")))?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn add(store: &SqliteStore, d: &ObserverDispatch, audit: &ResponderAction) -> Result<(), StoreError> {
    let what = || format!("sending observer {} to incident {}", d.observer, d.incident);
    let mut tx = store.write().await?;
    sqlx::query(concat!(
        "INSERT INTO observer_dispatches (",
        dispatch_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(d.incident.as_bytes().as_slice())
    .bind(d.observer.as_bytes().as_slice())
    .bind(&d.display_name)
    .bind(d.accepted_at_us)
    .bind(d.arrived_at_us)
    .bind(d.done_at_us)
    .bind(d.lapsed_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn mark(
    store: &SqliteStore,
    incident: IncidentId,
    observer: AccountId,
    mark: ObserverMark,
    at_us: i64,
    audit: &ResponderAction,
) -> Result<ObserverDispatch, StoreError> {
    let what = || format!("marking observer {observer} at incident {incident}");
    let mut tx = store.write().await?;
    // Only a move forward: arrived once, done once, nothing after done.
    let statement = match mark {
        ObserverMark::Arrived => concat!(
            "UPDATE observer_dispatches SET arrived_at_us = ? WHERE arrived_at_us IS NULL AND done_at_us IS NULL AND lapsed_at_us IS NULL \
             AND incident = ? AND observer = ? RETURNING ",
            dispatch_columns!()
        ),
        ObserverMark::Done => concat!(
            "UPDATE observer_dispatches SET done_at_us = ? WHERE done_at_us IS NULL AND lapsed_at_us IS NULL \
             AND incident = ? AND observer = ? RETURNING ",
            dispatch_columns!()
        ),
    };
    let row = sqlx::query(statement)
        .bind(at_us)
        .bind(incident.as_bytes().as_slice())
        .bind(observer.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    let Some(row) = row else {
        let sent: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM observer_dispatches WHERE incident = ? AND observer = ?")
                .bind(incident.as_bytes().as_slice())
                .bind(observer.as_bytes().as_slice())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
        return Err(match sent {
            None => StoreError::NotFound(format!("observer {observer} was not sent to incident {incident}")),
            Some(_) => ObserverDispatch::already(mark),
        });
    };
    let marked = dispatch_row(&row)?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(marked)
}

pub(crate) async fn of(store: &SqliteStore, incident: IncidentId) -> Result<Vec<ObserverDispatch>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        dispatch_columns!(),
        " FROM observer_dispatches WHERE incident = ? ORDER BY accepted_at_us, observer"
    ))
    .bind(incident.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the observers of incident {incident}")))?;
    rows.iter().map(dispatch_row).collect()
}

pub(crate) async fn log(store: &SqliteStore, audit: &ResponderAction) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    log_action(&mut tx, audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, "writing the responders' audit log"))
}

fn request_row(row: &SqliteRow) -> Result<ObserverRequest, StoreError> {
    let get = |e| from_sqlx(e, "reading an observer request");
    let incident: Vec<u8> = row.try_get("incident").map_err(get)?;
    let by: Vec<u8> = row.try_get("requested_by").map_err(get)?;
    let wanted: i64 = row.try_get("wanted").map_err(get)?;
    Ok(ObserverRequest {
        incident: IncidentId(uuid(&incident, "observer request incident")?),
        requested_by: AccountId(uuid(&by, "observer request by")?),
        wanted: u32::try_from(wanted).map_err(|_| StoreError::Backend(format!("observers wanted: {wanted}")))?,
        requested_at_us: row.try_get("requested_at_us").map_err(get)?,
        closed_at_us: row.try_get("closed_at_us").map_err(get)?,
    })
}

fn dispatch_row(row: &SqliteRow) -> Result<ObserverDispatch, StoreError> {
    let get = |e| from_sqlx(e, "reading an observer");
    let incident: Vec<u8> = row.try_get("incident").map_err(get)?;
    let observer: Vec<u8> = row.try_get("observer").map_err(get)?;
    Ok(ObserverDispatch {
        incident: IncidentId(uuid(&incident, "observer incident")?),
        observer: AccountId(uuid(&observer, "observer account")?),
        display_name: row.try_get("display_name").map_err(get)?,
        accepted_at_us: row.try_get("accepted_at_us").map_err(get)?,
        arrived_at_us: row.try_get("arrived_at_us").map_err(get)?,
        done_at_us: row.try_get("done_at_us").map_err(get)?,
        lapsed_at_us: row.try_get("lapsed_at_us").map_err(get)?,
    })
}
