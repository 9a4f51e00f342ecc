//! Per-chunk receipts: the log's signed promise that a chunk's leaf has its index and will be in a
//! published checkpoint within a second.
//!
//! The signature is Ed25519 by the log key over the text
//!
//! ```text
//! amparo-receipt/v1
//! <origin>
//! <log index, decimal>
//! <leaf hash, base64>
//! <time received, microseconds since the Unix epoch, decimal>
//! ```
//!
//! (each line ending in `\n`). The `Amparo-Receipt` header carries it as an RFC 8941 structured
//! dictionary: `v=1, index=7, leaf=:<base64>:, received="1790000000123456", sig=:<base64>:`.
//! `received` is a string because microseconds since 1970 have 16 digits and RFC 8941 integers
//! stop at 15.

use crate::Hash;
use crate::keys::{LogKey, PublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// A signed receipt for one log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub index: u64,
    #[serde(with = "b64_hash")]
    pub leaf_hash: Hash,
    pub received_at_us: i64,
    #[serde(with = "b64_bytes")]
    pub signature: Vec<u8>,
}

/// Why a receipt was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("malformed receipt: {0}")]
    Format(&'static str),
    #[error("the receipt's signature does not verify with the log's key")]
    Signature,
}

fn signed_text(origin: &str, index: u64, leaf_hash: &Hash, received_at_us: i64) -> String {
    format!(
        "amparo-receipt/v1\n{origin}\n{index}\n{}\n{received_at_us}\n",
        B64.encode(leaf_hash.0)
    )
}

impl Receipt {
    /// Signs a receipt for the entry at `index`.
    pub fn sign(key: &LogKey, index: u64, leaf_hash: Hash, received_at_us: i64) -> Self {
        let signature = key
            .sign(signed_text(key.name(), index, &leaf_hash, received_at_us).as_bytes())
            .to_vec();
        Self {
            index,
            leaf_hash,
            received_at_us,
            signature,
        }
    }

    /// Checks the signature against the log's public key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), ReceiptError> {
        let text = signed_text(key.name(), self.index, &self.leaf_hash, self.received_at_us);
        if key.verify(text.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(ReceiptError::Signature)
        }
    }

    /// The `Amparo-Receipt` header value.
    pub fn to_header(&self) -> String {
        format!(
            "v=1, index={}, leaf=:{}:, received=\"{}\", sig=:{}:",
            self.index,
            B64.encode(self.leaf_hash.0),
            self.received_at_us,
            B64.encode(&self.signature)
        )
    }

    /// Parses an `Amparo-Receipt` header value (members in any order, unknown members ignored).
    pub fn from_header(value: &str) -> Result<Self, ReceiptError> {
        let (mut version, mut index, mut leaf, mut received, mut sig) = (None, None, None, None, None);
        for member in value.split(',') {
            let (key, val) = member
                .trim()
                .split_once('=')
                .ok_or(ReceiptError::Format("a member has no '='"))?;
            match key {
                "v" => version = Some(val),
                "index" => index = Some(val.parse::<u64>().map_err(|_| ReceiptError::Format("index"))?),
                "received" => {
                    let digits = val
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .ok_or(ReceiptError::Format("received is not a string"))?;
                    received = Some(digits.parse::<i64>().map_err(|_| ReceiptError::Format("received"))?);
                }
                "leaf" => leaf = Some(sf_bytes(val)?),
                "sig" => sig = Some(sf_bytes(val)?),
                _ => {}
            }
        }
        if version != Some("1") {
            return Err(ReceiptError::Format("unsupported or missing version"));
        }
        let leaf: [u8; 32] = leaf
            .ok_or(ReceiptError::Format("no leaf"))?
            .try_into()
            .map_err(|_| ReceiptError::Format("the leaf hash is not 32 bytes"))?;
        Ok(Self {
            index: index.ok_or(ReceiptError::Format("no index"))?,
            leaf_hash: Hash(leaf),
            received_at_us: received.ok_or(ReceiptError::Format("no received time"))?,
            signature: sig.ok_or(ReceiptError::Format("no signature"))?,
        })
    }
}

/// An RFC 8941 byte sequence: `:base64:`.
fn sf_bytes(value: &str) -> Result<Vec<u8>, ReceiptError> {
    let inner = value
        .strip_prefix(':')
        .and_then(|v| v.strip_suffix(':'))
        .ok_or(ReceiptError::Format("a byte sequence is not wrapped in ':'"))?;
    B64.decode(inner)
        .map_err(|_| ReceiptError::Format("a byte sequence is not base64"))
}

/// Serde helpers: hashes and byte strings as standard base64 in JSON.
pub mod b64_hash {
    use super::*;
    use serde::{Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(hash.0))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let bytes = B64.decode(String::deserialize(d)?).map_err(D::Error::custom)?;
        let array: [u8; 32] = bytes.try_into().map_err(|_| D::Error::custom("a hash is 32 bytes"))?;
        Ok(Hash(array))
    }
}

/// Serde helper: a byte string as standard base64.
pub mod b64_bytes {
    use super::*;
    use serde::{Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        B64.decode(String::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlog_tiles::record_hash;

    #[test]
    fn header_round_trips_and_verifies() {
        let key = LogKey::generate("example.org/amparo").expect("valid");
        let receipt = Receipt::sign(&key, 7, record_hash(b"leaf"), 1_790_000_000_123_456);
        let parsed = Receipt::from_header(&receipt.to_header()).expect("parses");
        assert_eq!(parsed, receipt);
        assert_eq!(parsed.verify(&key.public()), Ok(()));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let key = LogKey::generate("example.org/amparo").expect("valid");
        let receipt = Receipt::sign(&key, 7, record_hash(b"leaf"), 5);
        for changed in [
            Receipt {
                index: 8,
                ..receipt.clone()
            },
            Receipt {
                received_at_us: 6,
                ..receipt.clone()
            },
            Receipt {
                leaf_hash: record_hash(b"other"),
                ..receipt.clone()
            },
        ] {
            assert_eq!(changed.verify(&key.public()), Err(ReceiptError::Signature));
        }
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            "",
            "v=2, index=1",
            "v=1, index=x",
            "v=1, index=1, leaf=abc",
            "v=1, index=1, leaf=:AA==:",
        ] {
            assert!(Receipt::from_header(bad).is_err(), "{bad}");
        }
    }
}
