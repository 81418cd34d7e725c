//! Our actors leaving: when a user (their account and channels) or a channel is deleted, each
//! actor with remote followers tells them with a `Delete` of itself, as PeerTube does, so their
//! servers drop its videos, comments and follows.
//!
//! The actor's row goes (with everything it owns) as soon as the request is answered, long
//! before every delivery has got through, so its key is kept aside first
//! (`edgetube_domain::departed_actors`) and the Delete is stored under the instance actor, which
//! outlives everyone; the delivery consumer signs it with the kept key.

use edgetube_activitypub::documents::build::activities::{self, delete_id};
use edgetube_activitypub::documents::build::Audience;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::{departed_actors, follows, InstanceConfig, INSTANCE_ACTOR_NAME};
use edgetube_ports::Ports;
use serde_json::Value;

use crate::outbox::{self, Outgoing};
use crate::send::actor_url;
use crate::{signing, FederationError};

/// Queues the `Delete` of each of `leaving` (local actors about to be deleted) to its remote
/// followers, before the caller deletes them; how many Deletes were queued (actors nobody
/// follows from elsewhere send none).
pub async fn actors_leaving(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    leaving: &[LocalActor],
) -> Result<usize, FederationError> {
    let mut sent = 0;
    for actor in leaving {
        let inboxes = follows::follower_inboxes(ports.sql, &[actor.id]).await?;
        if inboxes.is_empty() {
            continue;
        }
        let instance = actors::find_local_of_kind(ports.sql, ActorKind::Application, INSTANCE_ACTOR_NAME)
            .await?
            .ok_or_else(|| FederationError::Inconsistent("the instance actor is missing".into()))?;
        let url = actor_url(config, actor);
        let id = delete_id(&url);
        let audience = Audience::public(&format!("{url}/followers"));
        let delete = activities::delete(&id, &url, &audience, Value::String(url.clone()));
        let body = signing::with_proof(ports, config, actor.id, &url, &delete).await?;
        let departed = departed_actors::keep(ports.sql, actor.id, ports.clock.now_millis())
            .await?
            .ok_or_else(|| FederationError::Inconsistent(format!("{url} has no keys to keep")))?;
        let outgoing = Outgoing { ap_id: id, actor_id: instance.id, departed_id: Some(departed), body };
        outbox::publish(ports, &outgoing, &inboxes).await?;
        sent += 1;
    }
    Ok(sent)
}
