//! Checkpoints: C2SP tlog-checkpoint bodies wrapped in C2SP signed notes.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//!
//! — <origin> <base64(key id || Ed25519 signature)>
//! ```

use crate::Hash;
use crate::keys::{LogKey, PublicKey};
use signed_note::{Note, VerifierList};

/// A checkpoint whose signature has been checked (or that we signed ourselves).
#[derive(Clone, Debug, PartialEq)]
pub struct SignedCheckpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The full signed note, exactly as published.
    pub note: String,
}

/// Why a checkpoint was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("not a signed note: {0}")]
    Note(String),
    #[error("the signature does not verify with the log's key: {0}")]
    Signature(String),
    #[error("the note is not a tlog checkpoint")]
    Body,
    #[error("the checkpoint is for log {found:?}, the key is for {expected:?}")]
    Origin { expected: String, found: String },
}

/// Signs the checkpoint of a tree of `size` leaves with root `root`.
pub fn sign(key: &LogKey, size: u64, root: Hash) -> SignedCheckpoint {
    #[allow(clippy::expect_used)]
    // Invariant: a LogKey's name is a valid key name, so it is a valid origin; the extension is empty.
    let body = tlog_tiles::Checkpoint::new(key.name(), size, root, "")
        .expect("valid origin")
        .to_bytes();
    #[allow(clippy::expect_used)]
    // Invariant: a checkpoint body is UTF-8 text ending in a newline, which is all a note needs.
    let mut note = Note::new(&body, &[]).expect("checkpoint bodies are valid note text");
    let signer = key.note_signer();
    #[allow(clippy::expect_used)]
    // Invariant: Ed25519 signing cannot fail and the signer's name is valid.
    note.add_sigs(&[&signer]).expect("Ed25519 signing does not fail");
    SignedCheckpoint {
        origin: key.name().to_owned(),
        size,
        root,
        // Invariant: a note is UTF-8 text.
        note: String::from_utf8_lossy(&note.to_bytes()).into_owned(),
    }
}

/// Parses a signed checkpoint and checks that `key` signed it. Signatures by other keys (a
/// witness's cosignature, say) are allowed and ignored.
pub fn verify(key: &PublicKey, text: &str) -> Result<SignedCheckpoint, CheckpointError> {
    let note = Note::from_bytes(text.as_bytes()).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let verifiers = VerifierList::new(vec![Box::new(key.note_verifier())]);
    note.verify(&verifiers)
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    let body = tlog_tiles::Checkpoint::from_bytes(note.text()).map_err(|_| CheckpointError::Body)?;
    if body.origin() != key.name() {
        return Err(CheckpointError::Origin {
            expected: key.name().to_owned(),
            found: body.origin().to_owned(),
        });
    }
    Ok(SignedCheckpoint {
        origin: body.origin().to_owned(),
        size: body.size(),
        root: *body.hash(),
        note: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlog_tiles::record_hash;

    #[test]
    fn signed_checkpoints_verify_and_have_the_c2sp_shape() {
        let key = LogKey::generate("example.org/amparo").expect("valid");
        let root = record_hash(b"x");
        let signed = sign(&key, 42, root);
        let lines: Vec<&str> = signed.note.lines().collect();
        assert_eq!(lines[0], "example.org/amparo");
        assert_eq!(lines[1], "42");
        assert_eq!(lines[3], "");
        assert!(lines[4].starts_with("\u{2014} example.org/amparo "));
        assert_eq!(verify(&key.public(), &signed.note), Ok(signed));
    }

    #[test]
    fn tampered_or_foreign_checkpoints_fail() {
        let key = LogKey::generate("example.org/amparo").expect("valid");
        let signed = sign(&key, 42, record_hash(b"x"));
        let edited = signed.note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            verify(&key.public(), &edited),
            Err(CheckpointError::Signature(_))
        ));
        let other = LogKey::generate("example.org/amparo").expect("valid");
        assert!(verify(&other.public(), &signed.note).is_err());
        assert!(matches!(
            verify(&key.public(), "garbage"),
            Err(CheckpointError::Note(_))
        ));
    }
}
