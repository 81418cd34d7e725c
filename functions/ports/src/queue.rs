//! The job queue port and the one message type every queue carries.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::PortError;

/// Every message the job queue carries, one type so that one consumer can route them all.
///
/// Internally tagged (`{"type": "object_created", ...}`): R2's own notifications have no `type`
/// field, so the platform shell can tell ours from its storage's and translate the latter.
/// Deliberately not `#[non_exhaustive]`: a new kind must fail to compile in the consumer's
/// `match` until it is handled, not be dropped at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QueueMessage {
    /// An object was stored (a put, a copy or a completed multipart upload).
    ObjectCreated(ObjectCreated),
    /// An activity the inbox verified and stored, to apply.
    Inbox(InboxWork),
    /// An activity this instance authored, to deliver to some inboxes.
    Deliver(Delivery),
}

/// Which stored inbox activity to apply, and how many times that was tried before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxWork {
    /// The row that holds it (the activity itself may be larger than a message).
    pub activity: i64,
    /// Earlier attempts; the consumer's own retry schedule counts them.
    pub attempt: u32,
}

/// One stored outbox activity for a few inboxes. Keys never travel in messages: the consumer
/// loads the author's key and signs each request itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The outbox row that holds the activity.
    pub activity: i64,
    /// Inbox URLs, each one request (shared inboxes where the recipients have them).
    pub inboxes: Vec<String>,
    /// Earlier attempts for these inboxes.
    pub attempt: u32,
}

/// An object that now exists in [`Objects`](crate::Objects), as its storage's event or the
/// worker itself (where storage emits no events) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectCreated {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its entity tag, unquoted: with `key`, it names this version of the object.
    pub etag: String,
}

impl ObjectCreated {
    /// The event for an object storage just reported through [`ObjectMeta`](crate::ObjectMeta).
    pub fn from_meta(meta: &crate::ObjectMeta) -> Self {
        Self { key: meta.key.clone(), size: meta.size, etag: meta.http_etag.trim_matches('"').to_owned() }
    }
}

/// The producer side of a job queue (Cloudflare Queues, an in-memory channel in tests).
///
/// Delivery is **at least once**: every consumer must be idempotent.
/// Messages travel as JSON, at most 128 KB each.
#[async_trait(?Send)]
pub trait JobQueue {
    /// Enqueues one message, delivered after `delay_seconds` when given (at most 12 h).
    async fn send(&self, message: &QueueMessage, delay_seconds: Option<u32>) -> Result<(), PortError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_their_kind_beside_their_fields() {
        let message = QueueMessage::ObjectCreated(ObjectCreated {
            key: "uploads/a/source".into(),
            size: 12,
            etag: "abc-2".into(),
        });
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "object_created", "key": "uploads/a/source", "size": 12, "etag": "abc-2"})
        );
        assert_eq!(serde_json::from_value::<QueueMessage>(json).unwrap(), message);
        // Without the tag it is not one of ours (an R2 notification, say).
        let untagged = serde_json::json!({"action": "PutObject", "object": {"key": "k"}});
        assert!(serde_json::from_value::<QueueMessage>(untagged).is_err());
    }

    #[test]
    fn entity_tags_are_stored_unquoted() {
        let meta = crate::ObjectMeta {
            key: "uploads/a/source".into(),
            size: 3,
            http_etag: "\"e-1\"".into(),
            content_type: None,
        };
        assert_eq!(ObjectCreated::from_meta(&meta).etag, "e-1");
    }
}
