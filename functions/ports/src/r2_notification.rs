//! R2's event notification messages, translated into [`QueueMessage`]s.
//!
//! Only the Cloudflare shell calls this: the core never sees a bucket name or an R2 action.
//! It lives here rather than in `edgetube-cloudflare` because that crate builds only for
//! `wasm32-unknown-unknown`, where its tests cannot run on the host; this translation is pure, so
//! it sits where `cargo test` reaches it, and the shell stays wiring only.

use serde::Deserialize;

use crate::{ObjectCreated, QueueMessage};

/// The message R2 sends to a queue (`…/r2/buckets/event-notifications/`), the fields we read.
#[derive(Debug, Clone, Deserialize)]
pub struct R2Notification {
    /// `PutObject`, `CopyObject`, `CompleteMultipartUpload`, `DeleteObject`, `LifecycleDeletion`...
    pub action: String,
    /// The object concerned.
    pub object: R2NotificationObject,
}

/// The object of an [`R2Notification`].
#[derive(Debug, Clone, Deserialize)]
pub struct R2NotificationObject {
    /// Its key.
    pub key: String,
    /// Its size (absent on deletions).
    #[serde(default)]
    pub size: Option<u64>,
    /// Its entity tag (absent on deletions).
    #[serde(rename = "eTag", default)]
    pub etag: Option<String>,
}

/// What the shell does with one raw queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Translated {
    /// Hand this to the core.
    Message(QueueMessage),
    /// Acknowledge and log: nothing for the core (a deletion, an unknown shape).
    Ignore(&'static str),
}

/// Our own tagged messages pass through unchanged; R2's object-create notifications become
/// [`QueueMessage::ObjectCreated`]; anything else is ignored with a reason.
pub fn translate(raw: &serde_json::Value) -> Translated {
    if let Ok(message) = QueueMessage::deserialize(raw) {
        return Translated::Message(message);
    }
    let Ok(notification) = R2Notification::deserialize(raw) else {
        return Translated::Ignore("neither one of our messages nor an R2 notification");
    };
    if !matches!(notification.action.as_str(), "PutObject" | "CopyObject" | "CompleteMultipartUpload") {
        return Translated::Ignore("not an object creation");
    }
    let object = notification.object;
    match (object.size, object.etag) {
        (Some(size), Some(etag)) => Translated::Message(QueueMessage::ObjectCreated(ObjectCreated {
            key: object.key,
            size,
            // R2 sends it bare; strip quotes anyway so it matches `ObjectCreated::from_meta`.
            etag: etag.trim_matches('"').to_owned(),
        })),
        _ => Translated::Ignore("an object creation without size or entity tag"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn created(key: &str, size: u64, etag: &str) -> Translated {
        Translated::Message(QueueMessage::ObjectCreated(ObjectCreated {
            key: key.into(),
            size,
            etag: etag.into(),
        }))
    }

    #[test]
    fn object_creations_as_cloudflare_documents_them() {
        let mut from_r2 = json!({
            "account": "3f4b7e3dcab231cbfdaa90a6a28bd548",
            "action": "CompleteMultipartUpload",
            "bucket": "edgetube-media",
            "object": {"key": "uploads/abc/source", "size": 123_456_789, "eTag": "e8ba6fa8d6ab8c9d4d1d5c1b3b8e8c2a-24"},
            "eventTime": "2026-11-22T01:36:44.379Z"
        });
        assert_eq!(
            translate(&from_r2),
            created("uploads/abc/source", 123_456_789, "e8ba6fa8d6ab8c9d4d1d5c1b3b8e8c2a-24")
        );
        for action in ["PutObject", "CopyObject"] {
            from_r2["action"] = json!(action);
            assert!(matches!(translate(&from_r2), Translated::Message(_)), "{action}");
        }
        // A copy carries its source too; it changes nothing.
        from_r2["copySource"] = json!({"bucket": "other", "object": "x"});
        assert!(matches!(translate(&from_r2), Translated::Message(_)));
    }

    #[test]
    fn deletions_and_strangers_are_ignored() {
        let deleted = json!({"account": "a", "action": "DeleteObject", "bucket": "edgetube-media",
                             "object": {"key": "uploads/abc/source"}, "eventTime": "2026-11-22T01:40:00.000Z"});
        assert_eq!(translate(&deleted), Translated::Ignore("not an object creation"));
        let lifecycle = json!({"action": "LifecycleDeletion", "object": {"key": "k"}});
        assert_eq!(translate(&lifecycle), Translated::Ignore("not an object creation"));
        assert!(matches!(translate(&json!({"hello": "world"})), Translated::Ignore(_)));
        assert!(matches!(translate(&json!("text")), Translated::Ignore(_)));
        let no_etag = json!({"action": "PutObject", "object": {"key": "k", "size": 1}});
        assert!(matches!(translate(&no_etag), Translated::Ignore(_)));
    }

    #[test]
    fn our_own_messages_pass_through() {
        let ours = json!({"type": "object_created", "key": "uploads/x/source", "size": 5, "etag": "e"});
        assert_eq!(translate(&ours), created("uploads/x/source", 5, "e"));
    }
}
