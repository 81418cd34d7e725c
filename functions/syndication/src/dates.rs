//! Dates as the feed formats write them, from milliseconds since the epoch.

use chrono::{DateTime, FixedOffset, Utc};

fn utc(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// RSS's RFC 822 date, as JavaScript's `toUTCString()` writes it (PeerTube's).
pub fn rfc2822(millis: i64) -> String {
    utc(millis).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Atom's date type.
pub fn fixed(millis: i64) -> DateTime<FixedOffset> {
    utc(millis).fixed_offset()
}

/// RFC 3339 with milliseconds, JSON Feed's (and PeerTube's) form.
pub fn rfc3339(millis: i64) -> String {
    edgetube_domain::iso8601_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_javascript_writes_them() {
        assert_eq!(rfc2822(1_795_297_812_254), "Sat, 21 Nov 2026 21:50:12 GMT");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(fixed(1000).timestamp(), 1);
    }
}
