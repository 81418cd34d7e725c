use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::PortError;

/// The outcome of counting one request against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateDecision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The limit that was applied.
    pub limit: u32,
    /// Requests left in the current window.
    pub remaining: u32,
    /// When the current window ends, milliseconds since the epoch.
    pub reset_at_millis: i64,
}

/// Counts requests per key in fixed windows (a Durable Object per key on Workers).
///
/// Counts are best effort: a platform may forget a window (an evicted object), which only ever
/// lets more requests through, never fewer.
#[async_trait(?Send)]
pub trait RateLimiter {
    /// Counts one request for `key` against `limit` per `window_seconds`, at time `now_millis`.
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<RateDecision, PortError>;
}

/// One key's fixed window: the counting rule every [`RateLimiter`] implementation shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedWindow {
    started_at: i64,
    count: u32,
}

impl FixedWindow {
    /// Counts one request at `now` and decides on it.
    pub fn hit(&mut self, now: i64, limit: u32, window_seconds: u32) -> RateDecision {
        let window = i64::from(window_seconds) * 1000;
        if self.count == 0 || now >= self.started_at + window || now < self.started_at {
            *self = Self { started_at: now, count: 0 };
        }
        self.count = self.count.saturating_add(1);
        RateDecision {
            allowed: self.count <= limit,
            limit,
            remaining: limit.saturating_sub(self.count),
            reset_at_millis: self.started_at + window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_limit_requests_then_resets() {
        let mut window = FixedWindow::default();
        let decisions: Vec<bool> = (0..4).map(|i| window.hit(1_000 + i, 3, 10).allowed).collect();
        assert_eq!(decisions, [true, true, true, false]);
        let refused = window.hit(5_000, 3, 10);
        assert_eq!((refused.allowed, refused.remaining, refused.reset_at_millis), (false, 0, 11_000));
        let fresh = window.hit(11_000, 3, 10);
        assert_eq!((fresh.allowed, fresh.remaining), (true, 2));
    }
}
