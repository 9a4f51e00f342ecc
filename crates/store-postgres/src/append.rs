//! `append_batch`, the hot path: the server's group-commit sequencer calls it once per batch, and
//! a chunk's receipt waits for it. One transaction of five statements whatever the batch size:
//! every column travels as one array parameter and `UNNEST` turns the arrays back into rows.

use crate::PostgresStore;
use crate::convert::{from_sqlx, to_i64};
use amparo_core::ids::RecordingId;
use amparo_store::{AppendBatch, StoreError};
use std::collections::HashMap;
use uuid::Uuid;

/// What a batch does to its uploads, as columns: where each upload's first chunk must start, and
/// the state its last chunk leaves the upload in.
#[derive(Default)]
struct Moves<'a> {
    id: Vec<Uuid>,
    from: Vec<i64>,
    to: Vec<i64>,
    chain: Vec<&'a [u8]>,
    expires_at_us: Vec<i64>,
}

/// Checks that the batch agrees with itself (leaf indexes follow `first_index`; each upload's
/// chunks follow each other without a gap) and sums up what it does to each upload.
fn moves(batch: &AppendBatch) -> Result<Moves<'_>, StoreError> {
    let mut moves = Moves::default();
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
        if let Some(&k) = position.get(&chunk.recording) {
            if from != moves.to[k] {
                return Err(StoreError::Conflict(format!(
                    "recording {}: a chunk at offset {from} follows one ending at {} in the same batch",
                    chunk.recording, moves.to[k]
                )));
            }
            moves.to[k] = to;
            moves.chain[k] = &chunk.chain;
            moves.expires_at_us[k] = entry.upload_expires_at_us;
        } else {
            position.insert(chunk.recording, moves.id.len());
            moves.id.push(chunk.recording.0);
            moves.from.push(from);
            moves.to.push(to);
            moves.chain.push(&chunk.chain);
            moves.expires_at_us.push(entry.upload_expires_at_us);
        }
    }
    Ok(moves)
}

/// The batch's rows as columns, every u64 already converted (with a check) to BIGINT.
struct Columns<'a> {
    leaf_index: Vec<i64>,
    leaf: Vec<&'a [u8]>,
    recording: Vec<Uuid>,
    offset: Vec<i64>,
    length: Vec<i64>,
    sha256: Vec<&'a [u8]>,
    chain: Vec<&'a [u8]>,
    received_at_us: Vec<i64>,
    level: Vec<i16>,
    idx: Vec<i64>,
    hash: Vec<&'a [u8]>,
}

fn columns(batch: &AppendBatch) -> Result<Columns<'_>, StoreError> {
    let n = batch.entries.len();
    let mut c = Columns {
        leaf_index: Vec::with_capacity(n),
        leaf: Vec::with_capacity(n),
        recording: Vec::with_capacity(n),
        offset: Vec::with_capacity(n),
        length: Vec::with_capacity(n),
        sha256: Vec::with_capacity(n),
        chain: Vec::with_capacity(n),
        received_at_us: Vec::with_capacity(n),
        level: Vec::with_capacity(batch.hashes.len()),
        idx: Vec::with_capacity(batch.hashes.len()),
        hash: Vec::with_capacity(batch.hashes.len()),
    };
    for entry in &batch.entries {
        let chunk = &entry.chunk;
        c.leaf_index.push(to_i64(chunk.leaf_index, "leaf index")?);
        c.leaf.push(&entry.leaf);
        c.recording.push(chunk.recording.0);
        c.offset.push(to_i64(chunk.offset, "chunk offset")?);
        c.length.push(to_i64(chunk.length, "chunk length")?);
        c.sha256.push(&chunk.sha256);
        c.chain.push(&chunk.chain);
        c.received_at_us.push(chunk.received_at_us);
    }
    for stored in &batch.hashes {
        c.level.push(i16::from(stored.addr.level));
        c.idx.push(to_i64(stored.addr.index, "stored hash index")?);
        c.hash.push(&stored.hash.0);
    }
    Ok(c)
}

pub(crate) async fn append_batch(store: &PostgresStore, batch: &AppendBatch) -> Result<(), StoreError> {
    let moves = moves(batch)?;
    let c = columns(batch)?;
    let first = to_i64(batch.first_index, "log index")?;
    let count = batch.entries.len() as u64;
    let size = to_i64(batch.first_index.saturating_add(count), "log size")?;

    let what = "appending to the log";
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, what))?;
    // First, so that concurrent appenders queue here, and a stale one (which waited for the
    // winner to commit, then re-read the row) matches nothing.
    let claimed = sqlx::query("UPDATE log_size SET size = $2 WHERE size = $1")
        .bind(first)
        .bind(size)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, what))?;
    if claimed.rows_affected() != 1 {
        drop(tx);
        let size = crate::log::size(store).await?;
        return Err(StoreError::Conflict(format!(
            "the batch starts at log index {first} but the log has {size} entries"
        )));
    }
    // The `WHERE` on the current offset skips an upload the batch is stale for, so a stale batch
    // moves fewer uploads than it names. Row locks order this against concurrent length changes.
    let moved = sqlx::query(
        "UPDATE uploads u SET received = m.to_offset, chain = m.chain, expires_at_us = m.expires_at_us \
         FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::bytea[], $5::bigint[]) \
              AS m (id, from_offset, to_offset, chain, expires_at_us) \
         WHERE u.id = m.id AND u.received = m.from_offset",
    )
    .bind(&moves.id)
    .bind(&moves.from)
    .bind(&moves.to)
    .bind(&moves.chain)
    .bind(&moves.expires_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, "moving upload offsets"))?;
    if moved.rows_affected() != moves.id.len() as u64 {
        tx.rollback().await.map_err(|e| from_sqlx(e, what))?;
        return Err(stale_upload(store, &moves).await);
    }
    sqlx::query("INSERT INTO log_entries (leaf_index, leaf) SELECT * FROM UNNEST($1::bigint[], $2::bytea[])")
        .bind(&c.leaf_index)
        .bind(&c.leaf)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, what))?;
    sqlx::query(
        "INSERT INTO chunks (leaf_index, recording, byte_offset, length, sha256, chain, received_at_us) \
         SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bytea[], $6::bytea[], \
                              $7::bigint[])",
    )
    .bind(&c.leaf_index)
    .bind(&c.recording)
    .bind(&c.offset)
    .bind(&c.length)
    .bind(&c.sha256)
    .bind(&c.chain)
    .bind(&c.received_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, what))?;
    sqlx::query(
        "INSERT INTO stored_hashes (level, idx, hash) SELECT * FROM UNNEST($1::smallint[], $2::bigint[], $3::bytea[])",
    )
    .bind(&c.level)
    .bind(&c.idx)
    .bind(&c.hash)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, what))?;
    tx.commit().await.map_err(|e| from_sqlx(e, what))
}

/// Why a batch (already rolled back) did not fit its uploads: one is unknown, or at another
/// offset. Only the refusal path pays for this.
async fn stale_upload(store: &PostgresStore, moves: &Moves<'_>) -> StoreError {
    let found: Result<Vec<(Uuid, i64)>, _> =
        sqlx::query_as("SELECT id, received FROM uploads WHERE id = ANY($1::uuid[])")
            .bind(&moves.id)
            .fetch_all(&store.pool)
            .await;
    let found: HashMap<Uuid, i64> = match found {
        Ok(rows) => rows.into_iter().collect(),
        Err(error) => return from_sqlx(error, "reading upload offsets"),
    };
    for (id, from) in moves.id.iter().zip(&moves.from) {
        match found.get(id) {
            None => return StoreError::NotFound(format!("upload {id}")),
            Some(at) if at != from => {
                return StoreError::Conflict(format!(
                    "upload {id} is at offset {at}, but the batch's chunk for it starts at {from}"
                ));
            }
            Some(_) => {}
        }
    }
    StoreError::Conflict("an upload moved while the batch was being written".into())
}
