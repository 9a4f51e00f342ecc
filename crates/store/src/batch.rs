//! What an `append_batch` does, worked out before any SQL runs: the part of the hot path every
//! backend shares.
//!
//! [`plan`] checks that a batch agrees with itself and sums up what it does to each upload. A
//! backend then runs one conditional update over the [`UploadMove`]s (its own SQL) that moves an
//! upload only where [`UploadMove::refusal`] finds nothing wrong, and compares the number of rows
//! it moved with the number of moves. When they differ it rolls back, reads the uploads again and
//! asks [`BatchPlan::refusal`] why.

use crate::convert::to_i64;
use crate::{AppendBatch, StoreError};
use amparo_core::ids::RecordingId;
use std::collections::HashMap;

/// A batch, checked against itself, in the store's integer types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPlan<'a> {
    /// The log index of the batch's first entry: the log's size when it commits.
    pub first: i64,
    /// The log's size after the batch. Every leaf index of the batch is below it, so each fits
    /// an `i64` too.
    pub end: i64,
    /// One per upload the batch names, in the order each first appears.
    pub moves: Vec<UploadMove<'a>>,
}

/// What a batch does to one upload: where its first chunk must start, and the state its last
/// chunk leaves the upload in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadMove<'a> {
    pub recording: RecordingId,
    /// The offset the upload must be at: where the batch's first chunk for it starts.
    pub from: i64,
    /// The upload's new offset: where the batch's last chunk for it ends.
    pub to: i64,
    /// The upload's chain after the last chunk.
    pub chain: &'a [u8; 32],
    /// The upload's expiry after the last chunk.
    pub expires_at_us: i64,
}

/// The columns of a stored upload that decide whether a batch may move it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadState {
    /// The `received` column: bytes received and logged.
    pub offset: i64,
    /// The declared length, if any.
    pub length: Option<i64>,
    pub terminated_at_us: Option<i64>,
}

/// Checks that the batch agrees with itself (leaf indexes follow `first_index`; each upload's
/// chunks follow each other without a gap; every offset and index fits the store) and sums up
/// what it does to each upload. `Conflict` if it does not; nothing is read or written.
pub fn plan(batch: &AppendBatch) -> Result<BatchPlan<'_>, StoreError> {
    let mut moves: Vec<UploadMove<'_>> = Vec::new();
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
        } else {
            position.insert(chunk.recording, moves.len());
            moves.push(UploadMove {
                recording: chunk.recording,
                from,
                to,
                chain: &chunk.chain,
                expires_at_us: entry.upload_expires_at_us,
            });
        }
    }
    let first = to_i64(batch.first_index, "log index")?;
    // An overflow saturates to u64::MAX, which the conversion refuses.
    let end = to_i64(batch.first_index.saturating_add(batch.entries.len() as u64), "log size")?;
    Ok(BatchPlan { first, end, moves })
}

impl UploadMove<'_> {
    /// Why this move must not be applied to the upload as stored, or `None` if it may. This is
    /// the condition every backend's update puts in its `WHERE`:
    /// `received = from AND terminated_at_us IS NULL AND (length IS NULL OR to <= length)`.
    ///
    /// Expiry is deliberately not checked: the server owns the clock, and a chunk received before
    /// its upload expired must still be committable after.
    pub fn refusal(&self, stored: Option<UploadState>) -> Option<StoreError> {
        let id = self.recording;
        let Some(stored) = stored else {
            return Some(StoreError::NotFound(format!("upload {id}")));
        };
        if let Some(at) = stored.terminated_at_us {
            return Some(StoreError::Conflict(format!(
                "upload {id} was terminated (at {at} µs since the epoch) and takes no more chunks"
            )));
        }
        if stored.offset != self.from {
            return Some(StoreError::Conflict(format!(
                "upload {id} is at offset {}, but the batch's chunk for it starts at {}",
                stored.offset, self.from
            )));
        }
        if let Some(length) = stored.length
            && self.to > length
        {
            return Some(StoreError::Conflict(format!(
                "upload {id} is declared {length} bytes long, but the batch's chunks for it end at {}",
                self.to
            )));
        }
        None
    }
}

impl BatchPlan<'_> {
    /// Why the batch (already rolled back) did not fit its uploads, given them as stored now (an
    /// upload missing from `stored` is unknown): the first move's refusal, in batch order.
    pub fn refusal(&self, stored: &HashMap<RecordingId, UploadState>) -> StoreError {
        self.moves
            .iter()
            .find_map(|m| m.refusal(stored.get(&m.recording).copied()))
            .unwrap_or_else(|| StoreError::Conflict("an upload changed while the batch was being written".into()))
    }
}

#[cfg(test)]
mod tests;
