//! The job queue port in memory; tests deliver its messages by hand.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{JobQueue, PortError, QueueMessage};

/// A queue in memory; tests take messages out with [`MemoryQueue::drain`], or with their
/// requested delays through [`MemoryQueue::drain_with_delays`]. Nothing waits: a delay is only
/// recorded, so tests of retry schedules run at once.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<VecDeque<(QueueMessage, Option<u32>)>>,
}

impl MemoryQueue {
    /// Removes and returns every queued message, oldest first.
    pub fn drain(&self) -> Vec<QueueMessage> {
        self.drain_with_delays().into_iter().map(|(message, _)| message).collect()
    }

    /// Removes and returns every queued message with the delay it was sent with, oldest first.
    pub fn drain_with_delays(&self) -> Vec<(QueueMessage, Option<u32>)> {
        self.messages.lock().map(|mut q| q.drain(..).collect()).unwrap_or_default()
    }
}

#[async_trait(?Send)]
impl JobQueue for MemoryQueue {
    async fn send(&self, message: &QueueMessage, delay_seconds: Option<u32>) -> Result<(), PortError> {
        // Through JSON, as on a real queue, so a message that does not survive it fails here.
        let json = serde_json::to_value(message).map_err(|e| PortError::invalid("queue", e.to_string()))?;
        let delivered: QueueMessage =
            serde_json::from_value(json).map_err(|e| PortError::invalid("queue", e.to_string()))?;
        self.messages
            .lock()
            .map_err(|_| PortError::unavailable("queue", "lock poisoned"))?
            .push_back((delivered, delay_seconds));
        Ok(())
    }
}
