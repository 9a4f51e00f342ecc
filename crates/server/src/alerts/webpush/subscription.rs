//! What a browser's `PushSubscription` must be before the server will ever POST to it.
//!
//! The endpoint is a URL people send us and the server then requests: it must be `https://` to a
//! named host (an IP literal would let anyone aim the server at machines on its own network), or,
//! when the operator allows it for tests, `http://` to this machine. The keys must be a real
//! P-256 point and a 16-byte secret, or encryption would fail at the worst moment.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use p256::PublicKey;
use reqwest::Url;

/// Real endpoints are a few hundred characters at most.
pub const MAX_ENDPOINT_LEN: usize = 1_024;
/// Phones, tablets, laptops, a few browsers each: more than this is not one person's.
pub const MAX_SUBSCRIPTIONS_PER_ACCOUNT: usize = 10;

/// A field of the subscription that is wrong, and how to fix it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SubscriptionError {
    pub field: &'static str,
    pub message: String,
}

fn wrong(field: &'static str, message: impl Into<String>) -> SubscriptionError {
    SubscriptionError {
        field,
        message: message.into(),
    }
}

/// The endpoint and the keys (base64url, as `PushSubscription.toJSON()` gives them), checked.
pub fn parse_subscription(
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    allow_loopback: bool,
) -> Result<(Url, [u8; 65], [u8; 16]), SubscriptionError> {
    Ok((
        parse_endpoint(endpoint, allow_loopback)?,
        parse_p256dh(p256dh)?,
        parse_auth(auth)?,
    ))
}

fn parse_endpoint(text: &str, allow_loopback: bool) -> Result<Url, SubscriptionError> {
    const FIELD: &str = "endpoint";
    if text.len() > MAX_ENDPOINT_LEN {
        return Err(wrong(FIELD, format!("is longer than {MAX_ENDPOINT_LEN} characters")));
    }
    let url = Url::parse(text).map_err(|e| {
        wrong(
            FIELD,
            format!("is not a URL ({e}); send the browser's subscription.endpoint"),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(wrong(FIELD, "must not hold a user name, password or #fragment"));
    }
    let Some(host) = url.host_str() else {
        return Err(wrong(FIELD, "has no host"));
    };
    let is_address = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok();
    let loopback = super::super::is_loopback(host);
    let named = !is_address && !loopback;
    match url.scheme() {
        "https" if named => Ok(url),
        "http" | "https" if loopback && allow_loopback => Ok(url),
        "https" => Err(wrong(
            FIELD,
            "must name its push service's host, not an address or this machine",
        )),
        _ => Err(wrong(FIELD, "must be an https:// URL from the browser's push service")),
    }
}

fn decode(field: &'static str, text: &str) -> Result<Vec<u8>, SubscriptionError> {
    if text.len() > 200 {
        return Err(wrong(field, "is far too long for a key"));
    }
    // Browsers send base64url without padding; accept padding too.
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|_| {
            wrong(
                field,
                "is not base64url: send subscription.toJSON().keys as the browser gives them",
            )
        })
}

fn parse_p256dh(text: &str) -> Result<[u8; 65], SubscriptionError> {
    let bytes = decode("keys.p256dh", text)?;
    let point: [u8; 65] = bytes.as_slice().try_into().map_err(|_| {
        wrong(
            "keys.p256dh",
            format!("must be a 65-byte uncompressed P-256 point, not {} bytes", bytes.len()),
        )
    })?;
    if point[0] != 4 || PublicKey::from_sec1_bytes(&point).is_err() {
        return Err(wrong("keys.p256dh", "is not a point on the P-256 curve"));
    }
    Ok(point)
}

fn parse_auth(text: &str) -> Result<[u8; 16], SubscriptionError> {
    let bytes = decode("keys.auth", text)?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| wrong("keys.auth", format!("must be 16 bytes, not {}", bytes.len())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    fn point() -> String {
        let key = p256::SecretKey::random(&mut rand::rngs::OsRng).public_key();
        URL_SAFE_NO_PAD.encode(key.to_encoded_point(false).as_bytes())
    }

    #[test]
    fn endpoints_are_https_to_a_named_host_or_loopback_when_allowed() {
        let (p, a) = (point(), URL_SAFE_NO_PAD.encode([1u8; 16]));
        let ok = |e: &str, loopback| parse_subscription(e, &p, &a, loopback).is_ok();
        assert!(ok("https://updates.push.services.mozilla.com/wpush/v2/gAAA", false));
        assert!(ok("https://fcm.googleapis.com:443/fcm/send/abc", false));
        assert!(ok("http://127.0.0.1:9000/wpush/abc", true));
        assert!(ok("http://[::1]:9000/wpush/abc", true));
        assert!(
            !ok("http://127.0.0.1:9000/wpush/abc", false),
            "loopback only when allowed"
        );
        assert!(!ok("http://push.example.org/wpush/abc", true));
        assert!(!ok("https://10.0.0.1/wpush/abc", true), "no private addresses");
        assert!(!ok("https://93.184.216.34/wpush/abc", false), "no IP literals");
        assert!(!ok("https://localhost/wpush", false));
        assert!(!ok("https://user:pw@push.example.org/x", false));
        assert!(!ok("ftp://push.example.org/x", false));
        assert!(!ok("not a url", false));
        assert!(!ok(
            &format!("https://push.example.org/{}", "a".repeat(MAX_ENDPOINT_LEN)),
            false
        ));
    }

    #[test]
    fn keys_must_be_a_curve_point_and_sixteen_bytes() {
        let e = "https://push.example.org/x";
        let a = URL_SAFE_NO_PAD.encode([1u8; 16]);
        let field = |p: &str, a: &str| parse_subscription(e, p, a, false).err().map(|e| e.field);
        assert_eq!(field(&point(), &a), None);
        assert_eq!(
            field(&format!("{}==", point()), &format!("{a}==")),
            None,
            "padding is fine"
        );
        let mut off_curve = [7u8; 65];
        off_curve[0] = 4;
        assert_eq!(field(&URL_SAFE_NO_PAD.encode(off_curve), &a), Some("keys.p256dh"));
        assert_eq!(field(&URL_SAFE_NO_PAD.encode([4u8; 33]), &a), Some("keys.p256dh"));
        assert_eq!(field("!!!", &a), Some("keys.p256dh"));
        assert_eq!(field(&point(), &URL_SAFE_NO_PAD.encode([1u8; 15])), Some("keys.auth"));
        assert_eq!(field(&point(), &"A".repeat(500)), Some("keys.auth"));
    }
}
