//! The files of `web/`, embedded in the binary, and how a request path finds one.
//!
//! Every build carries the whole app (rust-embed's `debug-embed`), so a self-hoster copies one
//! file, nothing can drift between the server and the app it serves, and the tests (debug
//! builds) exercise exactly the bytes a release ships. `build.rs` rebuilds when `web/` changes.
//! Notes for translators and organizations (`*.md`) stay in the repository, not on the site.

use super::respond::WebFile;
use axum::http::{HeaderName, HeaderValue};
use bytes::Bytes;
use rust_embed::RustEmbed;
use std::borrow::Cow;

#[derive(RustEmbed)]
#[folder = "../../web"]
#[exclude = "*.md"]
struct Files;

/// The file sent for `/`.
const INDEX: &str = "index.html";

/// The service worker: it must live at the root and say so, or it could not control `/`.
const SERVICE_WORKER: &str = "sw.js";

/// The embedded file a request path names, ready to send, or `None`.
pub(crate) fn find(path: &str) -> Option<WebFile> {
    let name = file_name(path)?;
    let file = Files::get(name)?;
    let content_type = content_type(name, file.metadata.mimetype());
    let body = match file.data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    };
    let mut web_file = WebFile::new(body, content_type, &file.metadata.sha256_hash());
    if name == SERVICE_WORKER {
        web_file.extra.push((
            HeaderName::from_static("service-worker-allowed"),
            HeaderValue::from_static("/"),
        ));
    }
    Some(web_file)
}

/// The names of every embedded file (`lib/api.js`, `i18n/en.json`, ...), sorted.
pub(crate) fn names() -> Vec<String> {
    let mut names: Vec<String> = Files::iter().map(Cow::into_owned).collect();
    names.sort();
    names
}

/// The bytes of one embedded file, for the documents computed from the app's own files.
pub(crate) fn bytes(name: &str) -> Option<Cow<'static, [u8]>> {
    Files::get(name).map(|file| file.data)
}

/// The embedded file name a request path names, or `None` for anything that cannot be one.
///
/// This is the one gate between a URL and the embedded files, so it
/// accepts only plain names: segments of ASCII letters, digits, `-`, `_` and `.`, none empty and
/// none starting with a dot. That leaves no way to spell `..`, an absolute path, a backslash or a
/// percent-encoded anything, and keeps dotfiles (editor backups, `.git`) private. Nothing under
/// `/api/` is ever a web file: an unknown API path must stay a problem+json 404.
pub(crate) fn file_name(path: &str) -> Option<&str> {
    if path == "/" {
        return Some(INDEX);
    }
    let name = path.strip_prefix('/')?;
    let first = name.split('/').next()?;
    if first == "api" {
        return None;
    }
    name.split('/').all(is_plain_segment).then_some(name)
}

fn is_plain_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('.')
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The `Content-Type` for a file: fixed for the kinds the app is made of (browsers refuse a module
/// script or a manifest with the wrong type, and text needs its charset), `mime_guess` otherwise.
pub(crate) fn content_type(name: &str, guessed: &str) -> HeaderValue {
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase());
    let known = match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt") => "text/plain; charset=utf-8",
        Some("ico") => "image/x-icon",
        _ => "",
    };
    if !known.is_empty() {
        return HeaderValue::from_static(known);
    }
    // The app's text is UTF-8; without a charset a browser may guess another one.
    let guessed = if guessed.starts_with("text/") && !guessed.contains("charset") {
        format!("{guessed}; charset=utf-8")
    } else {
        guessed.to_owned()
    };
    HeaderValue::from_str(&guessed).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_name_files() {
        assert_eq!(file_name("/"), Some("index.html"));
        assert_eq!(file_name("/app.js"), Some("app.js"));
        assert_eq!(file_name("/lib/api.js"), Some("lib/api.js"));
        assert_eq!(file_name("/rights/en/home.txt"), Some("rights/en/home.txt"));
        assert_eq!(file_name("/manifest.webmanifest"), Some("manifest.webmanifest"));
    }

    #[test]
    fn nothing_else_does() {
        for path in [
            "",
            "app.js",
            "/api",
            "/api/",
            "/api/v1/nope",
            "//etc/passwd",
            "/..",
            "/../Cargo.toml",
            "/lib/../../Cargo.toml",
            "/..%2fCargo.toml",
            "/%2e%2e/Cargo.toml",
            "/lib/",
            "/lib//api.js",
            "/./app.js",
            "/.git/config",
            "/lib/.api.js.swp",
            "/lib\\api.js",
            "/C:/windows",
            "/app.js?x=1",
            "/ü.js",
        ] {
            assert_eq!(file_name(path), None, "{path:?}");
        }
    }

    #[test]
    fn the_app_s_file_kinds_get_exact_types() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("lib/x.mjs", "text/javascript; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("i18n/en.json", "application/json"),
            ("manifest.webmanifest", "application/manifest+json"),
            ("icon.svg", "image/svg+xml"),
            ("icon.png", "image/png"),
            ("rights/en/home.txt", "text/plain; charset=utf-8"),
            ("favicon.ico", "image/x-icon"),
            ("APP.JS", "text/javascript; charset=utf-8"),
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(name, "application/octet-stream"), expected, "{name}");
        }
    }

    #[test]
    fn other_kinds_fall_back_to_the_guess_with_a_charset_for_text() {
        assert_eq!(content_type("font.woff2", "font/woff2"), "font/woff2");
        assert_eq!(
            content_type("notes.md", "text/markdown"),
            "text/markdown; charset=utf-8"
        );
        assert_eq!(
            content_type("README", "application/octet-stream"),
            "application/octet-stream"
        );
    }
}
