//! The rate limiter port and the fixed-window counting both adapters share.

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

    /// Takes back one request that [`hit`](Self::hit) counted for `key` and allowed, once the
    /// caller knows it must not count (a correct video password: only failures are limited).
    ///
    /// `counted` is that hit's decision. Counting first and refunding after is what keeps a
    /// limit exact under concurrency: a check that only looked at the count would let a burst of
    /// parallel attempts through before any of them was counted. A window that has ended since
    /// is left alone: its successor never counted the request.
    async fn refund(&self, key: &str, window_seconds: u32, counted: &RateDecision) -> Result<(), PortError>;
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

    /// Takes back one hit of the window that ends at `reset_at_millis` (see
    /// [`RateLimiter::refund`]); nothing when another window has started since.
    pub fn refund(&mut self, window_seconds: u32, reset_at_millis: i64) {
        if self.count > 0 && self.started_at + i64::from(window_seconds) * 1000 == reset_at_millis {
            self.count -= 1;
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

    #[test]
    fn a_refund_gives_back_a_hit_of_its_own_window_only() {
        let mut window = FixedWindow::default();
        let first = window.hit(1_000, 2, 10);
        window.hit(1_001, 2, 10);
        window.refund(10, first.reset_at_millis);
        assert!(window.hit(1_002, 2, 10).allowed, "the refunded hit no longer counts");
        assert!(!window.hit(1_003, 2, 10).allowed);

        // A hit of an ended window is not taken from the next one.
        let old = window.hit(5_000, 2, 10);
        let new = window.hit(11_000, 2, 10);
        window.refund(10, old.reset_at_millis);
        assert_eq!(window.hit(11_001, 2, 10).remaining, 0, "{new:?}");
    }
}
