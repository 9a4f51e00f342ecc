//! Microsecond Unix times as RFC 3339 text, for the reports. A dozen lines of calendar arithmetic
//! instead of a date library: the verifier's dependencies are meant to be few enough to audit.

/// `1790000000123456` → `2026-09-21T14:13:20.123456Z` (UTC, proleptic Gregorian calendar).
pub(crate) fn rfc3339_us(us: i64) -> String {
    let seconds = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

/// A span of microseconds as `1h 02m 03.5s`-style text.
pub(crate) fn duration_us(us: i64) -> String {
    let tenths = us.max(0) / 100_000;
    let (hours, minutes, seconds, tenth) = (tenths / 36_000, tenths / 600 % 60, tenths / 10 % 60, tenths % 10);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}.{tenth}s"),
        (0, _) => format!("{minutes}m {seconds:02}.{tenth}s"),
        _ => format!("{hours}h {minutes:02}m {seconds:02}.{tenth}s"),
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339_us(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(rfc3339_us(1_790_000_000_123_456), "2026-09-21T14:13:20.123456Z");
        assert_eq!(rfc3339_us(-1), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_us(1_250_000), "1.2s");
        assert_eq!(duration_us(62_000_000), "1m 02.0s");
        assert_eq!(duration_us(3_723_500_000), "1h 02m 03.5s");
    }
}
