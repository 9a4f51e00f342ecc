//! Checks on values people send, each with a message that says how to fix it.

use crate::error::ApiError;

const US_STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
];

pub fn us_state(text: &str) -> Result<String, ApiError> {
    let code = text.trim().to_ascii_uppercase();
    if US_STATES.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(ApiError::invalid_field(
            "us_state",
            format!("{text:?} is not a US state: use its two-letter code, like CA or TX."),
        ))
    }
}

/// A BCP 47 tag, loosely: letters, digits and hyphens, starting with a 2–3 letter language.
pub fn language(text: &str) -> Result<String, ApiError> {
    let tag = text.trim();
    let primary = tag.split('-').next().unwrap_or_default();
    let ok = tag.len() <= 35
        && (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && tag
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(tag.to_owned())
    } else {
        Err(ApiError::invalid_field(
            "language",
            format!("{text:?} is not a language tag: use one like es, en or ht."),
        ))
    }
}

pub fn note(text: &str) -> Result<String, ApiError> {
    if text.chars().count() > 4_000 {
        return Err(ApiError::invalid_field(
            "note",
            "The note is too long: at most 4,000 characters.",
        ));
    }
    Ok(text.to_owned())
}

pub fn location(latitude: f64, longitude: f64, accuracy_m: Option<f64>) -> Result<(), ApiError> {
    if !(latitude.is_finite() && (-90.0..=90.0).contains(&latitude)) {
        return Err(ApiError::invalid_field(
            "location.latitude",
            "Latitude must be between -90 and 90.",
        ));
    }
    if !(longitude.is_finite() && (-180.0..=180.0).contains(&longitude)) {
        return Err(ApiError::invalid_field(
            "location.longitude",
            "Longitude must be between -180 and 180.",
        ));
    }
    if accuracy_m.is_some_and(|a| !(a.is_finite() && a >= 0.0)) {
        return Err(ApiError::invalid_field(
            "location.accuracy_m",
            "Accuracy must be a distance in metres, 0 or more.",
        ));
    }
    Ok(())
}

/// 3–64 characters of letters, digits, `.`, `_`, `-`: no email needed, nothing to trace.
pub fn username(text: &str) -> Result<String, ApiError> {
    let ok = (3..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(ApiError::invalid_field(
            "username",
            "A username is 3 to 64 letters, digits, dots, dashes or underscores.",
        ))
    }
}

pub fn password(text: &str) -> Result<(), ApiError> {
    let length = text.chars().count();
    if !(10..=1_024).contains(&length) {
        return Err(ApiError::invalid_field(
            "password",
            "A password is 10 to 1,024 characters: a few words make a strong one.",
        ));
    }
    Ok(())
}
