//! Reading the log back (its size, stored hashes, leaves) and its published checkpoints.

use crate::SqliteStore;
use crate::convert::from_sqlx;
use amparo_core::Hash;
use amparo_core::merkle::NodeAddr;
use amparo_store::convert::{hash, range, to_i64, to_u64};
use amparo_store::{StoreError, StoredCheckpoint};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// Addresses per lookup statement: 2 parameters each, far below SQLite's limit of 32,766.
const ADDRESSES_PER_QUERY: usize = 1024;

pub(crate) async fn size(store: &SqliteStore) -> Result<u64, StoreError> {
    let mut conn = store.read().await?;
    // max() of the rowid is one b-tree descent; count(*) would read the whole table.
    let size: i64 = sqlx::query_scalar("SELECT coalesce(max(leaf_index) + 1, 0) FROM log_entries")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading the log size"))?;
    to_u64(size, "log size")
}

pub(crate) async fn read_hashes(store: &SqliteStore, addrs: &[NodeAddr]) -> Result<Vec<Hash>, StoreError> {
    let missing = |a: &NodeAddr| StoreError::NotFound(format!("stored hash at level {}, index {}", a.level, a.index));
    // Each distinct address is asked for once (tile readers repeat some).
    let mut wanted = Vec::with_capacity(addrs.len());
    for a in addrs {
        // An index past i64::MAX cannot be in a table of i64 keys.
        let index = i64::try_from(a.index).map_err(|_| missing(a))?;
        wanted.push((i64::from(a.level), index));
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    let mut conn = store.read().await?;
    for piece in wanted.chunks(ADDRESSES_PER_QUERY) {
        // CROSS JOIN keeps the address list as the outer loop: one primary-key lookup each.
        let mut query = QueryBuilder::<Sqlite>::new("WITH wanted (level, idx) AS (");
        query.push_values(piece, |mut row, (level, index)| {
            row.push_bind(*level).push_bind(*index);
        });
        query.push(
            ") SELECT h.level, h.idx, h.hash FROM wanted CROSS JOIN stored_hashes h \
             ON h.level = wanted.level AND h.idx = wanted.idx",
        );
        let rows = query
            .build()
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "reading stored hashes"))?;
        for row in rows {
            let get = |e| from_sqlx(e, "reading a stored hash");
            let key: (i64, i64) = (row.try_get(0).map_err(get)?, row.try_get(1).map_err(get)?);
            found.insert(key, hash(row.try_get(2).map_err(get)?)?);
        }
    }
    addrs
        .iter()
        .map(|a| {
            let key = (i64::from(a.level), i64::try_from(a.index).unwrap_or(-1));
            found.get(&key).copied().ok_or_else(|| missing(a))
        })
        .collect()
}

pub(crate) async fn hashes_at_level(
    store: &SqliteStore,
    level: u8,
    start: u64,
    count: u64,
) -> Result<Vec<Hash>, StoreError> {
    let Some((start, end)) = range(start, count) else {
        return Ok(Vec::new());
    };
    let mut conn = store.read().await?;
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM stored_hashes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx")
            .bind(i64::from(level))
            .bind(start)
            .bind(end)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "reading stored hashes"))?;
    rows.iter().map(|h| hash(h)).collect()
}

pub(crate) async fn entries(store: &SqliteStore, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StoreError> {
    let Some((start, end)) = range(start, count) else {
        return Ok(Vec::new());
    };
    let mut conn = store.read().await?;
    sqlx::query_scalar("SELECT leaf FROM log_entries WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index")
        .bind(start)
        .bind(end)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading log entries"))
}

fn checkpoint(row: &SqliteRow) -> Result<StoredCheckpoint, StoreError> {
    let get = |e| from_sqlx(e, "reading a checkpoint");
    Ok(StoredCheckpoint {
        size: to_u64(row.try_get("size").map_err(get)?, "checkpoint size")?,
        root: hash(row.try_get("root").map_err(get)?)?,
        note: row.try_get("note").map_err(get)?,
        published_at_us: row.try_get("published_at_us").map_err(get)?,
    })
}

pub(crate) async fn save_checkpoint(store: &SqliteStore, c: &StoredCheckpoint) -> Result<(), StoreError> {
    let size = to_i64(c.size, "checkpoint size")?;
    let what = || format!("saving the checkpoint of size {}", c.size);
    let mut conn = store.write_conn().await?;
    let inserted = sqlx::query(
        "INSERT INTO checkpoints (size, root, note, published_at_us) VALUES (?, ?, ?, ?) \
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(size)
    .bind(c.root.0.as_slice())
    .bind(&c.note)
    .bind(c.published_at_us)
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if inserted.rows_affected() == 1 {
        return Ok(());
    }
    // One exists for this size. Checkpoints are never rewritten, so reading it on the writer
    // right after is reading the one that stays.
    let root: Vec<u8> = sqlx::query_scalar("SELECT root FROM checkpoints WHERE size = ?")
        .bind(size)
        .fetch_one(&mut *conn)
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

pub(crate) async fn latest_checkpoint(store: &SqliteStore) -> Result<Option<StoredCheckpoint>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query("SELECT size, root, note, published_at_us FROM checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading the latest checkpoint"))?;
    row.as_ref().map(checkpoint).transpose()
}

pub(crate) async fn first_checkpoint_covering(
    store: &SqliteStore,
    index: u64,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    // A tree contains index i when its size is above i; no stored size is above i64::MAX.
    let Ok(index) = i64::try_from(index) else {
        return Ok(None);
    };
    let mut conn = store.read().await?;
    let row =
        sqlx::query("SELECT size, root, note, published_at_us FROM checkpoints WHERE size > ? ORDER BY size LIMIT 1")
            .bind(index)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "finding a checkpoint"))?;
    row.as_ref().map(checkpoint).transpose()
}
