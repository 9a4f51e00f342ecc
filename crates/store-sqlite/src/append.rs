//! `append_batch`, the hot path: the server's group-commit sequencer calls it once per batch, and
//! a chunk's receipt waits for it. One `BEGIN IMMEDIATE` transaction, a handful of multi-row
//! statements, one fsync at commit.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::RecordingId;
use amparo_store::batch::{self, BatchPlan, UploadMove, UploadState};
use amparo_store::convert::to_i64;
use amparo_store::{AppendBatch, StoreError};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;

/// Rows per statement. Statements take pieces whose sizes are powers of two up to this, so a
/// dozen statement shapes serve every batch size and all stay prepared in the statement cache;
/// and 512 rows of the widest table (7 columns) bind 3,584 parameters, far below SQLite's 32,766.
const MAX_ROWS: usize = 512;

pub(crate) async fn append_batch(store: &SqliteStore, batch: &AppendBatch) -> Result<(), StoreError> {
    let plan = batch::plan(batch)?;
    let first = plan.first;
    let hashes = batch
        .hashes
        .iter()
        .map(|s| {
            Ok((
                i64::from(s.addr.level),
                to_i64(s.addr.index, "stored hash index")?,
                &s.hash.0,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    let what = "appending to the log";
    let mut tx = store.write().await?;
    let size: i64 = sqlx::query_scalar("SELECT coalesce(max(leaf_index) + 1, 0) FROM log_entries")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, what))?;
    if size != first {
        return Err(StoreError::Conflict(format!(
            "the batch starts at log index {first} but the log has {size} entries"
        )));
    }
    // Uploads first: an upload the batch does not fit (a stale offset, most likely) is found
    // before any insert.
    // Returning early drops `tx`, which rolls back.
    if move_uploads(&mut tx, &plan.moves).await? != plan.moves.len() as u64 {
        tx.rollback().await.map_err(|e| from_sqlx(e, what))?;
        return Err(refusal(store, &plan).await);
    }
    insert(
        &mut tx,
        "INSERT INTO log_entries (leaf_index, leaf) ",
        &batch.entries,
        |mut row, e| {
            // In range: below the plan's `end`.
            row.push_bind(i64::try_from(e.chunk.leaf_index).unwrap_or(i64::MAX))
                .push_bind(e.leaf.as_slice());
        },
    )
    .await?;
    let chunks_sql = "INSERT INTO chunks (recording, byte_offset, length, sha256, chain, received_at_us, leaf_index) ";
    insert(&mut tx, chunks_sql, &batch.entries, |mut row, e| {
        let c = &e.chunk;
        // In range: the plan checked every chunk's end, and its `end` bounds the leaf index.
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        row.push_bind(c.recording.as_bytes().as_slice())
            .push_bind(as_i64(c.offset))
            .push_bind(as_i64(c.length))
            .push_bind(c.sha256.as_slice())
            .push_bind(c.chain.as_slice())
            .push_bind(c.received_at_us)
            .push_bind(as_i64(c.leaf_index));
    })
    .await?;
    insert(
        &mut tx,
        "INSERT INTO stored_hashes (level, idx, hash) ",
        &hashes,
        |mut row, (level, idx, hash)| {
            row.push_bind(*level).push_bind(*idx).push_bind(hash.as_slice());
        },
    )
    .await?;
    tx.commit().await.map_err(|e| from_sqlx(e, what))
}

/// Moves every upload of the batch from its first chunk's offset to its last chunk's end, and
/// returns how many moved. The `WHERE` is [`UploadMove::refusal`]'s condition: it skips an upload
/// the batch is stale for, that was terminated, or whose declared length the move would pass, so
/// such a batch moves fewer uploads than it names.
async fn move_uploads(conn: &mut SqliteConnection, moves: &[UploadMove<'_>]) -> Result<u64, StoreError> {
    let mut moved = 0;
    for piece in pieces(moves) {
        let mut query =
            QueryBuilder::<Sqlite>::new("WITH moves (id, from_offset, to_offset, chain, expires_at_us) AS (");
        query.push_values(piece, |mut row, m| {
            row.push_bind(m.recording.as_bytes().as_slice())
                .push_bind(m.from)
                .push_bind(m.to)
                .push_bind(m.chain.as_slice())
                .push_bind(m.expires_at_us);
        });
        query.push(
            ") UPDATE uploads SET received = moves.to_offset, chain = moves.chain, \
             expires_at_us = moves.expires_at_us FROM moves \
             WHERE uploads.id = moves.id AND uploads.received = moves.from_offset \
             AND uploads.terminated_at_us IS NULL \
             AND (uploads.length IS NULL OR moves.to_offset <= uploads.length)",
        );
        let done = query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "moving upload offsets"))?;
        moved += done.rows_affected();
    }
    Ok(moved)
}

/// Why a batch (already rolled back) did not fit its uploads: one is unknown, at another offset,
/// terminated, or too short for it. Only the refusal path pays for this.
async fn refusal(store: &SqliteStore, plan: &BatchPlan<'_>) -> StoreError {
    match stored_uploads(store, &plan.moves).await {
        Ok(stored) => plan.refusal(&stored),
        Err(error) => error,
    }
}

/// An upload's `id, received, length, terminated_at_us`.
type UploadRow = (Vec<u8>, i64, Option<i64>, Option<i64>);

/// The uploads the moves name, as they are now (read on the writer, so nothing is stale).
async fn stored_uploads(
    store: &SqliteStore,
    moves: &[UploadMove<'_>],
) -> Result<HashMap<RecordingId, UploadState>, StoreError> {
    let mut conn = store.write_conn().await?;
    let mut stored = HashMap::with_capacity(moves.len());
    for piece in pieces(moves) {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT id, received, length, terminated_at_us FROM uploads WHERE id IN (");
        let mut ids = query.separated(", ");
        for m in piece {
            ids.push_bind(m.recording.as_bytes().as_slice());
        }
        query.push(")");
        let rows: Vec<UploadRow> = query
            .build_query_as()
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "reading upload offsets"))?;
        for (id, offset, length, terminated_at_us) in rows {
            let state = UploadState {
                offset,
                length,
                terminated_at_us,
            };
            stored.insert(RecordingId(uuid(&id, "upload id")?), state);
        }
    }
    Ok(stored)
}

/// Inserts `rows` with multi-row `INSERT`s: `head` names the table and columns, `bind` binds one
/// row's values.
async fn insert<T>(
    conn: &mut SqliteConnection,
    head: &str,
    rows: &[T],
    mut bind: impl FnMut(Separated<'_, Sqlite, &'static str>, &T),
) -> Result<(), StoreError> {
    for piece in pieces(rows) {
        let mut query = QueryBuilder::<Sqlite>::new(head);
        query.push_values(piece, &mut bind);
        query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "appending to the log"))?;
    }
    Ok(())
}

/// `rows` in pieces of a power of two, at most [`MAX_ROWS`], largest first.
fn pieces<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let n = rows.len().min(MAX_ROWS);
        if n == 0 {
            return None;
        }
        let (piece, rest) = rows.split_at(1 << n.ilog2());
        rows = rest;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_powers_of_two_covering_every_row() {
        for n in [0usize, 1, 2, 3, 255, 256, 257, 511, 512, 513, 1500] {
            let rows: Vec<usize> = (0..n).collect();
            let sizes: Vec<usize> = pieces(&rows).map(<[usize]>::len).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n, "{n} rows");
            assert!(
                sizes.iter().all(|s| s.is_power_of_two() && *s <= MAX_ROWS),
                "{n}: {sizes:?}"
            );
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{n}: largest first");
        }
    }
}
