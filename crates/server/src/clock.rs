//! Wall-clock time as the store keeps it: microseconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_us() -> i64 {
    // A clock before 1970 or past the year 294,247 is a broken machine; 0 keeps us running.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// RFC 3339 text for a stored time, for people and JSON.
pub fn rfc3339(us: i64) -> String {
    let nanos = i128::from(us) * 1_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| us.to_string())
}

/// RFC 9110 HTTP-date, for tus's `Upload-Expires`.
pub fn http_date(us: i64) -> String {
    let secs = u64::try_from(us.max(0) / 1_000_000).unwrap_or(0);
    httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Sleeps until `deadline_us` (microseconds since the Unix epoch; at once if it is past), or
/// forever when there is none: the timer arm of a dispatcher's loop, which ticks its state
/// machine at the machine's next deadline.
pub async fn sleep_until_us(deadline_us: Option<i64>) {
    match deadline_us {
        Some(at) => {
            let wait = u64::try_from(at.saturating_sub(now_us())).unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_micros(wait)).await;
        }
        None => std::future::pending().await,
    }
}
