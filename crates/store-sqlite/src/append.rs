//! `append_batch`, the hot path: the server's group-commit sequencer calls it once per batch, and
//! a chunk's receipt waits for it. One `BEGIN IMMEDIATE` transaction, a handful of multi-row
//! statements, one fsync at commit.

use crate::SqliteStore;
use crate::convert::{from_sqlx, to_i64};
use amparo_core::ids::RecordingId;
use amparo_store::{AppendBatch, StoreError};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;

/// Rows per statement. Statements take pieces whose sizes are powers of two up to this, so a
/// dozen statement shapes serve every batch size and all stay prepared in the statement cache;
/// and 512 rows of the widest table (7 columns) bind 3,584 parameters, far below SQLite's 32,766.
const MAX_ROWS: usize = 512;

/// What a batch does to one upload: where its first chunk must start, and the state its last
/// chunk leaves the upload in.
struct Move<'a> {
    id: &'a [u8],
    recording: RecordingId,
    from: i64,
    to: i64,
    chain: &'a [u8],
    expires_at_us: i64,
}

/// Checks that the batch agrees with itself (leaf indexes follow `first_index`; each upload's
/// chunks follow each other without a gap) and sums up what it does to each upload.
fn moves(batch: &AppendBatch) -> Result<Vec<Move<'_>>, StoreError> {
    let mut moves: Vec<Move<'_>> = Vec::new();
    let mut position: HashMap<RecordingId, usize> = HashMap::new();
    for (i, entry) in batch.entries.iter().enumerate() {
        let chunk = &entry.chunk;
        if batch.first_index.checked_add(i as u64) != Some(chunk.leaf_index) {
            return Err(StoreError::Conflict(format!(
                "entry {i} of a batch starting at log index {} says it is leaf {}",
                batch.first_index, chunk.leaf_index
            )));
        }
        let from = to_i64(chunk.offset, "chunk offset")?;
        // An overflow saturates to u64::MAX, which the conversion refuses.
        let to = to_i64(chunk.offset.saturating_add(chunk.length), "chunk end")?;
        match position.get(&chunk.recording) {
            Some(&k) => {
                let run = &mut moves[k];
                if from != run.to {
                    return Err(StoreError::Conflict(format!(
                        "recording {}: a chunk at offset {from} follows one ending at {} in the same batch",
                        chunk.recording, run.to
                    )));
                }
                run.to = to;
                run.chain = &chunk.chain;
                run.expires_at_us = entry.upload_expires_at_us;
            }
            None => {
                position.insert(chunk.recording, moves.len());
                moves.push(Move {
                    id: chunk.recording.as_bytes(),
                    recording: chunk.recording,
                    from,
                    to,
                    chain: &chunk.chain,
                    expires_at_us: entry.upload_expires_at_us,
                });
            }
        }
    }
    Ok(moves)
}

pub(crate) async fn append_batch(store: &SqliteStore, batch: &AppendBatch) -> Result<(), StoreError> {
    let moves = moves(batch)?;
    let first = to_i64(batch.first_index, "log index")?;
    // Leaf indexes are below first + len, checked once here (an overflow saturates to u64::MAX,
    // which the conversion refuses).
    let end = batch.first_index.saturating_add(batch.entries.len() as u64);
    to_i64(end, "log size")?;
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
    // Uploads first: a stale offset is the likeliest refusal, and is found before any insert.
    // Returning early drops `tx`, which rolls back.
    if move_uploads(&mut tx, &moves).await? != moves.len() as u64 {
        tx.rollback().await.map_err(|e| from_sqlx(e, what))?;
        return Err(stale_upload(store, &moves).await);
    }
    insert(
        &mut tx,
        "INSERT INTO log_entries (leaf_index, leaf) ",
        &batch.entries,
        |mut row, e| {
            // In range: checked against `end` above.
            row.push_bind(i64::try_from(e.chunk.leaf_index).unwrap_or(i64::MAX))
                .push_bind(e.leaf.as_slice());
        },
    )
    .await?;
    let chunks_sql = "INSERT INTO chunks (recording, byte_offset, length, sha256, chain, received_at_us, leaf_index) ";
    insert(&mut tx, chunks_sql, &batch.entries, |mut row, e| {
        let c = &e.chunk;
        // In range: `moves` checked every chunk's end, and `end` bounds the leaf index.
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
/// returns how many moved: the `WHERE` on the current offset skips an upload the batch is stale
/// for, so a stale batch moves fewer uploads than it names.
async fn move_uploads(conn: &mut SqliteConnection, moves: &[Move<'_>]) -> Result<u64, StoreError> {
    let mut moved = 0;
    for piece in pieces(moves) {
        let mut query =
            QueryBuilder::<Sqlite>::new("WITH moves (id, from_offset, to_offset, chain, expires_at_us) AS (");
        query.push_values(piece, |mut row, m| {
            row.push_bind(m.id)
                .push_bind(m.from)
                .push_bind(m.to)
                .push_bind(m.chain)
                .push_bind(m.expires_at_us);
        });
        query.push(
            ") UPDATE uploads SET received = moves.to_offset, chain = moves.chain, \
             expires_at_us = moves.expires_at_us FROM moves \
             WHERE uploads.id = moves.id AND uploads.received = moves.from_offset",
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

/// Why a batch (already rolled back) did not fit its uploads: one is unknown, or at another
/// offset. Only the refusal path pays for this.
async fn stale_upload(store: &SqliteStore, moves: &[Move<'_>]) -> StoreError {
    let mut conn = match store.write_conn().await {
        Ok(conn) => conn,
        Err(error) => return error,
    };
    for m in moves {
        let received = sqlx::query_scalar::<_, i64>("SELECT received FROM uploads WHERE id = ?")
            .bind(m.id)
            .fetch_optional(&mut *conn)
            .await;
        match received {
            Err(error) => return from_sqlx(error, "reading an upload's offset"),
            Ok(None) => return StoreError::NotFound(format!("upload {}", m.recording)),
            Ok(Some(at)) if at != m.from => {
                return StoreError::Conflict(format!(
                    "upload {} is at offset {at}, but the batch's chunk for it starts at {}",
                    m.recording, m.from
                ));
            }
            Ok(Some(_)) => {}
        }
    }
    StoreError::Conflict("an upload moved while the batch was being written".into())
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
