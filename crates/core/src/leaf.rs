//! The evidence leaf: what the log commits to for each chunk of a recording.
//!
//! Layout (all integers big-endian), 121 bytes in all, documented in `docs/evidence-format.md`:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, `0x01` |
//! | 16 | encounter id (UUID) |
//! | 16 | recording id (UUID) |
//! | 8 | offset of the chunk in the recording |
//! | 8 | length of the chunk |
//! | 32 | SHA-256 of the chunk's bytes |
//! | 32 | the recording's hash chain after this chunk (see [`chain_next`]) |
//! | 8 | time received, microseconds since the Unix epoch (signed) |
//!
//! A fixed layout rather than JSON: an outsider can rebuild it from the document alone, and there
//! is exactly one encoding of each leaf.

use crate::ids::{EncounterId, RecordingId};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The version byte of the current layout.
pub const LEAF_VERSION: u8 = 1;
/// Encoded size of a version-1 leaf.
pub const LEAF_LEN: usize = 1 + 16 + 16 + 8 + 8 + 32 + 32 + 8;
/// The chain value before the first chunk of a recording.
pub const CHAIN_START: [u8; 32] = [0; 32];
/// Domain separation for the hash chain, so a chain value can never be confused with another hash.
const CHAIN_DOMAIN: &[u8] = b"amparo-chain-v1";

/// One chunk of one recording, as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceLeaf {
    pub encounter_id: EncounterId,
    pub recording_id: RecordingId,
    pub offset: u64,
    pub length: u64,
    pub chunk_sha256: [u8; 32],
    pub chain_sha256: [u8; 32],
    pub received_at_us: i64,
}

/// Why bytes are not a leaf.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LeafError {
    #[error("a leaf is {LEAF_LEN} bytes, this one is {0}")]
    Length(usize),
    #[error("unknown leaf version {0}")]
    Version(u8),
}

impl EvidenceLeaf {
    /// The leaf's bytes, exactly as hashed into the log.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEAF_LEN);
        out.push(LEAF_VERSION);
        out.extend_from_slice(self.encounter_id.as_bytes());
        out.extend_from_slice(self.recording_id.as_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
        out.extend_from_slice(&self.chunk_sha256);
        out.extend_from_slice(&self.chain_sha256);
        out.extend_from_slice(&self.received_at_us.to_be_bytes());
        out
    }

    /// Parses a leaf; the inverse of [`EvidenceLeaf::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, LeafError> {
        if bytes.len() != LEAF_LEN {
            return Err(LeafError::Length(bytes.len()));
        }
        if bytes[0] != LEAF_VERSION {
            return Err(LeafError::Version(bytes[0]));
        }
        let mut cursor = Cursor(&bytes[1..]);
        Ok(Self {
            encounter_id: EncounterId(Uuid::from_bytes(cursor.take())),
            recording_id: RecordingId(Uuid::from_bytes(cursor.take())),
            offset: u64::from_be_bytes(cursor.take()),
            length: u64::from_be_bytes(cursor.take()),
            chunk_sha256: cursor.take(),
            chain_sha256: cursor.take(),
            received_at_us: i64::from_be_bytes(cursor.take()),
        })
    }

    /// The RFC 6962 leaf hash: SHA-256(0x00 || leaf bytes).
    pub fn leaf_hash(&self) -> crate::Hash {
        tlog_tiles::record_hash(&self.encode())
    }
}

/// Reads fixed-size fields off the front of a slice whose length was checked beforehand.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        out
    }
}

/// The next value of a recording's hash chain:
/// `SHA-256("amparo-chain-v1" || previous chain || SHA-256(chunk))`, starting from
/// [`CHAIN_START`]. It binds every chunk to all the chunks before it, in order, so a removed,
/// duplicated or reordered chunk breaks every chain value after it.
pub fn chain_next(previous: &[u8; 32], chunk_sha256: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(CHAIN_DOMAIN);
    hasher.update(previous);
    hasher.update(chunk_sha256);
    hasher.finalize().into()
}

/// SHA-256 of a byte slice, as an array.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EvidenceLeaf {
        EvidenceLeaf {
            encounter_id: EncounterId(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)),
            recording_id: RecordingId(Uuid::from_u128(0xfedc_ba98_7654_3210_fedc_ba98_7654_3210)),
            offset: 65_536,
            length: 4_096,
            chunk_sha256: sha256(b"chunk"),
            chain_sha256: chain_next(&CHAIN_START, &sha256(b"chunk")),
            received_at_us: 1_790_000_000_123_456,
        }
    }

    #[test]
    fn encoding_round_trips_and_has_the_documented_length() {
        let leaf = sample();
        let bytes = leaf.encode();
        assert_eq!(bytes.len(), LEAF_LEN);
        assert_eq!(bytes.len(), 121);
        assert_eq!(EvidenceLeaf::decode(&bytes), Ok(leaf));
    }

    #[test]
    fn layout_matches_the_document_byte_for_byte() {
        let bytes = sample().encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(hex::encode(&bytes[1..17]), "0123456789abcdef0123456789abcdef");
        assert_eq!(hex::encode(&bytes[17..33]), "fedcba9876543210fedcba9876543210");
        assert_eq!(&bytes[33..41], &65_536u64.to_be_bytes());
        assert_eq!(&bytes[41..49], &4_096u64.to_be_bytes());
        assert_eq!(&bytes[49..81], &sha256(b"chunk"));
        assert_eq!(&bytes[113..121], &1_790_000_000_123_456i64.to_be_bytes());
    }

    #[test]
    fn leaf_hash_is_rfc6962_leaf_hash() {
        let leaf = sample();
        let mut prefixed = vec![0u8];
        prefixed.extend(leaf.encode());
        assert_eq!(leaf.leaf_hash().0, sha256(&prefixed));
    }

    #[test]
    fn bad_bytes_are_refused() {
        assert_eq!(EvidenceLeaf::decode(&[1; 10]), Err(LeafError::Length(10)));
        let mut bytes = sample().encode();
        bytes[0] = 9;
        assert_eq!(EvidenceLeaf::decode(&bytes), Err(LeafError::Version(9)));
    }

    #[test]
    fn chain_depends_on_order() {
        let (a, b) = (sha256(b"a"), sha256(b"b"));
        let ab = chain_next(&chain_next(&CHAIN_START, &a), &b);
        let ba = chain_next(&chain_next(&CHAIN_START, &b), &a);
        assert_ne!(ab, ba);
        // Pinned value: other implementations of the chain check themselves against it.
        assert_eq!(
            hex::encode(chain_next(&CHAIN_START, &sha256(b""))),
            hex::encode({
                let mut h = Sha256::new();
                h.update(b"amparo-chain-v1");
                h.update([0u8; 32]);
                h.update(sha256(b""));
                <[u8; 32]>::from(h.finalize())
            })
        );
    }
}
