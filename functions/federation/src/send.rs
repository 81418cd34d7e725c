//! Sending an activity one of our actors authored: given its FEP-8b32 proof, stored in the
//! outbox and queued for its inboxes. The single door every outgoing activity goes through.

use edgetube_domain::actors::{self, LocalActor};
use edgetube_domain::{follows, InstanceConfig};
use edgetube_ports::Ports;
use serde_json::Value;

use crate::outbox::{self, Outgoing};
use crate::{signing, FederationError};

/// The ActivityPub id of a local actor.
pub fn actor_url(config: &InstanceConfig, actor: &LocalActor) -> String {
    config.origin.join(&actor.path())
}

/// The local actor an ActivityPub id of this instance names (`/accounts/<name>`, `/a/<name>`,
/// `/video-channels/<name>`, `/c/<name>`), if any.
pub async fn local_actor_at(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    url: &str,
) -> Result<Option<LocalActor>, FederationError> {
    let Some(path) = url.strip_prefix(config.origin.as_str()) else { return Ok(None) };
    let path = path.split(['#', '?']).next().unwrap_or_default();
    let name = ["/accounts/", "/a/", "/video-channels/", "/c/"]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))
        .filter(|name| !name.is_empty() && !name.contains('/'));
    let Some(name) = name else { return Ok(None) };
    let actor = actors::find_local(ports.sql, name).await?;
    // `/accounts/x` must not name the channel `x` (names are shared across kinds).
    Ok(actor.filter(|a| a.path() == path || path.starts_with("/a/") || path.starts_with("/c/")))
}

/// Sends `activity` (which has an `id`) by local actor `author` to `inboxes`.
pub async fn send(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    author: &LocalActor,
    activity: &Value,
    inboxes: &[String],
) -> Result<i64, FederationError> {
    let ap_id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| FederationError::Inconsistent("an outgoing activity without an id".into()))?
        .to_owned();
    let body = signing::with_proof(ports, config, author.id, &actor_url(config, author), activity).await?;
    outbox::publish(ports, &Outgoing { ap_id, actor_id: author.id, departed_id: None, body }, inboxes).await
}

/// Sends `activity` by `author` to the remote followers of `author` and of `also` (a video goes
/// to its channel's followers and its account's), each server once.
pub async fn send_to_followers(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    author: &LocalActor,
    also: &[i64],
    activity: &Value,
) -> Result<i64, FederationError> {
    let mut of: Vec<i64> = vec![author.id];
    of.extend_from_slice(also);
    let inboxes = follows::follower_inboxes(ports.sql, &of).await?;
    send(ports, config, author, activity, &inboxes).await
}
