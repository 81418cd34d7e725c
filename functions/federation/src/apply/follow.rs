//! Follow, Accept, Reject and Undo between a remote actor and one of ours, and a remote actor's
//! Delete of itself.

use edgetube_activitypub::documents::build::activities::{self, FollowRef};
use edgetube_activitypub::documents::{Activity, ActivityKind};
use edgetube_domain::actors::ActorKind;
use edgetube_domain::follows::{self, FollowState};
use edgetube_domain::{remote_actors, InstanceConfig};
use edgetube_ports::Ports;
use serde_json::Value;

use super::{Effect, Failure};
use crate::send::{self, actor_url, local_actor_at};
use crate::{blocklist, remote};

/// A remote actor follows one of ours: recorded, and accepted at once unless it follows the
/// instance actor on an instance that approves those by hand (PeerTube's setting); refused when
/// the follower is blocked.
pub(super) async fn follow(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let target_url =
        activity.object.id().ok_or_else(|| Failure::Permanent("a Follow names no object".into()))?;
    let Some(target) = local_actor_at(ports, config, target_url.as_str()).await? else {
        return Ok(Effect::Ignored(format!("Follow of {target_url}, not an actor of this instance")));
    };
    let follower = remote::actor(ports, config, activity.actor.as_str()).await?;
    let follow_ref =
        FollowRef { id: activity.id.as_str(), actor: follower.ap_id.as_str(), object: target_url.as_str() };
    let target_url_text = actor_url(config, &target);
    if blocklist::account_blocked(ports.sql, follower.id).await? {
        let reject = activities::reject(
            &format!("{}/rejects/follows/{}", config.origin.as_str(), follower.id),
            &target_url_text,
            &follow_ref,
        );
        send::send(ports, config, &target, &reject, std::slice::from_ref(&follower.inbox_url)).await?;
        return Ok(Effect::Done(format!("rejected the Follow of blocked {}", follower.handle())));
    }
    let state = if target.kind == ActorKind::Application && config.federation.instance_follows_need_approval {
        FollowState::Pending
    } else {
        FollowState::Accepted
    };
    let now = ports.clock.now_millis();
    ports.sql.execute(follows::upsert(follower.id, target.id, state, activity.id.as_str(), now)).await?;
    if state == FollowState::Pending {
        return Ok(Effect::Done(format!(
            "{} asks to follow {}; awaiting approval",
            follower.handle(),
            target.username
        )));
    }
    let follow = follows::find(ports.sql, follower.id, target.id)
        .await?
        .ok_or_else(|| Failure::Permanent("the follow vanished".into()))?;
    let accept = activities::accept(
        &format!("{}/accepts/follows/{}", config.origin.as_str(), follow.id),
        &target_url_text,
        &follow_ref,
    );
    send::send(ports, config, &target, &accept, std::slice::from_ref(&follower.inbox_url)).await?;
    Ok(Effect::Done(format!("{} follows {}", follower.handle(), target.username)))
}

/// The Follow an Accept or Reject names, as (our follower row, their followed row).
async fn answered_follow(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Option<(i64, i64)>, Failure> {
    let followed = remote::actor(ports, config, activity.actor.as_str()).await?;
    // By the Follow's id first; some servers answer with only the id, others embed a Follow
    // whose `actor` is ours.
    if let Some(id) = activity.object.id() {
        if let Some(follow) = follows::find_by_ap_id(ports.sql, id.as_str()).await? {
            if follow.following_id == followed.id {
                return Ok(Some((follow.follower_id, follow.following_id)));
            }
        }
    }
    let ours = activity
        .object
        .embedded()
        .and_then(|object| object.value.get("actor"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(ours) = ours {
        if let Some(local) = local_actor_at(ports, config, &ours).await? {
            if follows::find(ports.sql, local.id, followed.id).await?.is_some() {
                return Ok(Some((local.id, followed.id)));
            }
        }
    }
    Ok(None)
}

/// A remote actor accepted our follow.
pub(super) async fn accept(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let Some((follower, following)) = answered_follow(ports, config, activity).await? else {
        return Ok(Effect::Ignored(format!("Accept from {} of no follow of ours", activity.actor)));
    };
    let follow = follows::find(ports.sql, follower, following)
        .await?
        .ok_or_else(|| Failure::Permanent("the follow vanished".into()))?;
    follows::accept(ports.sql, follow.id, ports.clock.now_millis()).await?;
    Ok(Effect::Done(format!("{} accepted our follow", activity.actor)))
}

/// A remote actor refused our follow: it is removed.
pub(super) async fn reject(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let Some((follower, following)) = answered_follow(ports, config, activity).await? else {
        return Ok(Effect::Ignored(format!("Reject from {} of no follow of ours", activity.actor)));
    };
    follows::remove(ports.sql, follower, following).await?;
    Ok(Effect::Done(format!("{} rejected our follow", activity.actor)))
}

/// Undo of a Follow by its follower. (Undo of likes and shares is handled with them.)
pub(super) async fn undo(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let undone = activity.object.embedded();
    let kind = undone.map(|o| o.kind.as_str());
    if kind != Some(ActivityKind::Follow.as_str()) {
        return Ok(Effect::Ignored(format!("Undo of {} has no effect here yet", kind.unwrap_or("an id"))));
    }
    let target = undone
        .and_then(|o| o.value.get("object"))
        .and_then(|o| o.as_str().or_else(|| o.get("id").and_then(Value::as_str)))
        .ok_or_else(|| Failure::Permanent("Undo of a Follow without its object".into()))?;
    let Some(local) = local_actor_at(ports, config, target).await? else {
        return Ok(Effect::Ignored(format!("Undo of a Follow of {target}, not ours")));
    };
    let Some(follower) = remote_actors::find_by_ap_id(ports.sql, activity.actor.as_str()).await? else {
        return Ok(Effect::Ignored(format!("Undo from unknown {}", activity.actor)));
    };
    let removed = follows::remove(ports.sql, follower.id, local.id).await?;
    Ok(if removed {
        Effect::Done(format!("{} stopped following {}", follower.handle(), local.username))
    } else {
        Effect::Ignored(format!("{} did not follow {}", follower.handle(), local.username))
    })
}

/// A remote actor deleted itself: its row goes, with its follows, comments and ratings.
pub(super) async fn actor_deleted(ports: &Ports<'_>, activity: &Activity) -> Result<Effect, Failure> {
    let removed = remote_actors::delete(ports.sql, activity.actor.as_str()).await?;
    Ok(if removed {
        Effect::Done(format!("{} deleted itself", activity.actor))
    } else {
        Effect::Ignored(format!("{} deleted itself; we did not know it", activity.actor))
    })
}
