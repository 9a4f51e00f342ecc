//! The evidence bundle's manifest and proof files: written by the server, read by the verifier.
//!
//! A bundle is a zip archive (entries stored, not compressed) holding:
//!
//! | path | what |
//! |---|---|
//! | `manifest.json` | [`Manifest`]: the encounter, its recordings and every chunk |
//! | `manifest.sig` | base64 Ed25519 signature by the log key over `amparo-bundle-manifest/v1\n` followed by the bytes of `manifest.json` |
//! | `media/<recording id>.<ext>` | each recording's bytes, exactly as received (the chunks concatenated) |
//! | `log/checkpoint` | a signed checkpoint whose tree contains every leaf of the bundle |
//! | `log/key` | the log's verifier key |
//! | `log/proofs.json` | [`Proofs`]: an inclusion proof per leaf, and the consistency proof from the sealing checkpoint |
//! | `custody.json` | the access log of this evidence: [`CustodyEntry`] list |
//! | `report.html` | the same facts for a person to read |
//!
//! `manifest.json` lists the SHA-256 of every other file except `manifest.sig`, so the one
//! signature covers the whole bundle. The exact rules are in `docs/evidence-format.md`.

use crate::keys::{LogKey, PublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// The value of [`Manifest::format`] this code writes and reads.
pub const BUNDLE_FORMAT: &str = "amparo-evidence-bundle/v1";
const MANIFEST_SIGNATURE_DOMAIN: &[u8] = b"amparo-bundle-manifest/v1\n";

pub const MANIFEST_PATH: &str = "manifest.json";
pub const MANIFEST_SIGNATURE_PATH: &str = "manifest.sig";
pub const CHECKPOINT_PATH: &str = "log/checkpoint";
pub const KEY_PATH: &str = "log/key";
pub const PROOFS_PATH: &str = "log/proofs.json";
pub const CUSTODY_PATH: &str = "custody.json";
/// The attorneys' notes on the encounter. Optional: bundles exported before notes existed lack it.
pub const NOTES_PATH: &str = "notes.json";
pub const REPORT_PATH: &str = "report.html";

/// Everything the bundle claims, in one signed document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// When the bundle was made (RFC 3339, UTC).
    pub exported_at: String,
    /// The account that exported it.
    pub exported_by: String,
    /// The log's origin and verifier key (the same text as `log/key`).
    pub log: LogInfo,
    pub encounter: EncounterFacts,
    pub recordings: Vec<RecordingEntry>,
    /// SHA-256 (hex) of each other file in the bundle, `manifest.sig` aside.
    pub files: Vec<FileDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogInfo {
    pub origin: String,
    pub verifier_key: String,
}

/// The encounter's own facts, as the person (or their attorney) entered them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncounterFacts {
    pub id: String,
    pub owner: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub location: Option<Location>,
    pub us_state: Option<String>,
    pub language: Option<String>,
    pub wants_attorney: bool,
    pub note: Option<String>,
}

/// A point the person chose to share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
}

/// One recording: its media file and the chunks that make it up, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingEntry {
    pub id: String,
    /// The media type the client declared (`video/webm`, `video/mp4`, ...), if any.
    pub media_type: Option<String>,
    /// Path of the media in the bundle.
    pub file: String,
    /// Bytes received, which is the size of `file`.
    pub length: u64,
    /// SHA-256 (hex) of the whole file, for `sha256sum` users.
    pub sha256: String,
    /// Whether the upload reached its declared length (false: the recording was cut off).
    pub complete: bool,
    pub chunks: Vec<ChunkEntry>,
}

/// One chunk of a recording and its place in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkEntry {
    pub offset: u64,
    pub length: u64,
    /// SHA-256 (hex) of the chunk's bytes.
    pub sha256: String,
    /// The recording's hash chain after this chunk (hex).
    pub chain: String,
    pub received_at_us: i64,
    pub leaf_index: u64,
    /// The `Amparo-Receipt` header value the uploader was given.
    pub receipt: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

/// The log proofs that tie every chunk to `log/checkpoint`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proofs {
    /// Size of the tree in `log/checkpoint`.
    pub tree_size: u64,
    pub inclusion: Vec<InclusionProof>,
    /// The first published checkpoint that covered the encounter's last leaf, and the proof that
    /// `log/checkpoint` extends it. Absent when the two are the same.
    pub sealing: Option<SealingCheckpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub leaf_index: u64,
    /// Audit path, hex, from the leaf upward (RFC 6962 / RFC 9162 order).
    pub hashes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealingCheckpoint {
    /// The signed note as it was published.
    pub checkpoint: String,
    /// Consistency proof from it to `log/checkpoint`, hex.
    pub consistency: Vec<String>,
}

/// One read of the evidence: the chain of custody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyEntry {
    pub at: String,
    pub account: String,
    pub role: String,
    pub action: String,
}

/// A note an attorney wrote about the encounter, exactly as stored (notes are never edited).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub id: String,
    pub at: String,
    /// The attorney's account id.
    pub author: String,
    pub text: String,
}

/// Signs `manifest.json`'s exact bytes.
pub fn sign_manifest(key: &LogKey, manifest_json: &[u8]) -> String {
    B64.encode(key.sign(&signed_manifest_bytes(manifest_json)))
}

/// Checks `manifest.sig` against `manifest.json`'s exact bytes.
pub fn verify_manifest(key: &PublicKey, manifest_json: &[u8], signature_b64: &str) -> bool {
    let Ok(signature) = B64.decode(signature_b64.trim()) else {
        return false;
    };
    key.verify(&signed_manifest_bytes(manifest_json), &signature)
}

fn signed_manifest_bytes(manifest_json: &[u8]) -> Vec<u8> {
    [MANIFEST_SIGNATURE_DOMAIN, manifest_json].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_signature_covers_every_byte() {
        let key = LogKey::generate("example.org/amparo").expect("valid");
        let sig = sign_manifest(&key, b"{\"a\":1}");
        assert!(verify_manifest(&key.public(), b"{\"a\":1}", &sig));
        assert!(!verify_manifest(&key.public(), b"{\"a\":2}", &sig));
        assert!(!verify_manifest(&key.public(), b"{\"a\":1}", "not base64!"));
    }
}
