//! The retry schedule shared by deliveries and inbox processing: exponential from a base delay,
//! capped, and given up only after more than a day of trying.
//!
//! PeerTube sends a broadcast once and drops it; Mastodon retries for days. We keep trying for at
//! least 24 h so a peer that is down overnight still gets everything, then keep the rest as dead
//! letters an admin can replay. The base is configurable so tests can run the whole schedule in
//! seconds (`FEDERATION_RETRY_BASE_SECONDS`).

/// The longest single wait is this many base delays (6 h at the default 60 s base).
const CAP_IN_BASES: u64 = 360;

/// The total wait before giving up is at least this many base delays (24 h at a 60 s base).
const GIVE_UP_AFTER_BASES: u64 = 1440;

/// When to try again, from a base delay in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    /// The first retry's delay, in seconds.
    pub base_seconds: u32,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self { base_seconds: 60 }
    }
}

impl RetrySchedule {
    /// The delay after the `attempt`-th failure (0 for the first), or `None` when the attempts
    /// so far have already waited past the give-up horizon: the work becomes a dead letter.
    pub fn after_failure(self, attempt: u32) -> Option<u32> {
        let waited: u64 = (0..attempt).map(|n| self.delay(n)).sum();
        (waited < GIVE_UP_AFTER_BASES * u64::from(self.base_seconds.max(1)))
            .then(|| u32::try_from(self.delay(attempt)).unwrap_or(u32::MAX))
    }

    fn delay(self, attempt: u32) -> u64 {
        let base = u64::from(self.base_seconds.max(1));
        base.saturating_mul(1_u64 << attempt.min(20)).min(base * CAP_IN_BASES)
    }

    /// How many attempts the schedule makes in all (the first and every retry).
    pub fn attempts(self) -> u32 {
        (0..).find(|n| self.after_failure(*n).is_none()).unwrap_or(u32::MAX).saturating_add(1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_base_then_caps_at_six_hours() {
        let schedule = RetrySchedule::default();
        let delays: Vec<u32> = (0..12).map(|n| schedule.after_failure(n).unwrap()).collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600, 21600]);
    }

    #[test]
    fn gives_up_only_after_a_day_of_waiting() {
        for base in [1, 60, 300] {
            let schedule = RetrySchedule { base_seconds: base };
            let retries = schedule.attempts() - 1;
            let waited: u64 = (0..retries).map(|n| u64::from(schedule.after_failure(n).unwrap())).sum();
            assert!(waited >= 1440 * u64::from(base), "base {base}: gave up after {waited} s");
            assert!(schedule.after_failure(retries).is_none());
            // Never a wait longer than a queue accepts (12 h).
            assert!((0..retries).all(|n| schedule.after_failure(n).unwrap() <= 43_200 || base > 120));
        }
        // Waits of 1, 2, 4 … 256 bases then 360: the 12th retry starts after 1231 bases (< 1440),
        // the 13th would after 1591. So the first attempt and 12 retries.
        assert_eq!(RetrySchedule::default().attempts(), 13);
    }
}
