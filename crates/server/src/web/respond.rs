//! One way to answer for a web file: the bytes with a strong `ETag` and `Cache-Control: no-cache`,
//! or `304 Not Modified` when the browser already holds those bytes.
//!
//! There is no build step, so file names carry no content hash and a browser cannot be told to
//! keep a file for a year. Instead every response must be revalidated (`no-cache` means "ask
//! first", not "do not store"), and revalidation costs one round trip and no body. Working offline
//! is the service worker's job, not the HTTP cache's.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// A file ready to send: its bytes, type and entity tag.
#[derive(Debug, Clone)]
pub(crate) struct WebFile {
    pub body: Bytes,
    pub content_type: HeaderValue,
    /// A strong entity tag, quoted, derived from the bytes' SHA-256.
    pub etag: HeaderValue,
    /// Headers this one file needs besides the usual ones (`Service-Worker-Allowed` for sw.js).
    pub extra: Vec<(HeaderName, HeaderValue)>,
}

impl WebFile {
    pub fn new(body: Bytes, content_type: HeaderValue, sha256: &[u8; 32]) -> Self {
        Self {
            body,
            content_type,
            etag: etag(sha256),
            extra: Vec::new(),
        }
    }

    /// The 200 with the body, or a 304 without one if `request` already holds this version.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let mut response = if not_modified(request, &self.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = Response::new(Body::from(self.body.clone()));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, self.content_type.clone());
            response
        };
        // RFC 9110 §15.4.5: a 304 carries the ETag and Cache-Control a 200 would have carried.
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        for (name, value) in &self.extra {
            headers.insert(name.clone(), value.clone());
        }
        response
    }
}

/// `"<hex sha256>"`: strong, because equal tags mean byte-for-byte equal files.
pub(crate) fn etag(sha256: &[u8; 32]) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(sha256)))
        .expect("quotes and hex digits are visible ASCII, always a valid header value")
}

/// Whether `If-None-Match` names `etag` (or is `*`). RFC 9110 §13.1.2 asks for the weak
/// comparison here, so a `W/` prefix a proxy may have added does not defeat the match.
pub(crate) fn not_modified(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(if_none_match: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in if_none_match {
            headers.append(header::IF_NONE_MATCH, HeaderValue::from_str(value).expect("header"));
        }
        headers
    }

    #[test]
    fn etag_is_the_quoted_hex_digest() {
        assert_eq!(etag(&[0xab; 32]), format!("\"{}\"", "ab".repeat(32)).as_str());
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison_over_every_listed_tag() {
        let tag = HeaderValue::from_static("\"abc\"");
        assert!(not_modified(&request(&["\"abc\""]), &tag));
        assert!(not_modified(&request(&["W/\"abc\""]), &tag));
        assert!(not_modified(&request(&["\"x\", \"abc\""]), &tag));
        assert!(not_modified(&request(&["\"x\"", "\"abc\""]), &tag));
        assert!(not_modified(&request(&["*"]), &tag));
        assert!(!not_modified(&request(&[]), &tag));
        assert!(!not_modified(&request(&["\"abcd\""]), &tag));
        assert!(!not_modified(&request(&["abc"]), &tag));
    }

    #[test]
    fn a_304_has_no_body_but_keeps_the_validators() {
        let file = WebFile::new(
            Bytes::from_static(b"hello"),
            HeaderValue::from_static("text/plain"),
            &[1; 32],
        );
        let fresh = file.respond(&HeaderMap::new());
        assert_eq!(fresh.status(), StatusCode::OK);
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, file.etag.clone());
        let cached = file.respond(&again);
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(cached.headers()[header::ETAG], file.etag);
        assert_eq!(cached.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(cached.headers().get(header::CONTENT_TYPE).is_none());
    }
}
