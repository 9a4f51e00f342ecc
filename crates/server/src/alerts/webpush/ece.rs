//! Message encryption for Web Push (RFC 8291) in the `aes128gcm` content coding (RFC 8188), one
//! record: only the browser that subscribed can read an alert, not the push service carrying it.
//!
//! Tested with the RFC 8291 appendix's own example, byte for byte.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size we declare: the whole message is one record of at most this many bytes.
const RECORD_SIZE: u32 = 4096;
/// Salt, record size, key id length, key id (our ephemeral public key).
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// The AES-GCM tag, and the delimiter byte that marks the last (only) record.
const OVERHEAD: usize = 16 + 1;
/// The largest plaintext that fits one record, and so one push message (services take 4096).
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - HEADER_LEN - OVERHEAD;

/// Why a message could not be encrypted.
#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    #[error("the message is {0} bytes; at most {MAX_PLAINTEXT} fit one push message")]
    TooLong(usize),
    #[error("the browser's key does not agree with ours")]
    Agreement,
}

/// Encrypts `plaintext` to a browser's key (`p256dh`) and secret (`auth`) with a fresh ephemeral
/// key and salt. The result is the whole request body.
pub fn encrypt(browser_key: &PublicKey, auth: &[u8; 16], plaintext: &[u8]) -> Result<Vec<u8>, EncryptError> {
    let mut rng = rand::rngs::OsRng;
    let ephemeral = SecretKey::random(&mut rng);
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rng, &mut salt);
    encrypt_with(&ephemeral, salt, browser_key, auth, plaintext)
}

/// [`encrypt`] with a given sender key and salt: deterministic, for the RFC's test vector.
fn encrypt_with(
    sender: &SecretKey,
    salt: [u8; 16],
    browser_key: &PublicKey,
    auth: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, EncryptError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EncryptError::TooLong(plaintext.len()));
    }
    let sender_public = sender.public_key().to_encoded_point(false);
    let browser_public = browser_key.to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), browser_key.as_affine());

    // RFC 8291 section 3.4: the input keying material, from the shared secret and auth secret.
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(browser_public.as_bytes());
    key_info.extend_from_slice(sender_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| EncryptError::Agreement)?;

    // RFC 8188 section 2.2 and 2.3: the content key and nonce, from the salt.
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|()| prk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| EncryptError::Agreement)?;

    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(2); // the last record's delimiter, no padding
    let cipher = Aes128Gcm::new((&cek).into());
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &record, aad: b"" })
        .map_err(|_| EncryptError::Agreement)?;

    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(sender_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).expect("base64url")
    }

    /// RFC 8291 appendix A.
    #[test]
    fn the_rfc_8291_example_encrypts_byte_for_byte() {
        let sender = SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).expect("key");
        let browser = PublicKey::from_sec1_bytes(&b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        ))
        .expect("point");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("salt");
        let auth: [u8; 16] = b64("BTBZMqHH6r4Tts7J_aSIgg").try_into().expect("auth");
        let body = encrypt_with(
            &sender,
            salt,
            &browser,
            &auth,
            b"When I grow up, I want to be a watermelon",
        )
        .expect("encrypts");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn messages_that_do_not_fit_one_record_are_refused() {
        let browser = SecretKey::random(&mut rand::rngs::OsRng).public_key();
        let fits = encrypt(&browser, &[7; 16], &[b'x'; MAX_PLAINTEXT]).expect("fits");
        assert_eq!(fits.len(), RECORD_SIZE as usize);
        assert!(matches!(
            encrypt(&browser, &[7; 16], &[b'x'; MAX_PLAINTEXT + 1]),
            Err(EncryptError::TooLong(_))
        ));
    }
}
