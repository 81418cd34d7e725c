//! PeerTube's JSON shapes for accounts and channels, built from domain actors.
//! Field order follows PeerTube 7's responses.

use edgetube_domain::actors::LocalActor;
use edgetube_domain::{iso8601_millis, Origin};
use serde_json::{json, Value};

/// An `Account` (`GET /api/v1/accounts/{name}`).
pub fn account(origin: &Origin, actor: &LocalActor, user_id: Option<i64>) -> Value {
    let mut value = json!({
        "url": origin.join(&actor.path()),
        "name": actor.username,
        "host": origin.authority(),
        "avatars": [],
        "id": actor.id,
        "hostRedundancyAllowed": false,
        "followingCount": 0,
        "followersCount": 0,
        "createdAt": iso8601_millis(actor.created_at),
        "displayName": actor.display_name,
        "description": actor.summary,
        "updatedAt": iso8601_millis(actor.updated_at),
    });
    if let (Some(user_id), Some(object)) = (user_id, value.as_object_mut()) {
        object.insert("userId".into(), user_id.into());
    }
    value
}

/// A `VideoChannel`, with its owner when given.
pub fn channel(origin: &Origin, actor: &LocalActor, owner: Option<Value>) -> Value {
    let mut value = json!({
        "url": origin.join(&actor.path()),
        "name": actor.username,
        "host": origin.authority(),
        "avatars": [],
        "id": actor.id,
        "hostRedundancyAllowed": false,
        "followingCount": 0,
        "followersCount": 0,
        "createdAt": iso8601_millis(actor.created_at),
        "banners": [],
        "displayName": actor.display_name,
        "description": actor.summary,
        "support": actor.support,
        "isLocal": true,
        "updatedAt": iso8601_millis(actor.updated_at),
    });
    if let (Some(owner), Some(object)) = (owner, value.as_object_mut()) {
        object.insert("ownerAccount".into(), owner);
    }
    value
}

/// The short form embedded in videos and comments.
pub fn summary(origin: &Origin, actor: &LocalActor) -> Value {
    json!({
        "id": actor.id,
        "name": actor.username,
        "displayName": actor.display_name,
        "url": origin.join(&actor.path()),
        "host": origin.authority(),
        "avatars": [],
    })
}
