//! Per-chunk log checks: the hash chain, each rebuilt log entry's inclusion in the checkpoint, and
//! each receipt.

use crate::form::hex32;
use crate::report::{Check, Place, Report};
use amparo_core::Hash;
use amparo_core::checkpoint::SignedCheckpoint;
use amparo_core::ids::{EncounterId, RecordingId};
use amparo_core::keys::PublicKey;
use amparo_core::leaf::{CHAIN_START, EvidenceLeaf, chain_next};
use amparo_core::manifest::{ChunkEntry, RecordingEntry};
use amparo_core::receipt::Receipt;
use std::collections::BTreeMap;

/// What the chunks are checked against; parts are absent when they themselves failed to check.
pub(crate) struct LogView<'a> {
    pub key: Option<&'a PublicKey>,
    pub checkpoint: Option<&'a SignedCheckpoint>,
    /// Well-formed inclusion proofs by log index.
    pub proofs: Option<&'a BTreeMap<u64, Vec<Hash>>>,
}

fn place(recording: &RecordingEntry, index: usize, chunk: &ChunkEntry) -> Place {
    Place::Chunk {
        recording: recording.id.clone(),
        index,
        offset: chunk.offset,
    }
}

/// Recomputes the hash chain from the chunks' SHA-256 values, in manifest order.
pub(crate) fn check_chain(recording: &RecordingEntry, report: &mut Report) {
    // `None` after an unreadable value: the next chunk has nothing to be checked against.
    let mut previous = Some(CHAIN_START);
    for (index, chunk) in recording.chunks.iter().enumerate() {
        let (Some(sha), Some(chain)) = (hex32(&chunk.sha256), hex32(&chunk.chain)) else {
            report.fail(
                Check::Manifest,
                place(recording, index, chunk),
                "the chunk's SHA-256 or chain value is not 64 hex digits",
            );
            previous = None;
            continue;
        };
        if previous.is_some_and(|previous| chain_next(&previous, &sha) != chain) {
            report.fail(
                Check::HashChain,
                place(recording, index, chunk),
                "the hash chain does not follow from the chunk before: a chunk was removed, repeated or \
                 reordered just before this one, or this chunk's entry was edited",
            );
        }
        // Carry on from the recorded value, so that one break is reported once, where it is.
        previous = Some(chain);
    }
    report.ran(Check::HashChain, recording.chunks.len() as u64);
}

/// Rebuilds each chunk's log entry from the manifest and checks its inclusion proof and receipt.
/// `claimed` maps log indexes to the chunk that claimed them, across recordings.
pub(crate) fn check_entries(
    encounter: EncounterId,
    recording_id: RecordingId,
    recording: &RecordingEntry,
    log: &LogView<'_>,
    claimed: &mut BTreeMap<u64, Place>,
    report: &mut Report,
) {
    for (index, chunk) in recording.chunks.iter().enumerate() {
        let here = place(recording, index, chunk);
        let (Some(chunk_sha256), Some(chain_sha256)) = (hex32(&chunk.sha256), hex32(&chunk.chain)) else {
            continue; // Reported by the chain check.
        };
        let leaf = EvidenceLeaf {
            encounter_id: encounter,
            recording_id,
            offset: chunk.offset,
            length: chunk.length,
            chunk_sha256,
            chain_sha256,
            received_at_us: chunk.received_at_us,
        };
        let leaf_hash = leaf.leaf_hash();
        if let Some(first) = claimed.insert(chunk.leaf_index, here.clone()) {
            let i = chunk.leaf_index;
            report.fail(
                Check::Inclusion,
                here.clone(),
                format!("{first} already claims log entry {i}"),
            );
        } else if let (Some(checkpoint), Some(proofs)) = (log.checkpoint, log.proofs) {
            check_inclusion(chunk.leaf_index, leaf_hash, checkpoint, proofs, &here, report);
        }
        if let Some(key) = log.key {
            check_receipt(chunk, leaf_hash, key, &here, report);
        }
    }
}

fn check_inclusion(
    leaf_index: u64,
    leaf_hash: Hash,
    checkpoint: &SignedCheckpoint,
    proofs: &BTreeMap<u64, Vec<Hash>>,
    here: &Place,
    report: &mut Report,
) {
    report.ran(Check::Inclusion, 1);
    let size = checkpoint.size;
    if leaf_index >= size {
        let message = format!("its log entry {leaf_index} is beyond the checkpoint's tree of {size} entries");
        report.fail(Check::Inclusion, here.clone(), message);
        return;
    }
    let Some(proof) = proofs.get(&leaf_index) else {
        report.fail(
            Check::Inclusion,
            here.clone(),
            format!("there is no inclusion proof for its log entry {leaf_index}"),
        );
        return;
    };
    if tlog_tiles::check_record(proof, size, checkpoint.root, leaf_index, leaf_hash).is_err() {
        report.fail(
            Check::Inclusion,
            here.clone(),
            format!(
                "the log entry rebuilt from the manifest (encounter, recording, offset, length, SHA-256, chain, \
                 time received) is not entry {leaf_index} of the checkpoint's tree: the manifest describes \
                 this chunk differently from what the log recorded, or the proof is forged"
            ),
        );
    }
}

fn check_receipt(chunk: &ChunkEntry, leaf_hash: Hash, key: &PublicKey, here: &Place, report: &mut Report) {
    report.ran(Check::Receipt, 1);
    let receipt = match Receipt::from_header(&chunk.receipt) {
        Ok(receipt) => receipt,
        Err(e) => {
            report.fail(
                Check::Receipt,
                here.clone(),
                format!("the receipt cannot be read ({e})"),
            );
            return;
        }
    };
    if receipt.index != chunk.leaf_index {
        let (a, b) = (receipt.index, chunk.leaf_index);
        report.fail(
            Check::Receipt,
            here.clone(),
            format!("the receipt is for log entry {a}, the manifest says {b}"),
        );
    }
    if receipt.leaf_hash != leaf_hash {
        report.fail(
            Check::Receipt,
            here.clone(),
            "the receipt was issued for a different log entry than the one rebuilt from the manifest",
        );
    }
    if receipt.received_at_us != chunk.received_at_us {
        let (a, b) = (receipt.received_at_us, chunk.received_at_us);
        let message = format!("the receipt gives the time received as {a}, the manifest as {b} (microseconds)");
        report.fail(Check::Receipt, here.clone(), message);
    }
    if receipt.verify(key).is_err() {
        report.fail(
            Check::Receipt,
            here.clone(),
            "the receipt is not signed by the log key: it was forged, altered, or issued by another log",
        );
    }
}
