//! PeerTube's JSON shapes for accounts and channels, built from domain actors.
//! Field order follows PeerTube 7's responses.

use edgetube_domain::actors::LocalActor;
use edgetube_domain::remote_actors::RemoteActor;
use edgetube_domain::{iso8601_millis, Origin};
use serde_json::{json, Map, Value};

/// The fields every actor shape starts with, in PeerTube's order.
fn actor_fields(origin: &Origin, actor: &LocalActor) -> Map<String, Value> {
    let value = json!({
        "url": origin.join(&actor.path()),
        "name": actor.username,
        "host": origin.authority(),
        "avatars": [],
        "id": actor.id,
        "hostRedundancyAllowed": false,
        "followingCount": 0,
        "followersCount": 0,
        "createdAt": iso8601_millis(actor.created_at),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An `Account` (`GET /api/v1/accounts/{name}`).
pub fn account(origin: &Origin, actor: &LocalActor, user_id: Option<i64>) -> Value {
    let mut fields = actor_fields(origin, actor);
    fields.insert("displayName".into(), actor.display_name.clone().into());
    fields.insert("description".into(), actor.summary.clone().into());
    fields.insert("updatedAt".into(), iso8601_millis(actor.updated_at).into());
    if let Some(user_id) = user_id {
        fields.insert("userId".into(), user_id.into());
    }
    Value::Object(fields)
}

/// A `VideoChannel`, with its owner when given.
pub fn channel(origin: &Origin, actor: &LocalActor, owner: Option<Value>) -> Value {
    let mut fields = actor_fields(origin, actor);
    fields.insert("banners".into(), json!([]));
    fields.insert("displayName".into(), actor.display_name.clone().into());
    fields.insert("description".into(), actor.summary.clone().into());
    fields.insert("support".into(), actor.support.clone().into());
    fields.insert("isLocal".into(), true.into());
    fields.insert("updatedAt".into(), iso8601_millis(actor.updated_at).into());
    if let Some(owner) = owner {
        fields.insert("ownerAccount".into(), owner);
    }
    Value::Object(fields)
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

/// The fields every remote actor shape starts with: its id as `url`, its own host. Counts and
/// dates are what this instance knows (follows recorded here; when it was last read).
fn remote_fields(actor: &RemoteActor) -> Map<String, Value> {
    // The origin's own avatar URL: there is no image cache here yet.
    let avatars = actor.avatar_url.as_ref().map_or_else(Vec::new, |url| {
        vec![json!({"path": url, "fileUrl": url, "width": null, "createdAt": null, "updatedAt": null})]
    });
    let value = json!({
        "url": actor.ap_id,
        "name": actor.username,
        "host": actor.host,
        "avatars": avatars,
        "id": actor.id,
        "hostRedundancyAllowed": false,
        "followingCount": 0,
        "followersCount": 0,
        "createdAt": iso8601_millis(actor.fetched_at),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The `Account` of a remote actor.
pub fn remote_account(actor: &RemoteActor) -> Value {
    let mut fields = remote_fields(actor);
    fields.insert("displayName".into(), actor.display_name.clone().into());
    fields.insert("description".into(), actor.summary.clone().into());
    fields.insert("updatedAt".into(), iso8601_millis(actor.fetched_at).into());
    Value::Object(fields)
}

/// The `VideoChannel` of a remote `Group`, with its owner when given.
pub fn remote_channel(actor: &RemoteActor, owner: Option<Value>) -> Value {
    let mut fields = remote_fields(actor);
    fields.insert("banners".into(), json!([]));
    fields.insert("displayName".into(), actor.display_name.clone().into());
    fields.insert("description".into(), actor.summary.clone().into());
    fields.insert("support".into(), Value::Null);
    fields.insert("isLocal".into(), false.into());
    fields.insert("updatedAt".into(), iso8601_millis(actor.fetched_at).into());
    if let Some(owner) = owner {
        fields.insert("ownerAccount".into(), owner);
    }
    Value::Object(fields)
}

/// The short form of a remote actor embedded in videos.
pub fn remote_summary(actor: &RemoteActor) -> Value {
    json!({
        "id": actor.id,
        "name": actor.username,
        "displayName": actor.display_name,
        "url": actor.ap_id,
        "host": actor.host,
        "avatars": [],
    })
}
