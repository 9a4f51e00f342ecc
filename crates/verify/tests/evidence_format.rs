//! The worked example in `docs/evidence-format.md`, recomputed. Every block of bytes the document
//! shows is generated here and must appear in it verbatim, so the document cannot drift from the
//! code. When this fails, it prints the blocks as they should read.
#![allow(clippy::unwrap_used)]

mod common;

use amparo_core::checkpoint;
use amparo_core::ids::{EncounterId, RecordingId};
use amparo_core::keys::LogKey;
use amparo_core::leaf::{CHAIN_START, EvidenceLeaf, chain_next, sha256};
use amparo_core::receipt::Receipt;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tlog_tiles::{node_hash, record_hash};

const DOC: &str = include_str!("../../../docs/evidence-format.md");

/// The example key: seed 32 bytes of 0x42. Published, so never a real log's key.
const PRIVATE_KEY: &str = "PRIVATE+KEY+example.org/amparo+ec992462+AUJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC";
const ENCOUNTER: &str = "0192f1c4-7a3b-7c2d-8e4f-5a6b7c8d9e0f";
const RECORDING: &str = "0192f1c4-8b21-7e44-9a10-c3d2e1f00a1b";
const CHUNKS: [&[u8]; 2] = [b"hello ", b"court\n"];
const RECEIVED: [i64; 2] = [1_790_000_000_123_456, 1_790_000_001_124_000];

fn code_block(lines: &[String]) -> String {
    format!("```text\n{}\n```", lines.join("\n"))
}

fn field(bytes: &[u8], label: &str) -> String {
    format!("{:<64}  {label}", hex::encode(bytes))
}

/// The example's blocks, in the order the document shows them.
fn blocks() -> Vec<String> {
    let key = LogKey::from_private_string(PRIVATE_KEY).unwrap();
    let encounter_id: EncounterId = ENCOUNTER.parse().unwrap();
    let recording_id: RecordingId = RECORDING.parse().unwrap();

    let mut blocks = vec![code_block(&[PRIVATE_KEY.to_owned(), key.verifier_key()])];
    let (mut offset, mut chain, mut leaves) = (0u64, CHAIN_START, Vec::new());
    for (chunk, received_at_us) in CHUNKS.iter().zip(RECEIVED) {
        let chunk_sha256 = sha256(chunk);
        chain = chain_next(&chain, &chunk_sha256);
        let length = chunk.len() as u64;
        leaves.push(EvidenceLeaf {
            encounter_id,
            recording_id,
            offset,
            length,
            chunk_sha256,
            chain_sha256: chain,
            received_at_us,
        });
        offset += length;
    }
    let chains: Vec<String> = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| format!("chain after chunk {i}: {}", hex::encode(l.chain_sha256)))
        .collect();
    blocks.push(code_block(&chains));

    let leaf = &leaves[1];
    let bytes = leaf.encode();
    blocks.push(code_block(&[
        field(&bytes[0..1], "version"),
        field(&bytes[1..17], "encounter id"),
        field(&bytes[17..33], "recording id"),
        field(&bytes[33..41], "offset (6)"),
        field(&bytes[41..49], "length (6)"),
        field(&bytes[49..81], "SHA-256 of the chunk"),
        field(&bytes[81..113], "chain after the chunk"),
        field(&bytes[113..121], "time received (1790000001124000)"),
    ]));
    let hashes: Vec<_> = leaves.iter().map(EvidenceLeaf::leaf_hash).collect();
    assert_eq!(hashes[1], record_hash(&bytes));
    let root = node_hash(hashes[0], hashes[1]);
    blocks.push(code_block(&[
        format!("leaf hash of entry 0: {}", hex::encode(hashes[0].0)),
        format!("leaf hash of entry 1: {}", hex::encode(hashes[1].0)),
        format!("root of the tree:     {}", hex::encode(root.0)),
    ]));

    let signed = checkpoint::sign(&key, 2, root);
    blocks.push(code_block(&[signed.note.trim_end().to_owned()]));
    assert!(tlog_tiles::check_record(&vec![hashes[0]], 2, root, 1, hashes[1]).is_ok());

    let receipt = Receipt::sign(&key, 1, hashes[1], RECEIVED[1]);
    let signed_text = format!(
        "amparo-receipt/v1\nexample.org/amparo\n1\n{}\n{}",
        B64.encode(hashes[1].0),
        RECEIVED[1]
    );
    blocks.push(code_block(&[signed_text]));
    blocks.push(code_block(&[format!("Amparo-Receipt: {}", receipt.to_header())]));
    assert_eq!(receipt.verify(&key.public()), Ok(()));
    blocks
}

#[test]
fn the_worked_example_in_the_document_is_what_the_code_computes() {
    let missing: Vec<String> = blocks()
        .into_iter()
        .filter(|block| !DOC.contains(block.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/evidence-format.md should contain these blocks verbatim:\n\n{}",
        missing.join("\n\n")
    );
}

#[test]
fn the_example_key_id_is_derived_as_documented() {
    // key id = first 4 bytes of SHA-256(name || 0x0a || 0x01 || public key), big-endian. The
    // base64 may itself contain `+`, so the key splits from the left.
    let key = LogKey::from_private_string(PRIVATE_KEY).unwrap();
    let verifier = key.verifier_key();
    let public = B64.decode(verifier.splitn(3, '+').nth(2).unwrap()).unwrap();
    assert_eq!((public.len(), public[0]), (33, 1));
    let digest = sha256(&[b"example.org/amparo\n".as_slice(), &public].concat());
    assert_eq!(hex::encode(&digest[..4]), "ec992462");
    assert_eq!(format!("{:08x}", key.key_id()), "ec992462");
}

/// The proof-checking algorithms of section 5, transcribed line by line from the document, must
/// accept exactly the proofs `tlog_tiles` makes, in the order the bundle stores them.
mod section_5 {
    use crate::common::TestLog;
    use amparo_core::Hash;
    use tlog_tiles::{node_hash, record_hash};

    fn inclusion_valid(m: u64, n: u64, leaf_hash: Hash, proof: &[Hash], root: Hash) -> bool {
        if m >= n {
            return false;
        }
        let (mut fn_, mut sn, mut r) = (m, n - 1, leaf_hash);
        for &p in proof {
            if sn == 0 {
                return false;
            }
            if fn_ % 2 == 1 || fn_ == sn {
                r = node_hash(p, r);
                while fn_ % 2 == 0 && fn_ != 0 {
                    (fn_, sn) = (fn_ >> 1, sn >> 1);
                }
            } else {
                r = node_hash(r, p);
            }
            (fn_, sn) = (fn_ >> 1, sn >> 1);
        }
        sn == 0 && r == root
    }

    fn consistency_valid(m: u64, n: u64, first: Hash, second: Hash, proof: &[Hash]) -> bool {
        if m == n {
            return proof.is_empty() && first == second;
        }
        if proof.is_empty() {
            return false;
        }
        let mut path = proof.to_vec();
        if m.is_power_of_two() {
            path.insert(0, first);
        }
        let (mut fn_, mut sn) = (m - 1, n - 1);
        while fn_ % 2 == 1 {
            (fn_, sn) = (fn_ >> 1, sn >> 1);
        }
        let (mut fr, mut sr) = (path[0], path[0]);
        for &c in &path[1..] {
            if sn == 0 {
                return false;
            }
            if fn_ % 2 == 1 || fn_ == sn {
                fr = node_hash(c, fr);
                sr = node_hash(c, sr);
                while fn_ % 2 == 0 && fn_ != 0 {
                    (fn_, sn) = (fn_ >> 1, sn >> 1);
                }
            } else {
                sr = node_hash(sr, c);
            }
            (fn_, sn) = (fn_ >> 1, sn >> 1);
        }
        sn == 0 && fr == first && sr == second
    }

    #[test]
    fn the_documented_algorithms_agree_with_the_log_library() {
        let mut log = TestLog::default();
        let mut roots = vec![];
        for i in 0..70u64 {
            log.append(record_hash(&i.to_be_bytes()));
            roots.push(log.root());
        }
        for n in 1..=70u64 {
            let root = roots[n as usize - 1];
            for m in 0..n {
                let proof = tlog_tiles::prove_record(n, m, &log).unwrap();
                let leaf = record_hash(&m.to_be_bytes());
                assert!(inclusion_valid(m, n, leaf, &proof, root), "inclusion of {m} in {n}");
                assert!(!inclusion_valid(m, n, record_hash(b"other"), &proof, root));
                let old = m + 1;
                let consistency = tlog_tiles::prove_tree(n, old, &log).unwrap();
                let first = roots[old as usize - 1];
                assert!(
                    consistency_valid(old, n, first, root, &consistency),
                    "consistency {old} to {n}"
                );
                if old < n {
                    assert!(!consistency_valid(old, n, record_hash(b"forged"), root, &consistency));
                    assert!(!consistency_valid(old, n, first, root, &[]));
                }
            }
        }
    }
}
