//! Report photos' rows (issue 6). The photo cap is checked after locking the report's row
//! (`FOR UPDATE`), so two uploads to one report at once are ordered and cannot both take the
//! last place.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use crate::rapid::log_action;
use amparo_core::ids::{IncidentId, PhotoId, ReportId};
use amparo_store::{ReportPhoto, ResponderAction, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;

macro_rules! photo_columns {
    () => {
        "id, report, width, height, size_bytes, created_at_us, shareable"
    };
}
pub(crate) use photo_columns;

pub(crate) async fn add(store: &PostgresStore, p: &ReportPhoto, max_per_report: usize) -> Result<(), StoreError> {
    let what = || format!("adding photo {} to report {}", p.id, p.report);
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    let found: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM reports WHERE id = $1 FOR UPDATE")
        .bind(p.report.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("report {}", p.report)));
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM report_photos WHERE report = $1")
        .bind(p.report.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max_per_report {
        return Err(StoreError::Conflict(format!(
            "this report already has {max_per_report} photos, the most a report may have"
        )));
    }
    sqlx::query(concat!(
        "INSERT INTO report_photos (",
        photo_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(p.id.0)
    .bind(p.report.0)
    .bind(i32::try_from(p.width).unwrap_or(i32::MAX))
    .bind(i32::try_from(p.height).unwrap_or(i32::MAX))
    .bind(i64::try_from(p.size_bytes).unwrap_or(i64::MAX))
    .bind(p.created_at_us)
    .bind(p.shareable)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn get(store: &PostgresStore, id: PhotoId) -> Result<Option<ReportPhoto>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        photo_columns!(),
        " FROM report_photos WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading photo {id}")))?;
    row.as_ref().map(photo).transpose()
}

pub(crate) async fn of_report(store: &PostgresStore, report: ReportId) -> Result<Vec<ReportPhoto>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        photo_columns!(),
        " FROM report_photos WHERE report = $1 ORDER BY created_at_us, id"
    ))
    .bind(report.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the photos of report {report}")))?;
    rows.iter().map(photo).collect()
}

pub(crate) async fn of_incident(store: &PostgresStore, incident: IncidentId) -> Result<Vec<ReportPhoto>, StoreError> {
    let rows = sqlx::query(
        "SELECT p.id, p.report, p.width, p.height, p.size_bytes, p.created_at_us, p.shareable \
         FROM report_photos p JOIN reports r ON r.id = p.report \
         WHERE r.incident = $1 ORDER BY p.created_at_us, p.id",
    )
    .bind(incident.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the photos of incident {incident}")))?;
    rows.iter().map(photo).collect()
}

pub(crate) async fn set_shareable(
    store: &PostgresStore,
    id: PhotoId,
    shareable: bool,
    audit: &ResponderAction,
) -> Result<ReportPhoto, StoreError> {
    let what = || format!("sharing photo {id}");
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    let row = sqlx::query(concat!(
        "UPDATE report_photos SET shareable = $1 WHERE id = $2 RETURNING ",
        photo_columns!()
    ))
    .bind(shareable)
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let stored = row
        .as_ref()
        .map(photo)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("photo {id}")))?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(stored)
}

pub(crate) fn photo(row: &PgRow) -> Result<ReportPhoto, StoreError> {
    let get = |e| from_sqlx(e, "reading a report photo");
    let bad = |name: &str| StoreError::Backend(format!("corrupt row: a photo's {name} is out of range"));
    let width: i32 = row.try_get("width").map_err(get)?;
    let height: i32 = row.try_get("height").map_err(get)?;
    let size: i64 = row.try_get("size_bytes").map_err(get)?;
    Ok(ReportPhoto {
        id: PhotoId(row.try_get("id").map_err(get)?),
        report: ReportId(row.try_get("report").map_err(get)?),
        width: u32::try_from(width).map_err(|_| bad("width"))?,
        height: u32::try_from(height).map_err(|_| bad("height"))?,
        size_bytes: u64::try_from(size).map_err(|_| bad("size"))?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        shareable: row.try_get("shareable").map_err(get)?,
    })
}
