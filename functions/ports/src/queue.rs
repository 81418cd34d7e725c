use async_trait::async_trait;

use crate::PortError;

/// The producer side of a job queue (Cloudflare Queues, an in-memory channel in tests).
///
/// Delivery is **at least once**: every consumer must be idempotent.
/// Messages are JSON, at most 128 KB each.
#[async_trait(?Send)]
pub trait JobQueue {
    /// Enqueues one message, delivered after `delay_seconds` when given (at most 12 h).
    async fn send(&self, message: serde_json::Value, delay_seconds: Option<u32>) -> Result<(), PortError>;
}
