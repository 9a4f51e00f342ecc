//! Webhook signatures: HMAC-SHA256 over `"{timestamp}.{raw body}"`, sent as two headers,
//! `Amparo-Timestamp: <unix seconds>` and `Amparo-Signature: v1=<lowercase hex>`.
//!
//! Signing the timestamp with the body is what makes replays detectable: a captured request
//! cannot be re-sent with a fresh timestamp, so a receiver rejects anything outside a window
//! around its own clock. The billing system's incoming webhook is checked with [`verify`] too.
//! Pure: the caller passes the clock.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TIMESTAMP_HEADER: &str = "Amparo-Timestamp";
pub const SIGNATURE_HEADER: &str = "Amparo-Signature";
/// How far a timestamp may be from the receiver's clock, either way, in seconds.
pub const TOLERANCE_SECS: u64 = 300;

const SCHEME: &str = "v1=";

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Amparo-Timestamp or Amparo-Signature header is missing")]
    MissingHeader,
    #[error("the timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("the signature is not v1=<64 lowercase hex digits>")]
    MalformedSignature,
    #[error("the timestamp is more than the allowed window in the past (a replay?)")]
    Stale,
    #[error("the timestamp is more than the allowed window in the future")]
    Future,
    #[error("the signature does not match")]
    Mismatch,
}

/// The `Amparo-Signature` value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("{SCHEME}{}", hex::encode(tag))
}

/// Checks a request's two header values against its raw body, at `now` (unix seconds), allowing
/// `tolerance_secs` of difference between clocks. The comparison takes constant time.
pub fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: u64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    let timestamp = parse_timestamp(timestamp_header)?;
    let tag = parse_signature(signature_header)?;
    if timestamp < now.saturating_sub(tolerance_secs) {
        return Err(SignatureError::Stale);
    }
    if timestamp > now.saturating_add(tolerance_secs) {
        return Err(SignatureError::Future);
    }
    // `verify_slice` compares in constant time, so timing tells an attacker nothing.
    mac(secret, timestamp, body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

/// [`verify`] on a request's headers, with the standard window: what a receiving handler calls
/// (the billing system's webhook, or a test standing in for a gateway).
pub fn verify_request(secret: &[u8], headers: &HeaderMap, body: &[u8], now: u64) -> Result<(), SignatureError> {
    let header = |name| {
        // A value that is not visible ASCII is present but malformed: verify says which.
        let value = headers.get(name).ok_or(SignatureError::MissingHeader)?;
        Ok::<_, SignatureError>(value.to_str().unwrap_or_default())
    };
    verify(
        secret,
        header(TIMESTAMP_HEADER)?,
        header(SIGNATURE_HEADER)?,
        body,
        now,
        TOLERANCE_SECS,
    )
}

fn mac(secret: &[u8], timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length (longer ones are hashed), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Digits only: no sign, no spaces, no leading zeros (`u64::from_str` would accept "+12" and
/// "012", giving one signed timestamp several spellings).
fn parse_timestamp(text: &str) -> Result<u64, SignatureError> {
    let canonical =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(SignatureError::MalformedTimestamp);
    }
    text.parse().map_err(|_| SignatureError::MalformedTimestamp)
}

/// Lowercase hex only, so each tag has exactly one spelling.
fn parse_signature(text: &str) -> Result<[u8; 32], SignatureError> {
    let hex_tag = text
        .strip_prefix(SCHEME)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or(SignatureError::MalformedSignature)?;
    let mut tag = [0; 32];
    hex::decode_to_slice(hex_tag, &mut tag).map_err(|_| SignatureError::MalformedSignature)?;
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_740_000_000;

    #[test]
    fn a_known_vector() {
        // Computed independently: printf '1740000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign(b"secret", NOW, br#"{"a":1}"#),
            "v1=1ac8ac87fb03e84aa325fd3a9363d2715e33640915f632c0fb5eb37cc04762a4"
        );
    }

    #[test]
    fn the_window_is_five_minutes_either_way() {
        let check = |ts: u64| verify(b"k", &ts.to_string(), &sign(b"k", ts, b"x"), b"x", NOW, TOLERANCE_SECS);
        assert_eq!(check(NOW - 300), Ok(()));
        assert_eq!(check(NOW + 300), Ok(()));
        assert_eq!(check(NOW - 301), Err(SignatureError::Stale));
        assert_eq!(check(NOW + 301), Err(SignatureError::Future));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = sign(b"k", NOW, b"x");
        let verify = |ts: &str, sig: &str| verify(b"k", ts, sig, b"x", NOW, TOLERANCE_SECS);
        for ts in [
            "",
            "+1740000000",
            "01740000000",
            " 1740000000",
            "1.7e9",
            "99999999999999999999",
        ] {
            assert_eq!(verify(ts, &good), Err(SignatureError::MalformedTimestamp), "{ts:?}");
        }
        let upper = good.replace(|c: char| c.is_ascii_lowercase() && c != 'v', "A");
        for sig in [
            "",
            "v1=",
            "v2=00",
            &good[3..],
            &good.to_uppercase(),
            &upper,
            &format!("{good}00"),
        ] {
            assert_eq!(
                verify("1740000000", sig),
                Err(SignatureError::MalformedSignature),
                "{sig:?}"
            );
        }
    }

    fn flip(bytes: &mut [u8], bit: usize) {
        bytes[bit / 8 % bytes.len()] ^= 1 << (bit % 8);
    }

    proptest! {
        #[test]
        fn signed_bodies_verify(secret in prop::collection::vec(any::<u8>(), 0..80),
                                body in prop::collection::vec(any::<u8>(), 0..2000),
                                skew in 0..=2 * TOLERANCE_SECS) {
            let ts = NOW - TOLERANCE_SECS + skew;
            prop_assert_eq!(verify(&secret, &ts.to_string(), &sign(&secret, ts, &body), &body, NOW, TOLERANCE_SECS), Ok(()));
        }

        #[test]
        fn any_flipped_bit_fails(secret in prop::collection::vec(any::<u8>(), 1..80),
                                 body in prop::collection::vec(any::<u8>(), 1..2000),
                                 skew in 0..=2 * TOLERANCE_SECS,
                                 bit in any::<usize>()) {
            let ts = NOW - TOLERANCE_SECS + skew;
            let ts_text = ts.to_string();
            let sig = sign(&secret, ts, &body);
            let check = |s: &[u8], t: &[u8], g: &[u8], b: &[u8]| {
                let t = String::from_utf8_lossy(t);
                let g = String::from_utf8_lossy(g);
                verify(s, &t, &g, b, NOW, TOLERANCE_SECS)
            };
            let (mut s, mut t, mut g, mut b) =
                (secret.clone(), ts_text.clone().into_bytes(), sig.clone().into_bytes(), body.clone());
            flip(&mut s, bit);
            flip(&mut t, bit);
            flip(&mut g, bit);
            flip(&mut b, bit);
            prop_assert!(check(&s, ts_text.as_bytes(), sig.as_bytes(), &body).is_err());
            prop_assert!(check(&secret, &t, sig.as_bytes(), &body).is_err());
            prop_assert!(check(&secret, ts_text.as_bytes(), &g, &body).is_err());
            prop_assert!(check(&secret, ts_text.as_bytes(), sig.as_bytes(), &b).is_err());
        }

        #[test]
        fn stale_and_future_timestamps_fail(body in prop::collection::vec(any::<u8>(), 0..200),
                                           beyond in 1..1_000_000_u64, future in any::<bool>()) {
            let ts = if future { NOW + TOLERANCE_SECS + beyond } else { NOW - TOLERANCE_SECS - beyond };
            let expected = if future { SignatureError::Future } else { SignatureError::Stale };
            prop_assert_eq!(verify(b"k", &ts.to_string(), &sign(b"k", ts, &body), &body, NOW, TOLERANCE_SECS), Err(expected));
        }
    }
}
