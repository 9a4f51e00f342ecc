//! VAPID (RFC 8292): the server's P-256 key, which browsers subscribe with and push services check
//! every message against, and the short-lived ES256 token that proves a message comes from us.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::Url;
use std::fmt;

/// How long a token is good for. RFC 8292 allows at most 24 hours; services refuse more.
pub const TOKEN_LIFETIME_SECS: u64 = 12 * 60 * 60;

/// The server's VAPID key pair. `Debug` shows the public key only.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
    /// The public key as browsers take it (`applicationServerKey`): base64url, uncompressed point.
    public: String,
}

/// A stored key that is not one.
#[derive(Debug, thiserror::Error)]
#[error("not a VAPID private key: expected one line of base64url holding a 32-byte P-256 scalar")]
pub struct InvalidKey;

impl VapidKey {
    pub fn generate() -> Self {
        Self::from_signing(SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// Reads what [`VapidKey::to_private_string`] wrote.
    pub fn from_private_string(text: &str) -> Result<Self, InvalidKey> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| InvalidKey)?;
        let signing = SigningKey::from_slice(&bytes).map_err(|_| InvalidKey)?;
        Ok(Self::from_signing(signing))
    }

    /// The private key as one line of base64url, for the key file. Never log it.
    pub fn to_private_string(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.to_bytes())
    }

    fn from_signing(signing: SigningKey) -> Self {
        let point = signing.verifying_key().to_encoded_point(false);
        let public = URL_SAFE_NO_PAD.encode(point.as_bytes());
        Self { signing, public }
    }

    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a message to `endpoint`: `vapid t=<JWT>, k=<public key>`.
    /// The token's audience is the endpoint's origin, port included (a push service on a port
    /// other than the scheme's default checks it); it expires [`TOKEN_LIFETIME_SECS`] after `now`.
    pub fn authorization(&self, endpoint: &Url, subject: &str, now_unix_secs: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": now_unix_secs.saturating_add(TOKEN_LIFETIME_SECS),
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        // ES256 in a JWT is the fixed-size r || s (RFC 7518 section 3.4), not DER.
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        format!("vapid t={signed}.{signature}, k={}", self.public)
    }
}

impl fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn keys_round_trip_and_debug_hides_the_private_half() {
        let key = VapidKey::generate();
        let again = VapidKey::from_private_string(&format!("{}\n", key.to_private_string())).expect("reads back");
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(URL_SAFE_NO_PAD.decode(key.public_key()).expect("b64").len(), 65);
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.to_private_string()), "{shown}");
        assert!(VapidKey::from_private_string("not a key").is_err());
        assert!(VapidKey::from_private_string("").is_err());
        assert!(
            VapidKey::from_private_string(&URL_SAFE_NO_PAD.encode([0u8; 32])).is_err(),
            "zero scalar"
        );
    }

    #[test]
    fn tokens_name_the_origin_with_its_port_and_verify() {
        let key = VapidKey::generate();
        let endpoint = Url::parse("http://127.0.0.1:41234/wpush/abc").expect("url");
        let header = key.authorization(&endpoint, "mailto:ops@example.org", 1_750_000_000);
        let rest = header.strip_prefix("vapid t=").expect("scheme");
        let (token, k) = rest.split_once(", k=").expect("k");
        assert_eq!(k, key.public_key());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["aud"], "http://127.0.0.1:41234");
        assert_eq!(claims["exp"], 1_750_000_000 + TOKEN_LIFETIME_SECS);
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        let verifying = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).expect("b64")).expect("point");
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64")).expect("r||s");
        verifying
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("signature verifies");

        let default_port = Url::parse("https://push.example.org:443/x").expect("url");
        assert!(
            key.authorization(&default_port, "mailto:a@b", 0).contains(
                &URL_SAFE_NO_PAD.encode(r#"{"aud":"https://push.example.org","exp":43200,"sub":"mailto:a@b"}"#)
            )
        );
    }
}
