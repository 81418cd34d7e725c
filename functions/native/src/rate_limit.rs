//! The rate limiter port in memory, with the fixed windows the Durable Object uses.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{FixedWindow, PortError, RateDecision, RateLimiter};

/// Fixed windows in a hash map, one per key.
#[derive(Debug, Default)]
pub struct MemoryRateLimiter {
    windows: Mutex<HashMap<String, FixedWindow>>,
}

#[async_trait(?Send)]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<RateDecision, PortError> {
        let mut windows =
            self.windows.lock().map_err(|_| PortError::unavailable("rate_limiter", "lock poisoned"))?;
        Ok(windows.entry(key.to_owned()).or_default().hit(now_millis, limit, window_seconds))
    }

    async fn refund(&self, key: &str, window_seconds: u32, counted: &RateDecision) -> Result<(), PortError> {
        let mut windows =
            self.windows.lock().map_err(|_| PortError::unavailable("rate_limiter", "lock poisoned"))?;
        if let Some(window) = windows.get_mut(key) {
            window.refund(window_seconds, counted.reset_at_millis);
        }
        Ok(())
    }
}
