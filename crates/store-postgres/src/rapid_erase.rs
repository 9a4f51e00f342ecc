//! What a reporter deletes, and what the purge removes (issue 6). Each deletion is one
//! transaction that returns the photos whose rows it removed, so the server removes their bytes
//! from object storage after the commit (a crash between the two leaves a blob without a row,
//! which the orphan sweep removes). Deleting a report locks its row first (`FOR UPDATE`), so a
//! photo being added to it at the same moment either lands before (and goes with it) or finds
//! no report.
//!
//! A report verified or merged into an incident leaves the incident as the responders verified
//! it: the incident row is theirs and holds none of the reporter's; only the report (the
//! reporter's link to it), its questions and its photos go.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use crate::rapid_photos::{photo, photo_columns};
use amparo_core::ids::{AccountId, PhotoId, ReportId};
use amparo_store::{ReportPhoto, StoreError};
use uuid::Uuid;

async fn begin(store: &PostgresStore) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))
}

pub(crate) async fn delete_report(
    store: &PostgresStore,
    report: ReportId,
    reporter: AccountId,
) -> Result<Vec<ReportPhoto>, StoreError> {
    let what = format!("deleting report {report}");
    let mut tx = begin(store).await?;
    let owner: Option<Uuid> = sqlx::query_scalar("SELECT reporter FROM reports WHERE id = $1 FOR UPDATE")
        .bind(report.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    if owner != Some(reporter.0) {
        return Err(StoreError::NotFound(format!("report {report} of account {reporter}")));
    }
    let rows = sqlx::query(concat!(
        "DELETE FROM report_photos WHERE report = $1 RETURNING ",
        photo_columns!()
    ))
    .bind(report.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what))?;
    let photos = rows.iter().map(photo).collect::<Result<Vec<_>, _>>()?;
    for statement in [
        "DELETE FROM report_questions WHERE report = $1",
        "DELETE FROM reports WHERE id = $1",
    ] {
        sqlx::query(statement)
            .bind(report.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what))?;
    }
    tx.commit().await.map_err(|e| from_sqlx(e, &what))?;
    Ok(photos)
}

pub(crate) async fn delete_photo(
    store: &PostgresStore,
    id: PhotoId,
    reporter: AccountId,
) -> Result<ReportPhoto, StoreError> {
    let what = format!("deleting photo {id}");
    let row = sqlx::query(concat!(
        "DELETE FROM report_photos WHERE id = $1 \
         AND report IN (SELECT id FROM reports WHERE reporter = $2) RETURNING ",
        photo_columns!()
    ))
    .bind(id.0)
    .bind(reporter.0)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &what))?;
    match row {
        Some(row) => photo(&row),
        None => Err(StoreError::NotFound(format!("photo {id} of account {reporter}"))),
    }
}

pub(crate) async fn purge_photos(
    store: &PostgresStore,
    decided_before_us: i64,
    limit: u32,
) -> Result<Vec<ReportPhoto>, StoreError> {
    let rows = sqlx::query(concat!(
        "DELETE FROM report_photos WHERE id IN (SELECT p.id FROM report_photos p JOIN reports r ON r.id = p.report \
         WHERE r.state IN ('rejected', 'expired') AND r.decided_at_us <= $1 LIMIT $2) RETURNING ",
        photo_columns!()
    ))
    .bind(decided_before_us)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "purging the photos of rejected and expired reports"))?;
    rows.iter().map(photo).collect()
}
