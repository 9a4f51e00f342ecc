//! The log's signing key, in the C2SP signed-note key formats.
//!
//! Private: `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte Ed25519 seed)>`.
//! Public (the "verifier key" published at `/log/key`): `<name>+<key id>+<base64(0x01 || 32-byte
//! public key)>`, where the key id is the first four bytes of
//! SHA-256(name || "\n" || 0x01 || public key). The name is the log's origin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{StandardSigner, StandardVerifier};
use std::fmt;

const ALG_ED25519: u8 = 1;

/// Why a key string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a signed-note key: {0}")]
    Format(&'static str),
    #[error("the key's id does not match its name and public key")]
    Id,
    #[error("{0:?} is not a valid key name (a log origin: no spaces or '+')")]
    Name(String),
}

/// The log's private key. `Debug` prints only the public half.
pub struct LogKey {
    name: String,
    signing: SigningKey,
}

impl fmt::Debug for LogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogKey")
            .field("verifier_key", &self.verifier_key())
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// A new random key for the log named `origin`.
    pub fn generate(origin: &str) -> Result<Self, KeyError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(KeyError::Name(origin.to_owned()));
        }
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        Ok(Self {
            name: origin.to_owned(),
            signing,
        })
    }

    /// Parses the private key format written by [`LogKey::to_private_string`].
    pub fn from_private_string(text: &str) -> Result<Self, KeyError> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::Format("no PRIVATE+KEY+ prefix"))?;
        let (name, id, key) = split_key(rest)?;
        let seed: [u8; 32] = key
            .try_into()
            .map_err(|_| KeyError::Format("the seed is not 32 bytes"))?;
        let signing = SigningKey::from_bytes(&seed);
        let log_key = Self {
            name: name.to_owned(),
            signing,
        };
        if key_id(name, &log_key.signing.verifying_key()) != id {
            return Err(KeyError::Id);
        }
        Ok(log_key)
    }

    /// The private key string, for the key file in the data directory. Never log it.
    pub fn to_private_string(&self) -> String {
        let mut key = vec![ALG_ED25519];
        key.extend_from_slice(&self.signing.to_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.key_id(), B64.encode(key))
    }

    /// The log's origin, which is also the key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed-note key id.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, &self.signing.verifying_key())
    }

    /// The public verifier key string published at `/log/key`.
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.name, &self.signing.verifying_key())
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            name: self.name.clone(),
            verifying: self.signing.verifying_key(),
        }
    }

    /// A `signed_note` signer over the same key, to sign checkpoints.
    pub(crate) fn note_signer(&self) -> StandardSigner {
        #[allow(clippy::expect_used)]
        // Invariant: to_private_string produces the exact format StandardSigner parses.
        StandardSigner::new(&self.to_private_string()).expect("our own key string is well formed")
    }

    /// Signs bytes with domain separation left to the caller (see `receipt` and `manifest`).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// A log's public key, parsed from its verifier-key string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    name: String,
    verifying: VerifyingKey,
}

impl PublicKey {
    /// Parses `<name>+<key id>+<base64(0x01 || public key)>`.
    pub fn from_verifier_key(text: &str) -> Result<Self, KeyError> {
        let (name, id, key) = split_key(text.trim())?;
        let bytes: [u8; 32] = key
            .try_into()
            .map_err(|_| KeyError::Format("the public key is not 32 bytes"))?;
        let verifying = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Format("not an Ed25519 point"))?;
        if key_id(name, &verifying) != id {
            return Err(KeyError::Id);
        }
        Ok(Self {
            name: name.to_owned(),
            verifying,
        })
    }

    /// The log's origin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed-note key id.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, &self.verifying)
    }

    /// The verifier-key string.
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.name, &self.verifying)
    }

    /// A `signed_note` verifier over the same key, to check checkpoints.
    pub(crate) fn note_verifier(&self) -> StandardVerifier {
        #[allow(clippy::expect_used)]
        // Invariant: verifier_key produces the exact format StandardVerifier parses.
        StandardVerifier::new(&self.verifier_key()).expect("our own verifier key is well formed")
    }

    /// Checks an Ed25519 signature made by [`LogKey::sign`]. Strict verification: no malleable
    /// signatures are accepted.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.verifying.verify_strict(message, &signature).is_ok()
    }
}

fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut public = vec![ALG_ED25519];
    public.extend_from_slice(key.as_bytes());
    signed_note::key_id(name, &public)
}

/// Splits `<name>+<hex id>+<base64(alg || key)>` and checks the algorithm byte.
fn split_key(text: &str) -> Result<(&str, u32, Vec<u8>), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Format("expected name+id+key"));
    };
    if !signed_note::is_key_name_valid(name) {
        return Err(KeyError::Name(name.to_owned()));
    }
    if id.len() != 8 {
        return Err(KeyError::Format("the key id is not 8 hex digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| KeyError::Format("the key id is not hex"))?;
    let key = B64.decode(key).map_err(|_| KeyError::Format("the key is not base64"))?;
    match key.split_first() {
        Some((&ALG_ED25519, rest)) => Ok((name, id, rest.to_vec())),
        _ => Err(KeyError::Format("only Ed25519 keys (algorithm 1) are supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_key_round_trips_and_agrees_with_signed_note() {
        let key = LogKey::generate("example.org/log").expect("valid name");
        let again = LogKey::from_private_string(&key.to_private_string()).expect("parses");
        assert_eq!(again.verifier_key(), key.verifier_key());
        // signed_note accepts both strings as its own.
        StandardSigner::new(&key.to_private_string()).expect("signed_note parses the private key");
        StandardVerifier::new(&key.verifier_key()).expect("signed_note parses the verifier key");
        let public = PublicKey::from_verifier_key(&key.verifier_key()).expect("parses");
        assert_eq!(public, key.public());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = LogKey::generate("example.org/log").expect("valid name");
        // PRIVATE+KEY+<name>+<key hash>+<base64 secret>: the base64 may itself hold '+', so take
        // everything after the fourth separator, not the last piece.
        let private = key.to_private_string();
        let secret = private.splitn(5, '+').nth(4).expect("has five parts");
        assert!(secret.len() >= 40, "the whole secret: {secret}");
        let shown = format!("{key:?}");
        assert!(!shown.contains(secret));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(LogKey::generate("has space").is_err());
        assert!(PublicKey::from_verifier_key("name+zzzzzzzz+AQ==").is_err());
        let key = LogKey::generate("a/log").expect("valid");
        let vkey = key.verifier_key().replacen("a/log", "b/log", 1);
        assert_eq!(PublicKey::from_verifier_key(&vkey), Err(KeyError::Id));
    }

    #[test]
    fn signatures_check_out_and_tampering_fails() {
        let key = LogKey::generate("a/log").expect("valid");
        let sig = key.sign(b"message");
        assert!(key.public().verify(b"message", &sig));
        assert!(!key.public().verify(b"messagf", &sig));
        assert!(!key.public().verify(b"message", &sig[..63]));
    }
}
