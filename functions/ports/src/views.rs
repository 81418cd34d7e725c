//! The view counter port and the counting window both adapters share.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::PortError;

/// Counts video views once per viewer per window, and hands the counts to SQL in aggregate:
/// a popular video must not cost one database write per view.
///
/// Counts reach the `videos.views` column later (seconds on Workers, when the test flushes
/// natively); a platform may lose a not-yet-flushed count on a crash, never double it.
#[async_trait(?Send)]
pub trait ViewCounter {
    /// Records that `viewer` (an opaque, already hashed key) watched `video_id` at `now_millis`.
    /// Returns whether it counted, i.e. the viewer had not been counted within `window_seconds`.
    async fn record(
        &self,
        video_id: i64,
        viewer: &str,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<bool, PortError>;
}

/// One video's dedupe window and not-yet-flushed count: the rule every [`ViewCounter`] shares.
#[derive(Debug, Default, Clone)]
pub struct ViewWindow {
    counted_until: HashMap<String, i64>,
    pending: u64,
}

/// Above this many remembered viewers, expired ones are dropped on the next record.
const PRUNE_ABOVE: usize = 10_000;

impl ViewWindow {
    /// Records a view; `true` when it counts.
    pub fn record(&mut self, viewer: &str, window_seconds: u32, now: i64) -> bool {
        if self.counted_until.len() > PRUNE_ABOVE {
            self.counted_until.retain(|_, until| *until > now);
        }
        match self.counted_until.get(viewer) {
            Some(until) if *until > now => false,
            _ => {
                self.counted_until.insert(viewer.to_owned(), now + i64::from(window_seconds) * 1000);
                self.pending += 1;
                true
            }
        }
    }

    /// Takes the views counted since the last flush.
    pub fn take_pending(&mut self) -> u64 {
        std::mem::take(&mut self.pending)
    }

    /// Puts back views whose flush failed.
    pub fn restore_pending(&mut self, views: u64) {
        self.pending += views;
    }

    /// Views counted and not flushed yet.
    pub fn pending(&self) -> u64 {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_counts_once_per_window() {
        let mut window = ViewWindow::default();
        assert!(window.record("a", 3600, 0));
        assert!(!window.record("a", 3600, 1_000));
        assert!(window.record("b", 3600, 1_000));
        assert!(window.record("a", 3600, 3_600_000));
        assert_eq!(window.take_pending(), 3);
        assert_eq!(window.take_pending(), 0);
        window.restore_pending(2);
        assert_eq!(window.pending(), 2);
    }
}
