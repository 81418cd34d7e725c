//! Our comments: the `Note` PeerTube serves at `<video>/comments/<id>`
//! (`peertube-samples/activitypub/comment-note*.json`), its `Create`, and the `Tombstone` of a
//! deleted one.

use serde_json::{json, Map, Value};

use super::activities::envelope;
use super::{with_context, Audience};
use crate::documents::context;

/// What the instance knows of a comment, for its Note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteInput {
    /// The comment's id (`<video>/comments/<n>`), also its `url`.
    pub id: String,
    /// The text, in markdown.
    pub content: String,
    /// The video, or the comment answered.
    pub in_reply_to: String,
    /// The author's actor id.
    pub attributed_to: String,
    /// `published`.
    pub published: String,
    /// `updated`.
    pub updated: String,
    /// `to` and `cc`. PeerTube addresses a comment `to` Public and `cc` the followers of the
    /// author and of the video's actors, plus the authors answered.
    pub audience: Audience,
    /// Mentioned actors.
    pub mentions: Vec<MentionInput>,
}

/// A `Mention` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionInput {
    /// The actor's id.
    pub href: String,
    /// `@name@host`.
    pub name: String,
}

/// What remains of a deleted comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TombstoneInput {
    /// The comment's id.
    pub id: String,
    /// What it answered.
    pub in_reply_to: String,
    /// When it was published.
    pub published: String,
    /// When it was last updated.
    pub updated: String,
    /// When it was deleted.
    pub deleted: String,
}

/// The Note served at its id: [`note_object`] with the comment context first.
pub fn note_document(note: &NoteInput) -> Value {
    with_context(context::comment(), note_object(note))
}

/// `Create{Note}` by the author: id `<comment>/activity`, the note's audience.
pub fn create_note(note: &NoteInput) -> Value {
    let id = format!("{}/activity", note.id);
    let map = envelope(Some(&note.audience), "Create", &id, &note.attributed_to, note_object(note));
    with_context(context::comment(), Value::Object(map))
}

/// The Note without `@context`, as embedded in `Create`.
pub fn note_object(note: &NoteInput) -> Value {
    let mut map = Map::new();
    note.audience.write(&mut map);
    map.insert("type".into(), "Note".into());
    map.insert("id".into(), note.id.clone().into());
    map.insert("content".into(), note.content.clone().into());
    map.insert("mediaType".into(), "text/markdown".into());
    map.insert("inReplyTo".into(), note.in_reply_to.clone().into());
    map.insert("updated".into(), note.updated.clone().into());
    map.insert("published".into(), note.published.clone().into());
    map.insert("url".into(), note.id.clone().into());
    map.insert("attributedTo".into(), note.attributed_to.clone().into());
    map.insert("replyApproval".into(), format!("{}/approve-reply", note.id).into());
    let tags = note
        .mentions
        .iter()
        .map(|mention| json!({"type": "Mention", "href": mention.href, "name": mention.name}))
        .collect();
    map.insert("tag".into(), Value::Array(tags));
    Value::Object(map)
}

/// The `Tombstone` of a deleted comment (no `@context`: embed it in a `Delete`, or wrap it with
/// [`with_context`] and [`context::comment`] to serve it).
pub fn tombstone(tombstone: &TombstoneInput) -> Value {
    json!({
        "type": "Tombstone",
        "id": tombstone.id,
        "formerType": "Note",
        "inReplyTo": tombstone.in_reply_to,
        "published": tombstone.published,
        "updated": tombstone.updated,
        "deleted": tombstone.deleted,
    })
}
