//! Everything about a bundle that can be checked without its files' bytes: the manifest's form,
//! each recording's chunk layout and hash chain, the checkpoint, and every chunk's inclusion proof
//! and receipt. The verifier runs it on the bundle it reads; the writer runs it before writing, so
//! it never exports a bundle whose own proofs would fail.

use crate::chunks::{self, LogView};
use crate::report::Report;
use crate::{form, log};
use amparo_core::checkpoint::SignedCheckpoint;
use amparo_core::keys::PublicKey;
use amparo_core::manifest::{Manifest, Proofs};
use std::collections::{BTreeMap, BTreeSet};

/// What the checks work from; parts are `None` when missing or unreadable (which is reported
/// elsewhere), and the checks that need them are then not made.
pub(crate) struct Evidence<'a> {
    pub manifest: &'a Manifest,
    pub key: Option<&'a PublicKey>,
    /// The text of `log/checkpoint`.
    pub checkpoint: Option<&'a str>,
    pub proofs: Option<&'a Proofs>,
}

/// Runs the checks and fills in the report's summary. Returns the checkpoint if it checked out.
pub(crate) fn check_evidence(evidence: &Evidence<'_>, report: &mut Report) -> Option<SignedCheckpoint> {
    let manifest = evidence.manifest;
    let ids = form::check_form(manifest, report);
    let checkpoint = match (evidence.key, evidence.checkpoint) {
        (Some(key), Some(text)) => log::check_checkpoint(key, text, &manifest.log.origin, report),
        _ => None,
    };
    let proofs = evidence
        .proofs
        .map(|proofs| log::index_proofs(proofs, checkpoint.as_ref(), report));
    let view = LogView {
        key: evidence.key,
        checkpoint: checkpoint.as_ref(),
        proofs: proofs.as_ref(),
    };
    let mut claimed = BTreeMap::new();
    for (recording, id) in manifest.recordings.iter().zip(&ids.recordings) {
        form::check_layout(recording, report);
        chunks::check_chain(recording, report);
        if let (Some(encounter), Some(id)) = (ids.encounter, id) {
            chunks::check_entries(encounter, *id, recording, &view, &mut claimed, report);
        }
    }
    // Every index the manifest claims, whether or not its entry could be rebuilt.
    let used: BTreeSet<u64> = manifest
        .recordings
        .iter()
        .flat_map(|r| &r.chunks)
        .map(|c| c.leaf_index)
        .collect();
    if let Some(proofs) = &proofs {
        log::check_unused_proofs(proofs, &used, report);
    }
    let sealing = evidence.proofs.and_then(|proofs| proofs.sealing.as_ref());
    let sealed = match (evidence.key, &checkpoint, sealing) {
        (Some(key), Some(current), Some(sealing)) => {
            log::check_sealing(key, sealing, current, used.last().copied(), report)
        }
        _ => None,
    };

    let summary = report.summary_mut();
    summary.recordings = manifest.recordings.len();
    summary.chunks = manifest.recordings.iter().map(|r| r.chunks.len() as u64).sum();
    summary.bytes = manifest
        .recordings
        .iter()
        .fold(0u64, |sum, r| sum.saturating_add(r.length));
    summary.checkpoint_size = checkpoint.as_ref().map(|c| c.size);
    summary.signed_by = checkpoint.as_ref().and(evidence.key).map(key_name_and_id);
    summary.sealed_at_size = sealed;
    checkpoint
}

/// `<origin>+<key id>`: how signed notes name a key.
pub(crate) fn key_name_and_id(key: &PublicKey) -> String {
    format!("{}+{:08x}", key.name(), key.key_id())
}
