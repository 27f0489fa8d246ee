//! Time helpers. Due times are compared only against Redis `TIME` (inside scripts); these are
//! for display and for the provider's unix-second timestamps.

use chrono::{DateTime, SecondsFormat, Utc};

/// ISO-8601 in UTC with milliseconds, as JavaScript's `Date.prototype.toISOString` writes it.
pub fn iso8601_from_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now_iso8601() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now_unix_secs() -> i64 {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_javascript() {
        assert_eq!(
            super::iso8601_from_ms(1706176800000),
            "2024-01-25T10:00:00.000Z"
        );
    }
}
