//! `append_batch`, the hot path: the server's group-commit sequencer calls it once per batch, and
//! a chunk's receipt waits for it. One transaction of five statements whatever the batch size:
//! every column travels as one array parameter and `UNNEST` turns the arrays back into rows.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::RecordingId;
use amparo_store::batch::{self, BatchPlan, UploadState};
use amparo_store::convert::to_i64;
use amparo_store::{AppendBatch, StoreError};
use std::collections::HashMap;
use uuid::Uuid;

/// What a batch does to its uploads (the plan's moves), as columns.
struct Moves<'a> {
    id: Vec<Uuid>,
    from: Vec<i64>,
    to: Vec<i64>,
    chain: Vec<&'a [u8]>,
    expires_at_us: Vec<i64>,
}

fn moves<'a>(plan: &BatchPlan<'a>) -> Moves<'a> {
    let moves = &plan.moves;
    Moves {
        id: moves.iter().map(|m| m.recording.0).collect(),
        from: moves.iter().map(|m| m.from).collect(),
        to: moves.iter().map(|m| m.to).collect(),
        chain: moves.iter().map(|m| m.chain.as_slice()).collect(),
        expires_at_us: moves.iter().map(|m| m.expires_at_us).collect(),
    }
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
    let plan = batch::plan(batch)?;
    let moves = moves(&plan);
    let c = columns(batch)?;
    let (first, size) = (plan.first, plan.end);

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
    // The `WHERE` is `UploadMove::refusal`'s condition: it skips an upload the batch is stale for,
    // that was terminated, or whose declared length the move would pass, so such a batch moves
    // fewer uploads than it names. Row locks order this against a concurrent length change or
    // termination: whichever commits second sees the other's row.
    let moved = sqlx::query(
        "UPDATE uploads u SET received = m.to_offset, chain = m.chain, expires_at_us = m.expires_at_us \
         FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::bytea[], $5::bigint[]) \
              AS m (id, from_offset, to_offset, chain, expires_at_us) \
         WHERE u.id = m.id AND u.received = m.from_offset AND u.terminated_at_us IS NULL \
           AND (u.length IS NULL OR m.to_offset <= u.length)",
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
        return Err(refusal(store, &plan, &moves.id).await);
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

/// Why a batch (already rolled back) did not fit its uploads: one is unknown, at another offset,
/// terminated, or too short for it. Only the refusal path pays for this.
async fn refusal(store: &PostgresStore, plan: &BatchPlan<'_>, ids: &[Uuid]) -> StoreError {
    match stored_uploads(store, ids).await {
        Ok(stored) => plan.refusal(&stored),
        Err(error) => error,
    }
}

/// An upload's `id, received, length, terminated_at_us`.
type UploadRow = (Uuid, i64, Option<i64>, Option<i64>);

/// The uploads with these ids, as they are now.
async fn stored_uploads(store: &PostgresStore, ids: &[Uuid]) -> Result<HashMap<RecordingId, UploadState>, StoreError> {
    let rows: Vec<UploadRow> =
        sqlx::query_as("SELECT id, received, length, terminated_at_us FROM uploads WHERE id = ANY($1::uuid[])")
            .bind(ids)
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, "reading upload offsets"))?;
    let stored = rows.into_iter().map(|(id, offset, length, terminated_at_us)| {
        let state = UploadState {
            offset,
            length,
            terminated_at_us,
        };
        (RecordingId(id), state)
    });
    Ok(stored.collect())
}
