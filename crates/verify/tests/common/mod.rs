//! A real bundle, built the way the server builds one: a log key, a Merkle tree grown with
//! `amparo_core::merkle::Frontier` (with other encounters' leaves around ours), proofs from
//! `tlog_tiles` over the stored hashes, receipts signed per chunk. And tools to tamper with it.
#![allow(dead_code, clippy::unwrap_used)] // Each test binary uses a different part of this.

use amparo_core::Hash;
use amparo_core::checkpoint;
use amparo_core::ids::{AccountId, EncounterId, RecordingId};
use amparo_core::keys::LogKey;
use amparo_core::leaf::{CHAIN_START, EvidenceLeaf, chain_next, sha256};
use amparo_core::manifest::{
    ChunkEntry, CustodyEntry, EncounterFacts, InclusionProof, Location, MANIFEST_PATH, MANIFEST_SIGNATURE_PATH,
    Manifest, NoteEntry, Proofs, SealingCheckpoint, sign_manifest,
};
use amparo_core::merkle::{Frontier, stored_hash_index};
use amparo_core::receipt::Receipt;
use amparo_verify::{BundleInput, RecordingInput, Report, VerifyOptions, verify_reader, write_bundle};
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use tlog_tiles::HashReader;

pub const ORIGIN: &str = "example.org/amparo";
pub const NOTE: &str = "Two officers <b>blocked</b> the car & said \"step out\" -- <script>alert('x')</script>";

/// A log: its right edge and every stored hash, as the server's store keeps them.
#[derive(Default)]
pub struct TestLog {
    frontier: Frontier,
    hashes: HashMap<u64, Hash>,
}

impl TestLog {
    pub fn append(&mut self, leaf_hash: Hash) -> u64 {
        let index = self.frontier.size();
        for stored in self.frontier.append(leaf_hash) {
            self.hashes.insert(stored_hash_index(stored.addr), stored.hash);
        }
        index
    }

    /// Entries of other encounters, so ours are not alone in the tree.
    pub fn others(&mut self, n: usize) {
        for _ in 0..n {
            let size = self.frontier.size();
            self.append(tlog_tiles::record_hash(
                format!("another encounter's entry {size}").as_bytes(),
            ));
        }
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    pub fn inclusion(&self, size: u64, index: u64) -> Vec<String> {
        let proof = tlog_tiles::prove_record(size, index, self).unwrap();
        proof.iter().map(|h| hex::encode(h.0)).collect()
    }
}

impl HashReader for TestLog {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| self.hashes.get(i).copied().ok_or(tlog_tiles::Error::IndexesNotInTree))
            .collect()
    }
}

/// A built bundle and what went into it.
pub struct Fixture {
    pub key: LogKey,
    pub bundle: Vec<u8>,
    /// Each recording's bytes.
    pub media: Vec<Vec<u8>>,
}

/// Everything a bundle is made from, as the server would gather it at export.
pub struct Parts {
    pub key: LogKey,
    pub encounter: EncounterFacts,
    /// Each recording's id, chunks and bytes.
    pub recordings: Vec<(RecordingId, Vec<ChunkEntry>, Vec<u8>)>,
    pub checkpoint: String,
    pub proofs: Proofs,
    pub custody: Vec<CustodyEntry>,
    pub notes: Vec<NoteEntry>,
}

impl Parts {
    pub fn input(&self) -> BundleInput<'_> {
        BundleInput {
            key: &self.key,
            exported_at: "2026-09-21T15:00:00Z".to_owned(),
            exported_by: AccountId::new().to_string(),
            encounter: self.encounter.clone(),
            recordings: self
                .recordings
                .iter()
                .map(|(id, chunks, bytes)| RecordingInput {
                    id: *id,
                    media_type: Some("video/webm".to_owned()),
                    complete: true,
                    chunks: chunks.clone(),
                    media: Box::new(Cursor::new(bytes.clone())),
                })
                .collect(),
            checkpoint: self.checkpoint.clone(),
            proofs: self.proofs.clone(),
            custody: self.custody.clone(),
            notes: self.notes.clone(),
        }
    }
}

/// Deterministic stand-in media: varied bytes, so that reordering chunks changes them.
pub fn media_bytes(recording: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + recording * 7 + i / 251) % 256) as u8)
        .collect()
}

/// Builds a bundle with one recording per entry of `chunk_sizes`, each with chunks of those sizes.
/// With `sealing`, the log grows after the encounter's last entry, so the bundle carries a sealing
/// checkpoint and a consistency proof.
pub fn build(chunk_sizes: &[Vec<usize>], sealing: bool) -> Fixture {
    let parts = parts(chunk_sizes, sealing);
    let bundle = write_bundle(Cursor::new(Vec::new()), parts.input())
        .unwrap()
        .into_inner();
    let media = parts.recordings.iter().map(|(_, _, bytes)| bytes.clone()).collect();
    Fixture {
        key: parts.key,
        bundle,
        media,
    }
}

/// Grows a log with the encounter's chunks among other entries, and gathers proofs and receipts.
pub fn parts(chunk_sizes: &[Vec<usize>], sealing: bool) -> Parts {
    let key = LogKey::generate(ORIGIN).unwrap();
    let encounter_id = EncounterId::new();
    let mut log = TestLog::default();
    log.others(3);
    let mut recordings = Vec::new();
    let mut received = 1_790_000_000_000_000i64;
    for (r, sizes) in chunk_sizes.iter().enumerate() {
        let recording_id = RecordingId::new();
        let bytes = media_bytes(r, sizes.iter().sum());
        let (mut offset, mut chain, mut chunks) = (0usize, CHAIN_START, Vec::new());
        for (i, &len) in sizes.iter().enumerate() {
            let chunk_sha256 = sha256(&bytes[offset..offset + len]);
            chain = chain_next(&chain, &chunk_sha256);
            received += 1_000_000 + 1_234 * i as i64;
            let leaf = EvidenceLeaf {
                encounter_id,
                recording_id,
                offset: offset as u64,
                length: len as u64,
                chunk_sha256,
                chain_sha256: chain,
                received_at_us: received,
            };
            let leaf_index = log.append(leaf.leaf_hash());
            chunks.push(ChunkEntry {
                offset: offset as u64,
                length: len as u64,
                sha256: hex::encode(chunk_sha256),
                chain: hex::encode(chain),
                received_at_us: received,
                leaf_index,
                receipt: Receipt::sign(&key, leaf_index, leaf.leaf_hash(), received).to_header(),
            });
            offset += len;
            log.others(i % 2);
        }
        recordings.push((recording_id, chunks, bytes));
    }
    let sealed = sealing.then(|| {
        let sealed = checkpoint::sign(&key, log.size(), log.root());
        log.others(9);
        sealed
    });
    let current = checkpoint::sign(&key, log.size(), log.root());
    let inclusion = recordings
        .iter()
        .flat_map(|(_, chunks, _)| chunks)
        .map(|c| InclusionProof {
            leaf_index: c.leaf_index,
            hashes: log.inclusion(current.size, c.leaf_index),
        })
        .collect();
    let sealing = sealed.map(|sealed| SealingCheckpoint {
        consistency: tlog_tiles::prove_tree(current.size, sealed.size, &log)
            .unwrap()
            .iter()
            .map(|h| hex::encode(h.0))
            .collect(),
        checkpoint: sealed.note,
    });
    Parts {
        key,
        encounter: facts(encounter_id),
        recordings,
        checkpoint: current.note,
        proofs: Proofs {
            tree_size: current.size,
            inclusion,
            sealing,
        },
        custody: vec![
            custody("2026-09-21T14:20:00Z", "owner", "view"),
            custody("2026-09-21T15:00:00Z", "attorney", "export"),
        ],
        notes: vec![NoteEntry {
            id: uuid_like(),
            at: "2026-09-21T14:16:00Z".to_owned(),
            author: AccountId::new().to_string(),
            text: "Advised to remain silent; officer gave badge 4411. <b>not markup</b>".to_owned(),
        }],
    }
}

fn uuid_like() -> String {
    AccountId::new().to_string()
}

fn facts(id: EncounterId) -> EncounterFacts {
    EncounterFacts {
        id: id.to_string(),
        owner: AccountId::new().to_string(),
        started_at: "2026-09-21T14:13:19Z".to_owned(),
        ended_at: Some("2026-09-21T14:20:00Z".to_owned()),
        location: Some(Location {
            latitude: 34.052235,
            longitude: -118.243683,
            accuracy_m: Some(12.0),
        }),
        us_state: Some("CA".to_owned()),
        language: Some("es".to_owned()),
        wants_attorney: true,
        note: Some(NOTE.to_owned()),
    }
}

fn custody(at: &str, role: &str, action: &str) -> CustodyEntry {
    let account = AccountId::new().to_string();
    CustodyEntry {
        at: at.to_owned(),
        account,
        role: role.to_owned(),
        action: action.to_owned(),
    }
}

pub fn verify(bundle: &[u8]) -> Report {
    verify_reader(Cursor::new(bundle), &VerifyOptions::default())
}

/// A bundle taken apart into its files, to tamper with and pack again.
#[derive(Clone)]
pub struct Entries(pub Vec<(String, Vec<u8>)>);

impl Entries {
    /// Copies every entry out of a bundle, in order.
    pub fn read(bundle: &[u8]) -> Self {
        let mut zip = zip::ZipArchive::new(Cursor::new(bundle)).unwrap();
        let entries = (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).unwrap();
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                (file.name().unwrap().into_owned(), bytes)
            })
            .collect();
        Self(entries)
    }

    /// Writes the entries back into a new archive (stored, like the original).
    pub fn pack(&self) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in &self.0 {
            zip.start_file(name.as_str(), options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    pub fn get(&self, path: &str) -> &Vec<u8> {
        &self.0.iter().find(|(n, _)| n == path).unwrap().1
    }

    /// Replaces one file's bytes.
    pub fn get_mut(&mut self, path: &str) -> &mut Vec<u8> {
        &mut self.0.iter_mut().find(|(n, _)| n == path).unwrap().1
    }

    pub fn remove(&mut self, path: &str) {
        self.0.retain(|(n, _)| n != path);
    }

    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) {
        self.0.push((path.to_owned(), bytes));
    }

    pub fn manifest(&self) -> Manifest {
        serde_json::from_slice(self.get(MANIFEST_PATH)).unwrap()
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        serde_json::from_slice(self.get(path)).unwrap()
    }

    pub fn set_json<T: serde::Serialize>(&mut self, path: &str, value: &T) {
        *self.get_mut(path) = serde_json::to_vec_pretty(value).unwrap();
    }

    /// What a tamperer without the log key can do after an edit: bring every digest in the
    /// manifest up to date (the whole-recording digests and the file list). The signature goes stale.
    pub fn refresh_digests(&mut self) {
        let mut manifest = self.manifest();
        for recording in &mut manifest.recordings {
            let bytes = self.get(&recording.file);
            recording.sha256 = hex::encode(sha256(bytes));
            recording.length = bytes.len() as u64;
        }
        for file in &mut manifest.files {
            if let Some((_, bytes)) = self.0.iter().find(|(n, _)| *n == file.path) {
                file.sha256 = hex::encode(sha256(bytes));
            }
        }
        self.set_json(MANIFEST_PATH, &manifest);
    }

    /// Signs the manifest as it stands with `key`.
    pub fn sign_with(&mut self, key: &LogKey) {
        let signature = sign_manifest(key, self.get(MANIFEST_PATH));
        *self.get_mut(MANIFEST_SIGNATURE_PATH) = signature.into_bytes();
    }

    /// Refreshes the digests and signs with `key`: either a forger's key, or the log's own (to show
    /// that a bundle the log itself signed still fails when its proofs are wrong).
    pub fn reseal(&mut self, key: &LogKey) {
        self.refresh_digests();
        self.sign_with(key);
    }
}

/// Where chunk `index` of a recording starts.
pub fn chunk_offset(entries: &Entries, recording: usize, index: usize) -> u64 {
    entries.manifest().recordings[recording].chunks[index].offset
}
