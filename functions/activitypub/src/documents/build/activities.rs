//! The activities we send, as PeerTube 7 sends them (`peertube-samples/deliveries/`).
//!
//! Every activity is `@context, [to, cc,] type, id, actor, object`, then its own fields. Follow,
//! Accept and Reject carry no audience; the others take an [`Audience`]. Ids follow PeerTube's
//! URL scheme where it has one (the `*_id` helpers), so that remote servers can dereference them.

use serde_json::{json, Map, Value};

use super::{with_context, Audience};
use crate::documents::context;

/// A Follow, whether ours or one we accept: what Accept, Reject and Undo embed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowRef<'a> {
    /// The Follow's `id`.
    pub id: &'a str,
    /// Who follows.
    pub actor: &'a str,
    /// Who is followed.
    pub object: &'a str,
}

/// `Follow` (base context, no audience).
pub fn follow(follow: &FollowRef<'_>) -> Value {
    with_context(context::base(), follow_object(follow))
}

/// The Follow as embedded in Accept, Reject and Undo: `type, id, actor, object`.
pub fn follow_object(follow: &FollowRef<'_>) -> Value {
    Value::Object(envelope(None, "Follow", follow.id, follow.actor, follow.object.into()))
}

/// `Accept{Follow}` by `actor`, the followed one (PeerTube's id: `<origin>/accepts/follows/<n>`).
pub fn accept(id: &str, actor: &str, follow: &FollowRef<'_>) -> Value {
    with_context(context::base(), Value::Object(envelope(None, "Accept", id, actor, follow_object(follow))))
}

/// `Reject{Follow}` by `actor`, the followed one.
pub fn reject(id: &str, actor: &str, follow: &FollowRef<'_>) -> Value {
    with_context(context::base(), Value::Object(envelope(None, "Reject", id, actor, follow_object(follow))))
}

/// `Undo` of `undone` (a Follow from [`follow_object`], or a Like, Dislike or Announce built
/// here): its `@context`, `signature` and `proof` are dropped, the rest embedded as is.
/// PeerTube addresses an Undo with [`Audience::public`] of the actor's followers.
pub fn undo(id: &str, actor: &str, audience: &Audience, undone: &Value) -> Value {
    let mut object = undone.clone();
    if let Value::Object(map) = &mut object {
        for key in ["@context", "signature", "proof"] {
            map.shift_remove(key);
        }
    }
    with_context(context::base(), Value::Object(envelope(Some(audience), "Undo", id, actor, object)))
}

/// `Announce` of `object` (a video id) by `actor` (a channel or the instance actor), addressed
/// to [`Audience::followers_of`] the actors involved; id from [`announce_id`].
pub fn announce(id: &str, actor: &str, audience: &Audience, object: &str) -> Value {
    simple("Announce", id, actor, audience, object)
}

/// `Like` of a video (PeerTube's id: `<actor>/likes/<video id>`).
pub fn like(id: &str, actor: &str, audience: &Audience, object: &str) -> Value {
    simple("Like", id, actor, audience, object)
}

/// `Dislike` of a video (PeerTube's id: `<actor>/dislikes/<video id>`).
pub fn dislike(id: &str, actor: &str, audience: &Audience, object: &str) -> Value {
    simple("Dislike", id, actor, audience, object)
}

/// `View` of a video, with the View context; `expires` marks a viewer still watching.
pub fn view(id: &str, actor: &str, audience: &Audience, object: &str, expires: Option<&str>) -> Value {
    let mut map = envelope(Some(audience), "View", id, actor, object.into());
    if let Some(expires) = expires {
        map.insert("expires".into(), expires.into());
    }
    with_context(context::view(), Value::Object(map))
}

/// `Delete` of `object`: a video or comment id (`Value::String`), or a `Tombstone` (see
/// [`tombstone`](super::note::tombstone)). PeerTube addresses a video's Delete to
/// [`Audience::followers_of`] the actors involved; id from [`delete_id`].
pub fn delete(id: &str, actor: &str, audience: &Audience, object: Value) -> Value {
    with_context(context::base(), Value::Object(envelope(Some(audience), "Delete", id, actor, object)))
}

/// What a `Flag` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagReport<'a> {
    /// The reported objects (videos, comments, accounts).
    pub objects: &'a [&'a str],
    /// The report's text.
    pub content: &'a str,
    /// Reasons from [`FLAG_REASONS`](crate::documents::FLAG_REASONS).
    pub reasons: &'a [&'a str],
    /// Start of the reported part of a video, in seconds.
    pub start_at: Option<u64>,
    /// End of it.
    pub end_at: Option<u64>,
}

/// `Flag`: `object` lists the reported objects, `tag` the reasons as Hashtags.
pub fn flag(id: &str, actor: &str, audience: &Audience, report: &FlagReport<'_>) -> Value {
    let mut map = envelope(Some(audience), "Flag", id, actor, report.objects.into());
    map.insert("content".into(), report.content.into());
    let tags = report.reasons.iter().map(|reason| json!({"type": "Hashtag", "name": reason})).collect();
    map.insert("tag".into(), Value::Array(tags));
    if let Some(start) = report.start_at {
        map.insert("startAt".into(), start.into());
    }
    if let Some(end) = report.end_at {
        map.insert("endAt".into(), end.into());
    }
    with_context(context::base(), Value::Object(map))
}

/// The id of `actor_key`'s Announce of `video`: `<video>/announces/<actor_key>` (PeerTube uses the
/// announcing actor's database id as the key).
pub fn announce_id(video: &str, actor_key: &str) -> String {
    format!("{video}/announces/{actor_key}")
}

/// The id of the Undo of `activity`: `<activity>/undo`.
pub fn undo_id(activity: &str) -> String {
    format!("{activity}/undo")
}

/// The id of the Delete of `object`: `<object>/delete`.
pub fn delete_id(object: &str) -> String {
    format!("{object}/delete")
}

/// An activity with only an object id.
fn simple(kind: &str, id: &str, actor: &str, audience: &Audience, object: &str) -> Value {
    with_context(context::base(), Value::Object(envelope(Some(audience), kind, id, actor, object.into())))
}

/// `[to, cc,] type, id, actor, object`.
pub(crate) fn envelope(
    audience: Option<&Audience>,
    kind: &str,
    id: &str,
    actor: &str,
    object: Value,
) -> Map<String, Value> {
    let mut map = Map::new();
    if let Some(audience) = audience {
        audience.write(&mut map);
    }
    map.insert("type".into(), kind.into());
    map.insert("id".into(), id.into());
    map.insert("actor".into(), actor.into());
    map.insert("object".into(), object);
    map
}
