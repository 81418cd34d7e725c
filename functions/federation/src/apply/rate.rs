//! Likes and dislikes of our videos by remote accounts, and their Undo. A rating replaces the
//! account's previous one, as PeerTube's do.

use edgetube_activitypub::documents::Activity;
use edgetube_domain::ratings::{self, Rating};
use edgetube_domain::{remote_actors, InstanceConfig};
use edgetube_ports::Ports;
use serde_json::Value;

use super::{Effect, Failure};
use crate::objects::{self, Named};
use crate::remote;

/// `Like` or `Dislike` of `object` (a video URL).
pub(super) async fn rate(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
    rating: Rating,
) -> Result<Effect, Failure> {
    let object =
        activity.object.id().ok_or_else(|| Failure::Permanent("a rating without an object".into()))?;
    let Named::Video(video) = objects::named(ports, config, object.as_str()).await? else {
        return Ok(Effect::Ignored(format!("{} of {object}, not a video here", rating.as_str())));
    };
    let author = remote::actor(ports, config, activity.actor.as_str()).await?;
    ratings::rate(ports, video.id, author.id, rating, Some(activity.id.as_str())).await?;
    Ok(Effect::Done(format!("{} {} video {}", author.handle(), rating.as_str(), video.uuid)))
}

/// `Undo` of a Like or Dislike (embedded, as PeerTube and Mastodon send it).
pub(super) async fn undo(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let object = activity
        .object
        .embedded()
        .and_then(|undone| undone.value.get("object"))
        .and_then(|o| o.as_str().or_else(|| o.get("id").and_then(Value::as_str)))
        .ok_or_else(|| Failure::Permanent("Undo of a rating without its object".into()))?;
    let Named::Video(video) = objects::named(ports, config, object).await? else {
        return Ok(Effect::Ignored(format!("Undo of a rating of {object}, not a video here")));
    };
    let Some(author) = remote_actors::find_by_ap_id(ports.sql, activity.actor.as_str()).await? else {
        return Ok(Effect::Ignored(format!("Undo from unknown {}", activity.actor)));
    };
    ratings::rate(ports, video.id, author.id, Rating::None, None).await?;
    Ok(Effect::Done(format!("{} took back its rating of video {}", author.handle(), video.uuid)))
}
