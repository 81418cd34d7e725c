//! The job queue port on a Cloudflare Queue producer.

use async_trait::async_trait;
use edgetube_ports::{JobQueue, PortError, QueueMessage};
use worker::{Queue, QueueContentType, RawMessageBuilder};

/// The queue port on Cloudflare Queues.
pub struct WorkersQueue {
    queue: Queue,
}

impl WorkersQueue {
    pub fn new(queue: Queue) -> Self {
        Self { queue }
    }
}

#[async_trait(?Send)]
impl JobQueue for WorkersQueue {
    async fn send(&self, message: &QueueMessage, delay_seconds: Option<u32>) -> Result<(), PortError> {
        // Through JSON text so maps become plain objects (pull consumers read only `json`).
        let text = serde_json::to_string(message).map_err(|e| PortError::invalid("queue", e.to_string()))?;
        let body =
            js_sys::JSON::parse(&text).map_err(|_| PortError::invalid("queue", "unparsable message"))?;
        let mut builder = RawMessageBuilder::new(body);
        if let Some(delay) = delay_seconds {
            builder = builder.delay_seconds(delay);
        }
        self.queue
            .send_raw(builder.build_with_content_type(QueueContentType::Json))
            .await
            .map_err(|e| PortError::unavailable("queue", e.to_string()))
    }
}
