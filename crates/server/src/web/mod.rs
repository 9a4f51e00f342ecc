//! The browser app, served by the binary that serves the API, from the same origin.
//!
//! - [`fallback`] answers any path no API route claims: an embedded file of `web/` at its own
//!   path (`/` is `index.html`), or the usual problem+json 404. API routes therefore always win,
//!   and nothing under `/api/` is ever a file.
//! - [`routes`] adds three documents computed from the embedded files: `/i18n/index.json`,
//!   `/i18n/report.json` ([`i18n`]) and `/rights/index.json` ([`rights`]).
//! - [`with_security_headers`] puts the same strict headers on every response of the app.
//!
//! These are not API routes: they are left out of the OpenAPI document on purpose.

mod assets;
mod headers;
pub mod i18n;
mod respond;
pub mod rights;

pub use headers::{CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY, security_headers, with_security_headers};

use crate::error::ApiError;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use respond::WebFile;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The generated documents. They take a route each, so an embedded file of the same name (there
/// should be none) could never shadow them.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(
            "/i18n/index.json",
            get(|headers: HeaderMap| async move { I18N_INDEX.respond(&headers) }),
        )
        .route(
            "/i18n/report.json",
            get(|headers: HeaderMap| async move { I18N_REPORT.respond(&headers) }),
        )
        .route(
            "/rights/index.json",
            get(|headers: HeaderMap| async move { RIGHTS_INDEX.respond(&headers) }),
        )
}

/// Everything no route matched: a web file for GET and HEAD, 405 for other methods on a web file,
/// and 404 for the rest.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let Some(file) = assets::find(uri.path()) else {
        return ApiError::not_found("There is nothing at this address.").into_response();
    };
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "This address is part of the app: it can only be read (GET or HEAD).",
        )
        .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD"))
        .into_response();
    }
    file.respond(&headers)
}

/// Computed on first use from the embedded files, which cannot change while the server runs.
static I18N: LazyLock<i18n::Report> = LazyLock::new(|| {
    let files: Vec<(String, std::borrow::Cow<'static, [u8]>)> = assets::names()
        .iter()
        .filter_map(|name| {
            let code = i18n::language_code(name)?;
            Some((code.to_owned(), assets::bytes(name)?))
        })
        .collect();
    let report = i18n::report(files.iter().map(|(code, text)| (code.as_str(), text.as_ref())));
    if let Some(error) = &report.error {
        tracing::error!(%error, "the app's reference translation is unusable");
    }
    report
});

static I18N_INDEX: LazyLock<WebFile> = LazyLock::new(|| json_file(&I18N.index()));
static I18N_REPORT: LazyLock<WebFile> = LazyLock::new(|| json_file(&*I18N));
static RIGHTS_INDEX: LazyLock<WebFile> =
    LazyLock::new(|| json_file(&rights::index(assets::names().iter().map(String::as_str))));

/// A generated document as a web file, with an ETag like any other so the app can revalidate it.
fn json_file(document: &impl Serialize) -> WebFile {
    // These documents are maps of strings and numbers: serializing them cannot fail.
    let body = serde_json::to_vec(document).unwrap_or_default();
    let sha256: [u8; 32] = Sha256::digest(&body).into();
    WebFile::new(Bytes::from(body), HeaderValue::from_static("application/json"), &sha256)
}
