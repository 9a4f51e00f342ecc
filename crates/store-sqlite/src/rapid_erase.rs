//! What a reporter deletes, and what the purge removes (issue 6). Each deletion is one
//! `BEGIN IMMEDIATE` transaction that returns the photos whose rows it removed, so the server
//! removes their bytes from object storage after the commit (a crash between the two leaves a
//! blob without a row, which the orphan sweep removes).
//!
//! A report verified or merged into an incident leaves the incident as the responders verified
//! it: the incident row is theirs and holds none of the reporter's; only the report (the
//! reporter's link to it), its questions and its photos go.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use crate::rapid_photos::{photo, photo_columns};
use amparo_core::ids::{AccountId, PhotoId, ReportId};
use amparo_store::{ReportPhoto, StoreError};
use sqlx::SqliteConnection;

/// Whose report this is, if it exists.
async fn reporter_of(
    conn: &mut SqliteConnection,
    report: ReportId,
    what: &str,
) -> Result<Option<AccountId>, StoreError> {
    let found: Option<Vec<u8>> = sqlx::query_scalar("SELECT reporter FROM reports WHERE id = ?")
        .bind(report.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, what))?;
    found
        .map(|bytes| uuid(&bytes, "report reporter").map(AccountId))
        .transpose()
}

pub(crate) async fn delete_report(
    store: &SqliteStore,
    report: ReportId,
    reporter: AccountId,
) -> Result<Vec<ReportPhoto>, StoreError> {
    let what = format!("deleting report {report}");
    let mut tx = store.write().await?;
    if reporter_of(&mut tx, report, &what).await? != Some(reporter) {
        return Err(StoreError::NotFound(format!("report {report} of account {reporter}")));
    }
    let rows = sqlx::query(concat!(
        "DELETE FROM report_photos WHERE report = ? RETURNING ",
        photo_columns!()
    ))
    .bind(report.as_bytes().as_slice())
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what))?;
    let photos = rows.iter().map(photo).collect::<Result<Vec<_>, _>>()?;
    for statement in [
        "DELETE FROM report_questions WHERE report = ?",
        "DELETE FROM reports WHERE id = ?",
    ] {
        sqlx::query(statement)
            .bind(report.as_bytes().as_slice())
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what))?;
    }
    tx.commit().await.map_err(|e| from_sqlx(e, &what))?;
    Ok(photos)
}

pub(crate) async fn delete_photo(
    store: &SqliteStore,
    id: PhotoId,
    reporter: AccountId,
) -> Result<ReportPhoto, StoreError> {
    let what = format!("deleting photo {id}");
    let mut tx = store.write().await?;
    let row = sqlx::query(concat!(
        "DELETE FROM report_photos WHERE id = ? \
         AND report IN (SELECT id FROM reports WHERE reporter = ?) RETURNING ",
        photo_columns!()
    ))
    .bind(id.as_bytes().as_slice())
    .bind(reporter.as_bytes().as_slice())
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what))?;
    let Some(row) = row else {
        return Err(StoreError::NotFound(format!("photo {id} of account {reporter}")));
    };
    let removed = photo(&row)?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what))?;
    Ok(removed)
}

pub(crate) async fn purge_photos(
    store: &SqliteStore,
    decided_before_us: i64,
    limit: u32,
) -> Result<Vec<ReportPhoto>, StoreError> {
    let what = "purging the photos of rejected and expired reports";
    let mut tx = store.write().await?;
    let rows = sqlx::query(concat!(
        "DELETE FROM report_photos WHERE id IN (SELECT p.id FROM report_photos p JOIN reports r ON r.id = p.report \
         WHERE r.state IN ('rejected', 'expired') AND r.decided_at_us <= ? LIMIT ?) RETURNING ",
        photo_columns!()
    ))
    .bind(decided_before_us)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, what))?;
    let photos = rows.iter().map(photo).collect::<Result<Vec<_>, _>>()?;
    tx.commit().await.map_err(|e| from_sqlx(e, what))?;
    Ok(photos)
}
