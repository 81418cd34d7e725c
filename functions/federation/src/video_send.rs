//! Telling other servers about our videos: one decision, [`video_changed`], taken wherever a
//! video's row changes (publication after transcoding, an edit, a deletion), from the row before
//! and after the change.
//!
//! - It starts to federate ([`federates`]): `Create{Video}` by its account to the followers of
//!   the account and the channel, then `Announce`s by the channel and by the instance actor to
//!   theirs, as PeerTube sends a new video three times.
//! - It federated and still does: `Update{Video}` to everyone who heard of it. If the `Create`
//!   never went out (a video published before federation existed, a failed earlier attempt),
//!   it is sent now instead: the outbox remembers it.
//! - It federated and no longer does (made private, deleted): `Delete` of its id.
//!
//! Everything is queued before this returns ([`send`](crate::send)), and an error means some of
//! it may not be: callers answer 503 rather than let a change go unannounced silently, and the
//! client's retry sends it again (activity ids are stable, so receivers apply it once).

use edgetube_activitypub::documents::build::activities::{self, announce_id, delete_id};
use edgetube_activitypub::documents::build::video::{create_video, update_video};
use edgetube_activitypub::documents::build::Audience;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::videos::{urls, Video};
use edgetube_domain::{shares, InstanceConfig, INSTANCE_ACTOR_NAME};
use edgetube_ports::Ports;
use serde_json::Value;

use crate::send::{actor_url, send_to_followers};
pub use crate::video_document::federates;
use crate::video_document::{self, owners};
use crate::{outbox, FederationError};

/// What [`video_changed`] sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Nothing: the video did not and does not federate.
    Nothing,
    /// `Create` and the `Announce`s.
    Created,
    /// `Update`.
    Updated,
    /// `Delete`.
    Deleted,
}

/// Federates a change of a local video from `before` to `after` (`None`: it did not exist, or
/// no longer does).
pub async fn video_changed(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    before: Option<&Video>,
    after: Option<&Video>,
) -> Result<Sent, FederationError> {
    let was = before.filter(|v| federates(v));
    match (was, after.filter(|v| federates(v))) {
        (was, Some(now)) => {
            let input = video_document::input(ports, config, now).await?;
            let (account, channel) = owners(ports, now).await?;
            let instance = instance_actor(ports).await?;
            let create = create_video(&input);
            let created_before = match (was, create.get("id").and_then(Value::as_str)) {
                (Some(_), Some(id)) => outbox::exists(ports, id).await?,
                _ => false,
            };
            if created_before {
                let update = update_video(&input);
                send_to_followers(ports, config, &account, &[channel.id, instance.id], &update).await?;
                return Ok(Sent::Updated);
            }
            send_to_followers(ports, config, &account, &[channel.id], &create).await?;
            let video_url = input.id();
            let audience = everyone(config, &account, &channel, &instance);
            for announcer in [&channel, &instance] {
                let id = announce_id(&video_url, &announcer.id.to_string());
                let announce =
                    activities::announce(&id, &actor_url(config, announcer), &audience, &video_url);
                send_to_followers(ports, config, announcer, &[], &announce).await?;
                // Listed in the video's `shares` collection, as PeerTube lists its own.
                shares::record(ports.sql, now.id, announcer.id, &id, ports.clock.now_millis()).await?;
            }
            Ok(Sent::Created)
        }
        (Some(was), None) => {
            let (account, channel) = owners(ports, was).await?;
            let instance = instance_actor(ports).await?;
            let video_url = urls::watch_url(&config.origin, &was.uuid);
            let delete = activities::delete(
                &delete_id(&video_url),
                &actor_url(config, &account),
                &everyone(config, &account, &channel, &instance),
                Value::String(video_url),
            );
            send_to_followers(ports, config, &account, &[channel.id, instance.id], &delete).await?;
            Ok(Sent::Deleted)
        }
        (None, None) => Ok(Sent::Nothing),
    }
}

/// PeerTube's audience of a video's `Announce` and `Delete`: Public and the followers of the
/// channel, the instance actor and the account.
fn everyone(
    config: &InstanceConfig,
    account: &LocalActor,
    channel: &LocalActor,
    instance: &LocalActor,
) -> Audience {
    let followers = |actor: &LocalActor| format!("{}/followers", actor_url(config, actor));
    let (channel, instance, account) = (followers(channel), followers(instance), followers(account));
    Audience::followers_of(&[&channel, &instance, &account])
}

async fn instance_actor(ports: &Ports<'_>) -> Result<LocalActor, FederationError> {
    actors::find_local_of_kind(ports.sql, ActorKind::Application, INSTANCE_ACTOR_NAME)
        .await?
        .ok_or_else(|| FederationError::Inconsistent("the instance actor is missing".into()))
}
