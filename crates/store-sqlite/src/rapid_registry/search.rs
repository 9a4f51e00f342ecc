//! Plate search: the reads an [`IndexQuery`] names, each bounded, on the folded-key index and the
//! trigram table (see `amparo_core::plate::index`).

use super::vehicle_row;
use crate::SqliteStore;
use crate::convert::from_sqlx;
use amparo_core::plate::{IndexQuery, Near, Seek};
use amparo_store::rapid::each_once;
use amparo_store::{StoreError, Vehicle};
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;

const WHAT: &str = "searching the vehicle registry";

/// Matches as typed (at most `limit`, most recently confirmed first), the misheard candidates,
/// and the plate typed whole; each vehicle once.
pub(crate) async fn candidates(
    store: &SqliteStore,
    query: &IndexQuery,
    limit: u32,
) -> Result<Vec<Vehicle>, StoreError> {
    let mut conn = store.read().await?;
    let mut rows = match (&query.seek, &query.near) {
        (Seek::Grams(grams), Some(near)) if *grams == near.grams => {
            as_typed_and_near(&mut conn, query, near, limit).await?
        }
        (_, near) => {
            let mut rows = as_typed(&mut conn, query, limit).await?;
            if let Some(near) = near {
                rows.extend(misheard(&mut conn, near).await?);
            }
            rows
        }
    };
    if let Some(whole) = &query.whole {
        rows.extend(
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE folded = ?"
            ))
            .bind(whole)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, WHAT))?,
        );
    }
    let vehicles = rows.iter().map(vehicle_row).collect::<Result<Vec<_>, _>>()?;
    Ok(each_once(vehicles))
}

/// The plates sharing the most grams, counted in the gram index alone: only the `near.limit`
/// best are read from the vehicles table.
async fn misheard(conn: &mut SqliteConnection, near: &Near) -> Result<Vec<SqliteRow>, StoreError> {
    sqlx::query(concat!(
        "SELECT ",
        vehicle_columns!(),
        " FROM vehicles WHERE id IN (SELECT vehicle FROM vehicle_grams \
           WHERE gram IN (SELECT value FROM json_each(?)) GROUP BY vehicle HAVING count(*) >= ? \
           ORDER BY count(*) DESC, vehicle LIMIT ?)"
    ))
    .bind(json_list(&near.grams))
    .bind(i64::from(near.min_shared))
    .bind(i64::from(near.limit))
    .fetch_all(conn)
    .await
    .map_err(|e| from_sqlx(e, WHAT))
}

/// Both tiers when they name the same grams: the postings are read and counted once, then the
/// plates having all of them are checked against the glob, and the best sharers kept as near.
async fn as_typed_and_near(
    conn: &mut SqliteConnection,
    query: &IndexQuery,
    near: &Near,
    limit: u32,
) -> Result<Vec<SqliteRow>, StoreError> {
    sqlx::query(concat!(
        "WITH hits AS MATERIALIZED (SELECT vehicle, count(*) AS shared FROM vehicle_grams \
           WHERE gram IN (SELECT value FROM json_each(?1)) GROUP BY vehicle) \
         SELECT * FROM (SELECT ",
        vehicle_columns!(),
        " FROM vehicles WHERE id IN (SELECT vehicle FROM hits WHERE shared = ?2) AND folded GLOB ?3 \
           ORDER BY last_confirmed_at_us DESC, id LIMIT ?4) \
         UNION ALL SELECT * FROM (SELECT ",
        vehicle_columns!(),
        " FROM vehicles WHERE id IN (SELECT vehicle FROM hits WHERE shared >= ?5 \
           ORDER BY shared DESC, vehicle LIMIT ?6))"
    ))
    .bind(json_list(&near.grams))
    .bind(i64::try_from(near.grams.len()).unwrap_or(i64::MAX))
    .bind(&query.glob)
    .bind(i64::from(limit))
    .bind(i64::from(near.min_shared))
    .bind(i64::from(near.limit))
    .fetch_all(conn)
    .await
    .map_err(|e| from_sqlx(e, WHAT))
}

/// The vehicles whose folded key matches the query's glob, found through the seek.
async fn as_typed(conn: &mut SqliteConnection, query: &IndexQuery, limit: u32) -> Result<Vec<SqliteRow>, StoreError> {
    let limit = i64::from(limit);
    match &query.seek {
        Seek::Prefix(prefix) => {
            let (low, high) = Seek::range(prefix);
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE folded >= ? AND folded < ? AND folded GLOB ? \
                 ORDER BY last_confirmed_at_us DESC, id LIMIT ?"
            ))
            .bind(low)
            .bind(high)
            .bind(&query.glob)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
        Seek::Grams(grams) => {
            // The plates having every gram: counted in the gram index, so only those are read
            // from the vehicles table and checked against the glob.
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE id IN (SELECT vehicle FROM vehicle_grams \
                   WHERE gram IN (SELECT value FROM json_each(?)) GROUP BY vehicle HAVING count(*) = ?) \
                 AND folded GLOB ? ORDER BY last_confirmed_at_us DESC, id LIMIT ?"
            ))
            .bind(json_list(grams))
            .bind(i64::try_from(grams.len()).unwrap_or(i64::MAX))
            .bind(&query.glob)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
    }
    .map_err(|e| from_sqlx(e, WHAT))
}

/// Grams as a JSON list for `json_each`. Grams are folded plate characters (`[0-9A-Z]`), which
/// need no escaping.
pub(super) fn json_list(grams: &[String]) -> String {
    let quoted: Vec<String> = grams.iter().map(|g| format!("\"{g}\"")).collect();
    format!("[{}]", quoted.join(","))
}
