//! `Update` of an actor (a new name, avatar or key): our stored copy is fetched again from the
//! actor's own URL, so what we keep is what the actor serves, never what the activity claims.

use edgetube_activitypub::documents::Activity;
use edgetube_domain::InstanceConfig;
use edgetube_ports::Ports;

use super::{Effect, Failure};
use crate::remote;

/// The `type`s of actors an `Update` may carry.
const ACTOR_TYPES: [&str; 5] = ["Person", "Group", "Application", "Service", "Organization"];

/// Whether `activity`'s object is an actor.
pub(super) fn carries_actor(activity: &Activity) -> bool {
    activity.object.kind().is_some_and(|kind| ACTOR_TYPES.contains(&kind))
}

/// `Update{Person|Group|…}`: refreshed when the actor updates itself, ignored otherwise (one
/// actor may not rewrite another's profile, even on the same server).
pub(super) async fn update(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    if activity.object.id() != Some(&activity.actor) {
        return Ok(Effect::Ignored(format!("Update of another actor by {}", activity.actor)));
    }
    let actor = remote::refresh_actor(ports, config, activity.actor.as_str()).await?;
    Ok(Effect::Done(format!("refreshed actor {}", actor.handle())))
}
