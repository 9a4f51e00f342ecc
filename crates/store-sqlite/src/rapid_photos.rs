//! Report photos' rows (issue 6). The photo cap is checked by the inserting transaction, which
//! holds SQLite's single write lock (`BEGIN IMMEDIATE`), so two uploads cannot both take the
//! last place.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use crate::rapid::log_action;
use amparo_core::ids::{IncidentId, PhotoId, ReportId};
use amparo_store::{ReportPhoto, ResponderAction, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

macro_rules! photo_columns {
    () => {
        "id, report, width, height, size_bytes, created_at_us, shareable"
    };
}
pub(crate) use photo_columns;

pub(crate) async fn add(store: &SqliteStore, p: &ReportPhoto, max_per_report: usize) -> Result<(), StoreError> {
    let what = || format!("adding photo {} to report {}", p.id, p.report);
    let mut tx = store.write().await?;
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM reports WHERE id = ?")
        .bind(p.report.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("report {}", p.report)));
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM report_photos WHERE report = ?")
        .bind(p.report.as_bytes().as_slice())
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
        ") VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(p.id.as_bytes().as_slice())
    .bind(p.report.as_bytes().as_slice())
    .bind(i64::from(p.width))
    .bind(i64::from(p.height))
    .bind(i64::try_from(p.size_bytes).unwrap_or(i64::MAX))
    .bind(p.created_at_us)
    .bind(p.shareable)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn get(store: &SqliteStore, id: PhotoId) -> Result<Option<ReportPhoto>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!("SELECT ", photo_columns!(), " FROM report_photos WHERE id = ?"))
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading photo {id}")))?;
    row.as_ref().map(photo).transpose()
}

pub(crate) async fn of_report(store: &SqliteStore, report: ReportId) -> Result<Vec<ReportPhoto>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        photo_columns!(),
        " FROM report_photos WHERE report = ? ORDER BY created_at_us, id"
    ))
    .bind(report.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the photos of report {report}")))?;
    rows.iter().map(photo).collect()
}

pub(crate) async fn of_incident(store: &SqliteStore, incident: IncidentId) -> Result<Vec<ReportPhoto>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT p.id, p.report, p.width, p.height, p.size_bytes, p.created_at_us, p.shareable \
         FROM report_photos p JOIN reports r ON r.id = p.report \
         WHERE r.incident = ? ORDER BY p.created_at_us, p.id",
    )
    .bind(incident.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the photos of incident {incident}")))?;
    rows.iter().map(photo).collect()
}

pub(crate) async fn set_shareable(
    store: &SqliteStore,
    id: PhotoId,
    shareable: bool,
    audit: &ResponderAction,
) -> Result<ReportPhoto, StoreError> {
    let what = || format!("sharing photo {id}");
    let mut tx = store.write().await?;
    let done = sqlx::query("UPDATE report_photos SET shareable = ? WHERE id = ?")
        .bind(shareable)
        .bind(id.as_bytes().as_slice())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("photo {id}")));
    }
    let row = sqlx::query(concat!("SELECT ", photo_columns!(), " FROM report_photos WHERE id = ?"))
        .bind(id.as_bytes().as_slice())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    let stored = photo(&row)?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(stored)
}

pub(crate) fn photo(row: &SqliteRow) -> Result<ReportPhoto, StoreError> {
    let get = |e| from_sqlx(e, "reading a report photo");
    let id: Vec<u8> = row.try_get("id").map_err(get)?;
    let report: Vec<u8> = row.try_get("report").map_err(get)?;
    let number = |name: &str| -> Result<i64, StoreError> { row.try_get(name).map_err(get) };
    let bad = |name: &str| StoreError::Backend(format!("corrupt row: a photo's {name} is out of range"));
    Ok(ReportPhoto {
        id: PhotoId(uuid(&id, "photo id")?),
        report: ReportId(uuid(&report, "photo report")?),
        width: u32::try_from(number("width")?).map_err(|_| bad("width"))?,
        height: u32::try_from(number("height")?).map_err(|_| bad("height"))?,
        size_bytes: u64::try_from(number("size_bytes")?).map_err(|_| bad("size"))?,
        created_at_us: number("created_at_us")?,
        shareable: row.try_get("shareable").map_err(get)?,
    })
}
