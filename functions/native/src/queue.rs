use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{JobQueue, PortError};

/// A queue in memory; tests take messages out with [`MemoryQueue::drain`].
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<VecDeque<serde_json::Value>>,
}

impl MemoryQueue {
    /// Removes and returns every queued message, oldest first.
    pub fn drain(&self) -> Vec<serde_json::Value> {
        self.messages.lock().map(|mut q| q.drain(..).collect()).unwrap_or_default()
    }
}

#[async_trait(?Send)]
impl JobQueue for MemoryQueue {
    async fn send(&self, message: serde_json::Value, _delay_seconds: Option<u32>) -> Result<(), PortError> {
        self.messages
            .lock()
            .map_err(|_| PortError::unavailable("queue", "lock poisoned"))?
            .push_back(message);
        Ok(())
    }
}
