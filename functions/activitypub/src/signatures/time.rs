//! Clock rules shared by both schemes: HTTP dates in and out, and the skew window.
//!
//! The clock is always a parameter (`now_ms`, Unix milliseconds): nothing here reads one, so the
//! same request verifies the same way in a test, on a Worker or in a replay.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::SignatureError;

/// The clock skew PeerTube allows on `Date` / `(created)` (`HTTP_SIGNATURE.CLOCK_SKEW_SECONDS`),
/// and the default here.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(1800);

/// The last second httpdate can print (9999-12-31T23:59:59Z): it panics past it.
const LAST_PRINTABLE_S: u64 = 253_402_300_799;

/// `now_ms` in whole seconds, as signed seconds for comparisons with what senders claim.
pub(crate) fn now_s(now_ms: u64) -> i64 {
    i64::try_from(now_ms / 1000).unwrap_or(i64::MAX)
}

/// Unix seconds of an HTTP date (IMF-fixdate, and the two obsolete forms RFC 9110 still reads).
pub(crate) fn parse_http_date(text: &str) -> Result<i64, SignatureError> {
    let invalid = || SignatureError::InvalidDate(text.chars().take(64).collect());
    let time = httpdate::parse_http_date(text).map_err(|_| invalid())?;
    let secs = time.duration_since(UNIX_EPOCH).map_err(|_| invalid())?.as_secs();
    i64::try_from(secs).map_err(|_| invalid())
}

/// `now_ms` as an IMF-fixdate (`Sat, 21 Nov 2026 21:37:10 GMT`), the form PeerTube sends.
pub fn http_date(now_ms: u64) -> Result<String, SignatureError> {
    let secs = now_ms / 1000;
    if secs > LAST_PRINTABLE_S {
        return Err(SignatureError::CannotSign(format!("the clock reading {now_ms} ms is past year 9999")));
    }
    // Adding to UNIX_EPOCH works on every target, wasm32-unknown-unknown included (only
    // `SystemTime::now` does not).
    let time: SystemTime = UNIX_EPOCH + Duration::from_secs(secs);
    Ok(httpdate::fmt_http_date(time))
}

/// Refuses a time (`what` = `date`, `(created)`, `created`) more than `max_skew` away from now,
/// either way: a sender's clock may be ahead of ours as well as behind.
pub(crate) fn check_skew(
    what: &'static str,
    at_s: i64,
    now_ms: u64,
    max_skew: Duration,
) -> Result<(), SignatureError> {
    let now = now_s(now_ms);
    let max_skew_s = max_skew.as_secs();
    let limit = i64::try_from(max_skew_s).unwrap_or(i64::MAX);
    let age = now.saturating_sub(at_s);
    if age > limit {
        return Err(SignatureError::TooOld { what, age_s: age, max_skew_s });
    }
    let ahead = at_s.saturating_sub(now);
    if ahead > limit {
        return Err(SignatureError::InFuture { what, ahead_s: ahead, max_skew_s });
    }
    Ok(())
}

/// Refuses an `expires` time that has passed. No skew is granted: the sender chose the window.
pub(crate) fn check_expires(expires_s: i64, now_ms: u64) -> Result<(), SignatureError> {
    let now = now_s(now_ms);
    if now > expires_s {
        return Err(SignatureError::Expired(now.saturating_sub(expires_s)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let s = parse_http_date("Sat, 21 Nov 2026 21:37:10 GMT").unwrap();
        assert_eq!(
            http_date(u64::try_from(s).unwrap() * 1000 + 999).unwrap(),
            "Sat, 21 Nov 2026 21:37:10 GMT"
        );
        assert!(parse_http_date("yesterday").is_err());
        assert!(parse_http_date("Sun, 21 Nov 2026 21:37:10 GMT").is_err(), "wrong weekday");
        assert!(http_date(u64::MAX).is_err());
    }

    #[test]
    fn skew_is_symmetric_and_inclusive() {
        let now_ms = 10_000_000;
        let skew = Duration::from_secs(1800);
        assert!(check_skew("date", 10_000 - 1800, now_ms, skew).is_ok());
        assert!(check_skew("date", 10_000 + 1800, now_ms, skew).is_ok());
        assert!(matches!(
            check_skew("date", 10_000 - 1801, now_ms, skew),
            Err(SignatureError::TooOld { .. })
        ));
        assert!(matches!(
            check_skew("date", 10_000 + 1801, now_ms, skew),
            Err(SignatureError::InFuture { .. })
        ));
        assert!(check_skew("date", i64::MIN, now_ms, skew).is_err());
        assert!(check_skew("date", i64::MAX, now_ms, skew).is_err());
        assert!(check_expires(10_000, now_ms).is_ok());
        assert_eq!(check_expires(9_999, now_ms), Err(SignatureError::Expired(1)));
    }
}
