//! Security headers on every response the server sends: the app's pages, its API answers and its
//! errors alike.
//!
//! The app records police encounters on a phone someone else may grab, and its server holds the
//! evidence, so the browser is told to trust nothing but this origin: no third-party script,
//! style, font or connection, no framing (clickjacking), no `<base>` or plugin tricks, no MIME
//! sniffing, no referrer leaking an encounter's address to another site, and camera, microphone
//! and location for this origin only. Applied once as a layer, a new route cannot forget them;
//! `if_not_present` lets a handler that truly needs something else say so.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// Only our own origin, for everything. `img-src`/`media-src` also allow `blob:` (the recording
/// being previewed) and `data:` images; `worker-src 'self'` is the service worker that keeps the
/// app working offline.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; \
    manifest-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
    form-action 'self'";

/// Camera, microphone and location are what the app is for, and only the app may ask for them.
pub const PERMISSIONS_POLICY: &str = "camera=(self), microphone=(self), geolocation=(self)";

/// Every security header, as `(name, value)`.
pub fn security_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ),
        // A window this app opens, or one that opened it, gets no handle on it.
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ]
}

/// `router` with [`security_headers`] added to each response that does not already set them.
/// Call it last in `app()`, so that it wraps the fallback and the panic handler as well.
pub fn with_security_headers<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    security_headers().into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_a_single_line_and_allows_no_other_origin() {
        let policy = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
        let policy = policy.to_str().expect("ASCII");
        assert!(!policy.contains("  ") && !policy.contains('\n'), "{policy}");
        for directive in policy.split("; ") {
            for source in directive.split(' ').skip(1) {
                assert!(
                    ["'self'", "'none'", "data:", "blob:"].contains(&source),
                    "{directive} allows {source}"
                );
            }
        }
        assert!(policy.starts_with("default-src 'self'; script-src 'self';"));
        assert!(policy.ends_with("frame-ancestors 'none'; form-action 'self'"));
    }
}
