//! Reading the log back (its size, stored hashes, leaves) and its published checkpoints.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::Hash;
use amparo_core::merkle::NodeAddr;
use amparo_store::convert::{hash, range, to_i64, to_u64};
use amparo_store::{StoreError, StoredCheckpoint};
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::collections::HashMap;

pub(crate) async fn size(store: &PostgresStore) -> Result<u64, StoreError> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM log_size")
        .fetch_one(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading the log size"))?;
    to_u64(size, "log size")
}

pub(crate) async fn read_hashes(store: &PostgresStore, addrs: &[NodeAddr]) -> Result<Vec<Hash>, StoreError> {
    if addrs.is_empty() {
        return Ok(Vec::new());
    }
    let missing = |a: &NodeAddr| StoreError::NotFound(format!("stored hash at level {}, index {}", a.level, a.index));
    // Each distinct address is asked for once (tile readers repeat some).
    let mut wanted = Vec::with_capacity(addrs.len());
    for a in addrs {
        // An index past i64::MAX cannot be in a table of BIGINT keys.
        let index = i64::try_from(a.index).map_err(|_| missing(a))?;
        wanted.push((i16::from(a.level), index));
    }
    wanted.sort_unstable();
    wanted.dedup();
    let (levels, indexes): (Vec<i16>, Vec<i64>) = wanted.into_iter().unzip();
    let rows: Vec<(i16, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT h.level, h.idx, h.hash FROM UNNEST($1::smallint[], $2::bigint[]) AS w (level, idx) \
         JOIN stored_hashes h ON h.level = w.level AND h.idx = w.idx",
    )
    .bind(&levels)
    .bind(&indexes)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "reading stored hashes"))?;
    let mut found = HashMap::with_capacity(rows.len());
    for (level, idx, bytes) in rows {
        found.insert((level, idx), hash(&bytes)?);
    }
    addrs
        .iter()
        .map(|a| {
            let key = (i16::from(a.level), i64::try_from(a.index).unwrap_or(-1));
            found.get(&key).copied().ok_or_else(|| missing(a))
        })
        .collect()
}

pub(crate) async fn hashes_at_level(
    store: &PostgresStore,
    level: u8,
    start: u64,
    count: u64,
) -> Result<Vec<Hash>, StoreError> {
    let Some((start, end)) = range(start, count) else {
        return Ok(Vec::new());
    };
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM stored_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx")
            .bind(i16::from(level))
            .bind(start)
            .bind(end)
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, "reading stored hashes"))?;
    rows.iter().map(|h| hash(h)).collect()
}

pub(crate) async fn entries(store: &PostgresStore, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StoreError> {
    let Some((start, end)) = range(start, count) else {
        return Ok(Vec::new());
    };
    sqlx::query_scalar("SELECT leaf FROM log_entries WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index")
        .bind(start)
        .bind(end)
        .fetch_all(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading log entries"))
}

fn checkpoint(row: &PgRow) -> Result<StoredCheckpoint, StoreError> {
    let get = |e| from_sqlx(e, "reading a checkpoint");
    let root: Vec<u8> = row.try_get("root").map_err(get)?;
    Ok(StoredCheckpoint {
        size: to_u64(row.try_get("size").map_err(get)?, "checkpoint size")?,
        root: hash(&root)?,
        note: row.try_get("note").map_err(get)?,
        published_at_us: row.try_get("published_at_us").map_err(get)?,
    })
}

pub(crate) async fn save_checkpoint(store: &PostgresStore, c: &StoredCheckpoint) -> Result<(), StoreError> {
    let size = to_i64(c.size, "checkpoint size")?;
    let what = || format!("saving the checkpoint of size {}", c.size);
    let inserted = sqlx::query(
        "INSERT INTO checkpoints (size, root, note, published_at_us) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(size)
    .bind(c.root.0.as_slice())
    .bind(&c.note)
    .bind(c.published_at_us)
    .execute(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if inserted.rows_affected() == 1 {
        return Ok(());
    }
    // One exists for this size; checkpoints are never rewritten, so this is the one that stays.
    let root: Vec<u8> = sqlx::query_scalar("SELECT root FROM checkpoints WHERE size = $1")
        .bind(size)
        .fetch_one(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if hash(&root)? == c.root {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "a checkpoint of size {} with another root is already published",
            c.size
        )))
    }
}

pub(crate) async fn latest_checkpoint(store: &PostgresStore) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row = sqlx::query("SELECT size, root, note, published_at_us FROM checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading the latest checkpoint"))?;
    row.as_ref().map(checkpoint).transpose()
}

pub(crate) async fn first_checkpoint_covering(
    store: &PostgresStore,
    index: u64,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    // A tree contains index i when its size is above i; no stored size is above i64::MAX.
    let Ok(index) = i64::try_from(index) else {
        return Ok(None);
    };
    let row =
        sqlx::query("SELECT size, root, note, published_at_us FROM checkpoints WHERE size > $1 ORDER BY size LIMIT 1")
            .bind(index)
            .fetch_optional(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, "finding a checkpoint"))?;
    row.as_ref().map(checkpoint).transpose()
}
