//! Plate search: the reads an [`IndexQuery`] names, each bounded, on the folded-key index and the
//! trigram table (see `amparo_core::plate::index`).

use super::vehicle_row;
use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::plate::{IndexQuery, Seek};
use amparo_store::rapid::each_once;
use amparo_store::{StoreError, Vehicle};
use sqlx::postgres::PgRow;

const WHAT: &str = "searching the vehicle registry";

/// Matches as typed (at most `limit`, most recently confirmed first), the plate typed whole,
/// then the misheard candidates; each vehicle once.
pub(crate) async fn candidates(
    store: &PostgresStore,
    query: &IndexQuery,
    limit: u32,
) -> Result<Vec<Vehicle>, StoreError> {
    let mut rows = as_typed(store, query, limit).await?;
    if let Some(whole) = &query.whole {
        rows.extend(
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE folded = $1"
            ))
            .bind(whole)
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, WHAT))?,
        );
    }
    if let Some(near) = &query.near {
        // The plates sharing the most grams, counted in the gram index alone: only the
        // `near.limit` best are read from the vehicles table.
        rows.extend(
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE id IN (SELECT vehicle FROM vehicle_grams WHERE gram = ANY($1) \
                   GROUP BY vehicle HAVING count(*) >= $2 ORDER BY count(*) DESC, vehicle LIMIT $3)"
            ))
            .bind(&near.grams)
            .bind(i64::from(near.min_shared))
            .bind(i64::from(near.limit))
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, WHAT))?,
        );
    }
    let vehicles = rows.iter().map(vehicle_row).collect::<Result<Vec<_>, _>>()?;
    Ok(each_once(vehicles))
}

/// The vehicles whose folded key matches the query's pattern, found through the seek.
async fn as_typed(store: &PostgresStore, query: &IndexQuery, limit: u32) -> Result<Vec<PgRow>, StoreError> {
    let limit = i64::from(limit);
    match &query.seek {
        Seek::Prefix(prefix) => {
            // `folded` is compared byte by byte (C collation), so the range is the prefix.
            let (low, high) = Seek::range(prefix);
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE folded >= $1 AND folded < $2 AND folded LIKE $3 \
                 ORDER BY last_confirmed_at_us DESC, id LIMIT $4"
            ))
            .bind(low)
            .bind(high)
            .bind(query.like())
            .bind(limit)
            .fetch_all(&store.pool)
            .await
        }
        Seek::Grams(grams) => {
            // The plates having every gram: counted in the gram index, so only those are read
            // from the vehicles table and checked against the pattern.
            sqlx::query(concat!(
                "SELECT ",
                vehicle_columns!(),
                " FROM vehicles WHERE id IN (SELECT vehicle FROM vehicle_grams WHERE gram = ANY($1) \
                   GROUP BY vehicle HAVING count(*) = $2) \
                 AND folded LIKE $3 ORDER BY last_confirmed_at_us DESC, id LIMIT $4"
            ))
            .bind(grams)
            .bind(i64::try_from(grams.len()).unwrap_or(i64::MAX))
            .bind(query.like())
            .bind(limit)
            .fetch_all(&store.pool)
            .await
        }
    }
    .map_err(|e| from_sqlx(e, WHAT))
}
