//! Log-level checks: the checkpoint, the proofs file, and the sealing checkpoint.

use crate::report::{Check, Place, Report};
use amparo_core::Hash;
use amparo_core::checkpoint::{self, CheckpointError, SignedCheckpoint};
use amparo_core::keys::PublicKey;
use amparo_core::manifest::{CHECKPOINT_PATH, PROOFS_PATH, Proofs, SealingCheckpoint};
use std::collections::{BTreeMap, BTreeSet};

/// No proof in a tree of at most 2^64 entries has more hashes than this; longer lists are refused
/// before any proof math runs on them.
const MAX_PROOF_HASHES: usize = 64;

/// Checks `log/checkpoint`'s signature and origin.
pub(crate) fn check_checkpoint(
    key: &PublicKey,
    text: &str,
    manifest_origin: &str,
    report: &mut Report,
) -> Option<SignedCheckpoint> {
    report.ran(Check::Checkpoint, 1);
    let place = || Place::File(CHECKPOINT_PATH.to_owned());
    match checkpoint::verify(key, text) {
        Ok(signed) if signed.origin != manifest_origin => {
            let message = format!(
                "the checkpoint is for log {:?}, the manifest for {manifest_origin:?}",
                signed.origin
            );
            report.fail(Check::Checkpoint, place(), message);
            None
        }
        Ok(signed) => Some(signed),
        Err(e) => {
            report.fail(Check::Checkpoint, place(), refusal("the checkpoint", &e));
            None
        }
    }
}

/// Indexes the inclusion proofs by log entry, refusing malformed and duplicate ones.
pub(crate) fn index_proofs(
    proofs: &Proofs,
    checkpoint: Option<&SignedCheckpoint>,
    report: &mut Report,
) -> BTreeMap<u64, Vec<Hash>> {
    report.ran(Check::Proofs, 1);
    let place = || Place::File(PROOFS_PATH.to_owned());
    if let Some(checkpoint) = checkpoint
        && proofs.tree_size != checkpoint.size
    {
        let (a, b) = (proofs.tree_size, checkpoint.size);
        report.fail(
            Check::Proofs,
            place(),
            format!("the proofs are for a tree of {a} entries, the checkpoint's has {b}"),
        );
    }
    let mut index = BTreeMap::new();
    for proof in &proofs.inclusion {
        let i = proof.leaf_index;
        match parse_hashes(&proof.hashes) {
            Some(_) if index.contains_key(&i) => {
                report.fail(
                    Check::Proofs,
                    place(),
                    format!("there are two inclusion proofs for log entry {i}"),
                );
            }
            Some(hashes) => {
                index.insert(i, hashes);
            }
            None => report.fail(
                Check::Proofs,
                place(),
                format!("the inclusion proof for log entry {i} is malformed (more than 64 hashes, or not hex)"),
            ),
        }
    }
    index
}

/// Flags proofs that no chunk uses: a bundle carries exactly one proof per chunk.
pub(crate) fn check_unused_proofs(proofs: &BTreeMap<u64, Vec<Hash>>, used: &BTreeSet<u64>, report: &mut Report) {
    for i in proofs.keys().filter(|i| !used.contains(i)) {
        let message = format!("there is an inclusion proof for log entry {i}, which no chunk of the manifest has");
        report.fail(Check::Proofs, Place::File(PROOFS_PATH.to_owned()), message);
    }
}

/// Checks the sealing checkpoint: signed by the log, covering every chunk, and extended by
/// `log/checkpoint`. Returns its size when it checks out.
pub(crate) fn check_sealing(
    key: &PublicKey,
    sealing: &SealingCheckpoint,
    current: &SignedCheckpoint,
    last_entry: Option<u64>,
    report: &mut Report,
) -> Option<u64> {
    report.ran(Check::Sealing, 1);
    let place = || Place::File(PROOFS_PATH.to_owned());
    let sealed = match checkpoint::verify(key, &sealing.checkpoint) {
        Ok(sealed) => sealed,
        Err(e) => {
            report.fail(Check::Sealing, place(), refusal("the sealing checkpoint", &e));
            return None;
        }
    };
    let (old, new) = (sealed.size, current.size);
    if let Some(last) = last_entry
        && last >= old
    {
        let message = format!("the sealing checkpoint (size {old}) does not cover the last chunk's log entry {last}");
        report.fail(Check::Sealing, place(), message);
    }
    if old == 0 || old > new {
        let message = format!("the sealing checkpoint has size {old}, which log/checkpoint (size {new}) cannot extend");
        report.fail(Check::Sealing, place(), message);
        return None;
    }
    let proven = parse_hashes(&sealing.consistency)
        .is_some_and(|proof| tlog_tiles::check_tree(&proof, new, current.root, old, sealed.root).is_ok());
    if !proven {
        report.fail(
            Check::Sealing,
            place(),
            format!(
                "the consistency proof does not show that the log's tree of {new} entries extends the sealing \
                 tree of {old}: the log was rewritten after sealing, or the proof is forged"
            ),
        );
        return None;
    }
    Some(old)
}

/// Why a checkpoint was refused, in words.
fn refusal(what: &str, error: &CheckpointError) -> String {
    match error {
        CheckpointError::Signature(_) => {
            format!("{what}'s signature does not verify with the log key: it was forged or altered")
        }
        CheckpointError::Origin { expected, found } => {
            format!("{what} is for the log {found:?}, but the key is {expected:?}'s")
        }
        CheckpointError::Note(_) | CheckpointError::Body => format!("{what} is not a signed checkpoint ({error})"),
    }
}

/// Proof hashes from hex; `None` if any is malformed or there are too many to be a real proof.
fn parse_hashes(hexes: &[String]) -> Option<Vec<Hash>> {
    if hexes.len() > MAX_PROOF_HASHES {
        return None;
    }
    hexes.iter().map(|h| crate::form::hex32(h).map(Hash)).collect()
}
