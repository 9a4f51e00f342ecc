//! tus 1.0.0 protocol plumbing: header names, the version check, and header parsing. The upload
//! handlers themselves are in `uploads.rs`.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

pub const TUS_VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,checksum,termination,expiration";
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

pub static TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
pub static TUS_VERSION_H: HeaderName = HeaderName::from_static("tus-version");
pub static TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
pub static TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
pub static TUS_CHECKSUM_ALGORITHM: HeaderName = HeaderName::from_static("tus-checksum-algorithm");
pub static UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub static UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
pub static UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");
pub static UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
pub static UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");
pub static UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
pub static AMPARO_RECEIPT: HeaderName = HeaderName::from_static("amparo-receipt");

/// Every tus response carries `Tus-Resumable`; every request but OPTIONS must send the version
/// we speak (412 otherwise, with the versions we do).
pub async fn version_check(request: Request, next: Next) -> Response {
    let version_ok = request.method() == Method::OPTIONS
        || request
            .headers()
            .get(&TUS_RESUMABLE)
            .is_some_and(|v| v.as_bytes() == TUS_VERSION.as_bytes());
    let mut response = if version_ok {
        next.run(request).await
    } else {
        axum::response::IntoResponse::into_response(
            ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "Unsupported tus version",
                format!("This server speaks tus {TUS_VERSION}: send Tus-Resumable: {TUS_VERSION}."),
            )
            .with_header(TUS_VERSION_H.clone(), HeaderValue::from_static(TUS_VERSION)),
        )
    };
    response
        .headers_mut()
        .insert(TUS_RESUMABLE.clone(), HeaderValue::from_static(TUS_VERSION));
    response
}

/// A non-negative integer header, if present.
pub fn u64_header(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| ApiError::bad_request(format!("{name} must be a non-negative integer.")))
        })
        .transpose()
}

/// The declared length of a new upload: `Some(n)` from `Upload-Length`, `None` for
/// `Upload-Defer-Length: 1` (a live recording whose end is not known yet).
pub fn declared_length(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let length = u64_header(headers, &UPLOAD_LENGTH)?;
    let deferred = headers.get(&UPLOAD_DEFER_LENGTH);
    match (length, deferred) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "Send either Upload-Length or Upload-Defer-Length, not both.",
        )),
        (Some(n), None) => Ok(Some(n)),
        (None, Some(v)) if v.as_bytes() == b"1" => Ok(None),
        (None, Some(_)) => Err(ApiError::bad_request("Upload-Defer-Length must be 1.")),
        (None, None) => Err(ApiError::bad_request(
            "Send Upload-Length, or Upload-Defer-Length: 1 for a recording whose length is not known yet.",
        )),
    }
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
pub fn metadata(headers: &HeaderMap) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let Some(raw) = headers.get(&UPLOAD_METADATA) else {
        return Ok(Vec::new());
    };
    let raw = raw
        .to_str()
        .map_err(|_| ApiError::bad_request("Upload-Metadata must be ASCII."))?;
    let mut pairs = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ');
        let key = parts.next().unwrap_or_default();
        let value = parts.next();
        if key.is_empty() || parts.next().is_some() || pairs.iter().any(|(k, _)| k == key) {
            return Err(ApiError::bad_request(format!(
                "Upload-Metadata has a malformed or repeated pair: {pair:?}."
            )));
        }
        let value = value
            .map(|v| {
                B64.decode(v)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("Upload-Metadata value for {key:?} is not base64 UTF-8."))
                    })
            })
            .transpose()?;
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

/// Parses `Upload-Checksum: sha256 <base64>`.
pub fn checksum(headers: &HeaderMap) -> Result<Option<[u8; 32]>, ApiError> {
    let Some(value) = headers.get(&UPLOAD_CHECKSUM) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Upload-Checksum must be ASCII."))?;
    let (algorithm, digest) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::bad_request("Upload-Checksum must be: sha256 <base64 digest>."))?;
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(ApiError::bad_request(format!(
            "Checksum algorithm {algorithm:?} is not supported: use sha256."
        )));
    }
    B64.decode(digest.trim())
        .ok()
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("The sha256 digest in Upload-Checksum must be 32 bytes in base64."))
}

/// Whether the request's body is tus data.
pub fn is_offset_stream(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(OFFSET_OCTET_STREAM.as_bytes()))
}

/// 460, tus's status for a checksum mismatch.
pub fn checksum_mismatch() -> ApiError {
    #[allow(clippy::expect_used)]
    // Invariant: 460 is within the valid status range 100..=999.
    let status = StatusCode::from_u16(460).expect("460 is a valid status code");
    ApiError::new(
        status,
        "Checksum mismatch",
        "The chunk's bytes do not match the Upload-Checksum you sent: nothing was stored; send the chunk again.",
    )
}
