//! `ApiJson<T>`: a JSON body extractor whose errors are problem+json naming the field at fault.
//!
//! axum's own `Json` reports errors as plain text; a person filling in a form needs to know which
//! field to fix, so the path comes from `serde_path_to_error`.

use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("Could not read the body: {}", e.body_text())))?;
        parse(&body).map(ApiJson)
    }
}

/// Parses JSON, naming the field at fault on error.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request(format!("The body is not valid JSON: {inner}"));
        }
        let message = inner.to_string();
        // "missing field `x`" / "unknown field `x`" are reported at the parent's path.
        let named = message.split('`').nth(1).filter(|_| message.contains(" field `"));
        let field = match (path.as_str(), named) {
            (".", Some(name)) => name.to_owned(),
            (parent, Some(name)) if message.starts_with("missing") => format!("{parent}.{name}"),
            _ => path,
        };
        ApiError::invalid_field(&field, format!("{field}: {message}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        username: String,
        age: Option<u8>,
    }

    #[test]
    fn errors_name_the_field() {
        let missing = parse::<Form>(br#"{"age": 3}"#).expect_err("missing username");
        assert!(
            format!("{missing:?}").contains("field: Some(\"username\")"),
            "{missing:?}"
        );
        let wrong = parse::<Form>(br#"{"username": "a", "age": "x"}"#).expect_err("age is a string");
        assert!(format!("{wrong:?}").contains("field: Some(\"age\")"), "{wrong:?}");
        let unknown = parse::<Form>(br#"{"username": "a", "colour": 1}"#).expect_err("unknown field");
        assert!(
            format!("{unknown:?}").contains("field: Some(\"colour\")"),
            "{unknown:?}"
        );
        let syntax = parse::<Form>(b"{").expect_err("not JSON");
        assert_eq!(syntax.status(), StatusCode::BAD_REQUEST);
    }
}
