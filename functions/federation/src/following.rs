//! Our actors following others: a user subscribing to a channel, the instance following another
//! instance. A follow of a remote actor is `pending` until its Accept arrives; of a local one it
//! is accepted at once and nothing is sent.

use edgetube_activitypub::documents::build::activities::{self, FollowRef};
use edgetube_activitypub::documents::build::Audience;
use edgetube_domain::actors::LocalActor;
use edgetube_domain::follows::{self, FollowState};
use edgetube_domain::remote_actors::RemoteActor;
use edgetube_domain::InstanceConfig;
use edgetube_ports::Ports;

use crate::send::{self, actor_url};
use crate::FederationError;

/// Either side of a follow.
pub enum Followed<'a> {
    /// One of ours.
    Local(&'a LocalActor),
    /// Another server's.
    Remote(&'a RemoteActor),
}

impl Followed<'_> {
    fn id(&self) -> i64 {
        match self {
            Self::Local(actor) => actor.id,
            Self::Remote(actor) => actor.id,
        }
    }
}

/// The id of `follower`'s Follow of the actor of row `target_id`: one per pair, so asking again
/// re-sends the same activity.
fn follow_id(config: &InstanceConfig, follower: &LocalActor, target_id: i64) -> String {
    format!("{}/follows/{target_id}", actor_url(config, follower))
}

/// `follower` follows `target`. Idempotent: a follow already accepted stays so; a pending one
/// sends its Follow again (the first may have been lost).
pub async fn follow(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    follower: &LocalActor,
    target: Followed<'_>,
) -> Result<FollowState, FederationError> {
    let id = follow_id(config, follower, target.id());
    let now = ports.clock.now_millis();
    match target {
        Followed::Local(local) => {
            ports
                .sql
                .execute(follows::upsert(follower.id, local.id, FollowState::Accepted, &id, now))
                .await?;
            Ok(FollowState::Accepted)
        }
        Followed::Remote(remote) => {
            ports
                .sql
                .execute(follows::upsert(follower.id, remote.id, FollowState::Pending, &id, now))
                .await?;
            let state = follows::find(ports.sql, follower.id, remote.id)
                .await?
                .map_or(FollowState::Pending, |f| f.state);
            if state == FollowState::Pending {
                let follower_url = actor_url(config, follower);
                let activity =
                    activities::follow(&FollowRef { id: &id, actor: &follower_url, object: &remote.ap_id });
                send::send(ports, config, follower, &activity, std::slice::from_ref(&remote.inbox_url))
                    .await?;
            }
            Ok(state)
        }
    }
}

/// `follower` stops following `target`: the follow goes, and a remote target gets an Undo.
/// `false` when there was no follow.
pub async fn unfollow(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    follower: &LocalActor,
    target: Followed<'_>,
) -> Result<bool, FederationError> {
    let Some(existing) = follows::find(ports.sql, follower.id, target.id()).await? else { return Ok(false) };
    follows::remove(ports.sql, follower.id, target.id()).await?;
    if let Followed::Remote(remote) = target {
        let follower_url = actor_url(config, follower);
        let follow = activities::follow_object(&FollowRef {
            id: &existing.ap_id,
            actor: &follower_url,
            object: &remote.ap_id,
        });
        let undo = activities::undo(
            &activities::undo_id(&existing.ap_id),
            &follower_url,
            &Audience::public(&format!("{follower_url}/followers")),
            &follow,
        );
        send::send(ports, config, follower, &undo, std::slice::from_ref(&remote.inbox_url)).await?;
    }
    Ok(true)
}

/// Accepts `follower`'s follow of our `local` actor: marked accepted and an Accept sent to its
/// inbox. `false` when it did not ask.
pub async fn accept_follower(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    local: &LocalActor,
    follower: &RemoteActor,
) -> Result<bool, FederationError> {
    let Some(follow) = follows::find(ports.sql, follower.id, local.id).await? else { return Ok(false) };
    follows::accept(ports.sql, follow.id, ports.clock.now_millis()).await?;
    let local_url = actor_url(config, local);
    let follow_ref = FollowRef { id: &follow.ap_id, actor: &follower.ap_id, object: &local_url };
    let accept = activities::accept(
        &format!("{}/accepts/follows/{}", config.origin.as_str(), follow.id),
        &local_url,
        &follow_ref,
    );
    send::send(ports, config, local, &accept, std::slice::from_ref(&follower.inbox_url)).await?;
    Ok(true)
}

/// Refuses `follower`'s follow of our `local` actor (asked, or in effect): removed, and a Reject
/// sent. `follow_ap_id` names the Follow when there is no row (a blocked follower's request).
pub async fn reject_follower(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    local: &LocalActor,
    follower: &RemoteActor,
    follow_ap_id: Option<&str>,
) -> Result<bool, FederationError> {
    let existing = follows::find(ports.sql, follower.id, local.id).await?;
    let Some(ap_id) = existing.as_ref().map(|f| f.ap_id.clone()).or_else(|| follow_ap_id.map(str::to_owned))
    else {
        return Ok(false);
    };
    follows::remove(ports.sql, follower.id, local.id).await?;
    let local_url = actor_url(config, local);
    let follow_ref = FollowRef { id: &ap_id, actor: &follower.ap_id, object: &local_url };
    let reject = activities::reject(
        &format!("{}/rejects/follows/{}/{}", config.origin.as_str(), follower.id, local.id),
        &local_url,
        &follow_ref,
    );
    send::send(ports, config, local, &reject, std::slice::from_ref(&follower.inbox_url)).await?;
    Ok(true)
}
