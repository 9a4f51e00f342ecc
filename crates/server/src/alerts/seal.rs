//! Prepared messages sealed at rest: XChaCha20-Poly1305 under a key that lives beside the log's
//! key in the data directory, never in the database. A copy of the database (a backup, a seized
//! PostgreSQL) then holds ciphertext only.
//!
//! Sealed form: `version (1) || nonce (24) || ciphertext+tag`. The associated data binds each
//! message to its account and contact, so a ciphertext copied onto another contact's row does
//! not open. XChaCha's 192-bit random nonces are why this is not AES-GCM: no nonce bookkeeping.
//!
//! The same key, under its own label, signs the status links sent to emergency contacts (who have
//! no account): `HMAC-SHA256(key, label || encounter || contact)`. Nothing about a link is
//! stored; deleting the contact, or the encounter being long over, ends it.

use amparo_core::ids::{AccountId, ContactId, EncounterId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::Path;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_FILE: &str = "messages.key";

/// The key prepared messages are sealed with. `Debug` never shows it.
#[derive(Clone)]
pub struct MessageKey(chacha20poly1305::Key);

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageKey(***)")
    }
}

/// A sealed message that does not open: the wrong key, a damaged row, or a row moved between
/// contacts.
#[derive(Debug, thiserror::Error)]
#[error("a prepared message could not be opened (wrong key or damaged)")]
pub struct Unsealable;

impl MessageKey {
    /// A fresh random key, for a server whose messages need not outlive it (tests).
    pub fn generate() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// Reads `<dir>/messages.key`, creating it (mode 0600) on first start. Losing this file makes
    /// every stored prepared message unreadable: back it up with the log key.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        match Self::load(dir)? {
            Some(key) => Ok(key),
            None => Self::create(dir),
        }
    }

    /// Reads `<dir>/messages.key`; `None` if there is no such file.
    pub fn load(dir: &Path) -> std::io::Result<Option<Self>> {
        let path = dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} is not a 32-byte key", path.display()),
                    )
                })?;
                Ok(Some(Self(bytes.into())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates `<dir>/messages.key` (mode 0600) with a new key; refuses to replace one.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let key = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(dir.join(KEY_FILE))?;
        file.write_all(key.0.as_slice())?;
        file.sync_all()?;
        Ok(key)
    }

    /// Names this key without revealing it, to check that every node of a deployment holds the
    /// same one: a labelled SHA-256 of a random 256-bit key, hex. Its own label, so it equals no
    /// other hash made of the key.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"amparo messages.key fingerprint v1\n");
        hasher.update(self.0.as_slice());
        hex::encode(hasher.finalize())
    }

    pub fn seal(&self, account: AccountId, contact: ContactId, message: &str) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(account, contact);
        let sealed = XChaCha20Poly1305::new(&self.0)
            .encrypt(
                &nonce,
                Payload {
                    msg: message.as_bytes(),
                    aad: &aad,
                },
            )
            // Encryption fails only for messages near 256 GiB; ours are at most a few KiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, account: AccountId, contact: ContactId, sealed: &[u8]) -> Result<String, Unsealable> {
        let (&version, rest) = sealed.split_first().ok_or(Unsealable)?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = associated_data(account, contact);
        let plain = XChaCha20Poly1305::new(&self.0)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

impl MessageKey {
    /// The tag that makes a contact's status link for one encounter unguessable.
    pub fn share_tag(&self, encounter: EncounterId, contact: ContactId) -> String {
        URL_SAFE_NO_PAD.encode(self.share_mac(encounter, contact).finalize().into_bytes())
    }

    /// Whether `tag` is this contact's tag for this encounter (constant time).
    pub fn check_share_tag(&self, encounter: EncounterId, contact: ContactId, tag: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(tag)
            .is_ok_and(|bytes| self.share_mac(encounter, contact).verify_slice(&bytes).is_ok())
    }

    fn share_mac(&self, encounter: EncounterId, contact: ContactId) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice()).expect("HMAC takes any key length");
        mac.update(b"amparo contact status link v1");
        mac.update(encounter.as_bytes());
        mac.update(contact.as_bytes());
        mac
    }
}

fn associated_data(account: AccountId, contact: ContactId) -> Vec<u8> {
    let mut aad = b"amparo prepared message v1".to_vec();
    aad.extend_from_slice(account.as_bytes());
    aad.extend_from_slice(contact.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_messages_open_only_for_their_contact_and_key() {
        let key = MessageKey::generate();
        let (account, contact) = (AccountId::new(), ContactId::new());
        let text = "Me detuvieron. Llama a Ana al 312 555 0100. Los niños están con Rosa.";
        let sealed = key.seal(account, contact, text);
        assert!(
            !sealed.windows(8).any(|w| text.as_bytes().windows(8).any(|t| t == w)),
            "no plaintext"
        );
        assert_eq!(key.open(account, contact, &sealed).expect("opens"), text);
        assert!(key.open(account, ContactId::new(), &sealed).is_err(), "another contact");
        assert!(key.open(AccountId::new(), contact, &sealed).is_err(), "another account");
        assert!(
            MessageKey::generate().open(account, contact, &sealed).is_err(),
            "another key"
        );
        let mut damaged = sealed.clone();
        *damaged.last_mut().expect("bytes") ^= 1;
        assert!(key.open(account, contact, &damaged).is_err(), "damaged");
        assert!(key.open(account, contact, &[]).is_err());
        assert!(key.open(account, contact, &[VERSION, 1, 2]).is_err());
        assert_ne!(key.seal(account, contact, text), sealed, "fresh nonce each time");
    }

    #[test]
    fn status_links_are_bound_to_their_encounter_contact_and_key() {
        let key = MessageKey::generate();
        let (encounter, contact) = (EncounterId::new(), ContactId::new());
        let tag = key.share_tag(encounter, contact);
        assert_eq!(tag.len(), 43, "32 bytes, base64url");
        assert!(key.check_share_tag(encounter, contact, &tag));
        assert!(!key.check_share_tag(EncounterId::new(), contact, &tag));
        assert!(!key.check_share_tag(encounter, ContactId::new(), &tag));
        assert!(!MessageKey::generate().check_share_tag(encounter, contact, &tag));
        assert!(!key.check_share_tag(encounter, contact, &tag[..42]));
        assert!(!key.check_share_tag(encounter, contact, "not base64!"));
        assert!(!key.check_share_tag(encounter, contact, ""));
    }

    #[test]
    fn the_key_file_is_created_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = MessageKey::load_or_create(dir.path()).expect("create");
        let again = MessageKey::load_or_create(dir.path()).expect("load");
        let (account, contact) = (AccountId::new(), ContactId::new());
        let sealed = first.seal(account, contact, "hola");
        assert_eq!(again.open(account, contact, &sealed).expect("same key"), "hola");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&hex::encode(first.0.as_slice())));
        std::fs::write(dir.path().join(KEY_FILE), b"short").expect("write");
        assert!(
            MessageKey::load_or_create(dir.path()).is_err(),
            "a damaged key file is refused"
        );
    }

    #[test]
    fn fingerprints_tell_keys_apart_and_reveal_neither() {
        let key = MessageKey::generate();
        assert_eq!(
            key.fingerprint(),
            key.clone().fingerprint(),
            "the same key, the same fingerprint"
        );
        assert_ne!(key.fingerprint(), MessageKey::generate().fingerprint());
        assert_eq!(key.fingerprint().len(), 64, "SHA-256, hex");
        assert!(!key.fingerprint().contains(&hex::encode(key.0.as_slice())));
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(MessageKey::load(dir.path()).expect("no file is not an error").is_none());
        let created = MessageKey::create(dir.path()).expect("create");
        assert!(MessageKey::create(dir.path()).is_err(), "a key file is never replaced");
        let loaded = MessageKey::load(dir.path()).expect("load").expect("the file is there");
        assert_eq!(loaded.fingerprint(), created.fingerprint());
    }
}
