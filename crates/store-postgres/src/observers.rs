//! Legal observers' rows (issue 6): requests for observers and the observers sent. Each
//! responder's action is logged in the transaction that does it.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use crate::rapid::log_action;
use amparo_core::ids::{AccountId, IncidentId};
use amparo_store::{ObserverDispatch, ObserverMark, ObserverRequest, ResponderAction, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

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

async fn begin(store: &PostgresStore) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))
}

pub(crate) async fn request(
    store: &PostgresStore,
    r: &ObserverRequest,
    audit: &ResponderAction,
) -> Result<ObserverRequest, StoreError> {
    let what = || format!("asking for observers at incident {}", r.incident);
    let mut tx = begin(store).await?;
    // A closed request asked again starts afresh; an open one keeps its place in line.
    let row = sqlx::query(concat!(
        "INSERT INTO observer_requests (",
        request_columns!(),
        ") VALUES ($1, $2, $3, $4, NULL) \
         ON CONFLICT (incident) DO UPDATE SET requested_by = excluded.requested_by, \
         wanted = excluded.wanted, closed_at_us = NULL, requested_at_us = CASE \
         WHEN observer_requests.closed_at_us IS NULL THEN observer_requests.requested_at_us \
         ELSE excluded.requested_at_us END RETURNING ",
        request_columns!()
    ))
    .bind(r.incident.0)
    .bind(r.requested_by.0)
    .bind(i32::try_from(r.wanted).unwrap_or(i32::MAX))
    .bind(r.requested_at_us)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let stored = request_row(&row)?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(stored)
}

pub(crate) async fn close(store: &PostgresStore, incident: IncidentId, at_us: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE observer_requests SET closed_at_us = $1 WHERE incident = $2 AND closed_at_us IS NULL")
        .bind(at_us)
        .bind(incident.0)
        .execute(&store.pool)
        .await
        .map(|_| ())
        .map_err(|e| from_sqlx(e, &format!("closing the observer request of incident {incident}")))
}

pub(crate) async fn open(store: &PostgresStore) -> Result<Vec<ObserverRequest>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM observer_requests WHERE closed_at_us IS NULL \
         ORDER BY requested_at_us, incident"
    ))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "reading open observer requests"))?;
    rows.iter().map(request_row).collect()
}

pub(crate) async fn get(store: &PostgresStore, incident: IncidentId) -> Result<Option<ObserverRequest>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM observer_requests WHERE incident = $1"
    ))
    .bind(incident.0)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the observer request of incident {incident}")))?;
    row.as_ref().map(request_row).transpose()
}

pub(crate) async fn lapse(
    store: &PostgresStore,
    incident: IncidentId,
    observer: AccountId,
    at_us: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE observer_dispatches SET lapsed_at_us = $1 \
         WHERE incident = $2 AND observer = $3 AND done_at_us IS NULL AND lapsed_at_us IS NULL",
    )
    .bind(at_us)
    .bind(incident.0)
    .bind(observer.0)
    .execute(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("marking observer {observer} lapsed at incident {incident}")))?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn add(
    store: &PostgresStore,
    d: &ObserverDispatch,
    audit: &ResponderAction,
) -> Result<(), StoreError> {
    let what = || format!("sending observer {} to incident {}", d.observer, d.incident);
    let mut tx = begin(store).await?;
    sqlx::query(concat!(
        "INSERT INTO observer_dispatches (",
        dispatch_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(d.incident.0)
    .bind(d.observer.0)
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
    store: &PostgresStore,
    incident: IncidentId,
    observer: AccountId,
    mark: ObserverMark,
    at_us: i64,
    audit: &ResponderAction,
) -> Result<ObserverDispatch, StoreError> {
    let what = || format!("marking observer {observer} at incident {incident}");
    let mut tx = begin(store).await?;
    // Only a move forward: arrived once, done once, nothing after done.
    let statement = match mark {
        ObserverMark::Arrived => concat!(
            "UPDATE observer_dispatches SET arrived_at_us = $1 WHERE arrived_at_us IS NULL AND done_at_us IS NULL AND lapsed_at_us IS NULL \
             AND incident = $2 AND observer = $3 RETURNING ",
            dispatch_columns!()
        ),
        ObserverMark::Done => concat!(
            "UPDATE observer_dispatches SET done_at_us = $1 WHERE done_at_us IS NULL AND lapsed_at_us IS NULL \
             AND incident = $2 AND observer = $3 RETURNING ",
            dispatch_columns!()
        ),
    };
    let row = sqlx::query(statement)
        .bind(at_us)
        .bind(incident.0)
        .bind(observer.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    let Some(row) = row else {
        let sent: Option<i64> =
            sqlx::query_scalar("SELECT 1::BIGINT FROM observer_dispatches WHERE incident = $1 AND observer = $2")
                .bind(incident.0)
                .bind(observer.0)
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

pub(crate) async fn of(store: &PostgresStore, incident: IncidentId) -> Result<Vec<ObserverDispatch>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        dispatch_columns!(),
        " FROM observer_dispatches WHERE incident = $1 ORDER BY accepted_at_us, observer"
    ))
    .bind(incident.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the observers of incident {incident}")))?;
    rows.iter().map(dispatch_row).collect()
}

pub(crate) async fn log(store: &PostgresStore, audit: &ResponderAction) -> Result<(), StoreError> {
    let mut tx = begin(store).await?;
    log_action(&mut tx, audit).await?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, "writing the responders' audit log"))
}

fn request_row(row: &PgRow) -> Result<ObserverRequest, StoreError> {
    let get = |e| from_sqlx(e, "reading an observer request");
    let wanted: i32 = row.try_get("wanted").map_err(get)?;
    Ok(ObserverRequest {
        incident: IncidentId(row.try_get::<Uuid, _>("incident").map_err(get)?),
        requested_by: AccountId(row.try_get::<Uuid, _>("requested_by").map_err(get)?),
        wanted: u32::try_from(wanted).map_err(|_| StoreError::Backend(format!("observers wanted: {wanted}")))?,
        requested_at_us: row.try_get("requested_at_us").map_err(get)?,
        closed_at_us: row.try_get("closed_at_us").map_err(get)?,
    })
}

fn dispatch_row(row: &PgRow) -> Result<ObserverDispatch, StoreError> {
    let get = |e| from_sqlx(e, "reading an observer");
    Ok(ObserverDispatch {
        incident: IncidentId(row.try_get::<Uuid, _>("incident").map_err(get)?),
        observer: AccountId(row.try_get::<Uuid, _>("observer").map_err(get)?),
        display_name: row.try_get("display_name").map_err(get)?,
        accepted_at_us: row.try_get("accepted_at_us").map_err(get)?,
        arrived_at_us: row.try_get("arrived_at_us").map_err(get)?,
        done_at_us: row.try_get("done_at_us").map_err(get)?,
        lapsed_at_us: row.try_get("lapsed_at_us").map_err(get)?,
    })
}
