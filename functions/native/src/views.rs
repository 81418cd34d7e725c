//! The view counter port in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{PortError, ViewCounter, ViewWindow};

/// View windows in memory; tests move the counts to SQL with [`MemoryViewCounter::take_pending`].
#[derive(Debug, Default)]
pub struct MemoryViewCounter {
    windows: Mutex<HashMap<i64, ViewWindow>>,
}

impl MemoryViewCounter {
    /// Takes every video's not-yet-flushed count.
    pub fn take_pending(&self) -> Vec<(i64, u64)> {
        let Ok(mut windows) = self.windows.lock() else { return Vec::new() };
        windows.iter_mut().map(|(id, w)| (*id, w.take_pending())).filter(|(_, n)| *n > 0).collect()
    }
}

#[async_trait(?Send)]
impl ViewCounter for MemoryViewCounter {
    async fn record(
        &self,
        video_id: i64,
        viewer: &str,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<bool, PortError> {
        let mut windows =
            self.windows.lock().map_err(|_| PortError::unavailable("views", "lock poisoned"))?;
        Ok(windows.entry(video_id).or_default().record(viewer, window_seconds, now_millis))
    }
}
