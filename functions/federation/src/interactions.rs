//! What our users do to videos, told to the servers concerned: a comment (`Create{Note}`), its
//! deletion, a rating (`Like`, `Dislike`, `Undo`), and a view of a remote video (`View`).
//!
//! Who hears it, as PeerTube addresses it: on one of our videos, the followers of the video's
//! channel and account (we are the origin and broadcast); on a remote video, the video's origin
//! (its channel's inbox), which broadcasts in turn. A remote author being answered always hears
//! of the reply.

use edgetube_activitypub::documents::build::activities;
use edgetube_activitypub::documents::build::note::{
    create_note, note_document, tombstone, MentionInput, NoteInput, TombstoneInput,
};
use edgetube_activitypub::documents::build::Audience;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::comments::{self, Comment};
use edgetube_domain::ratings::Rating;
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_domain::videos::Video;
use edgetube_domain::{follows, iso8601_millis, InstanceConfig, INSTANCE_ACTOR_NAME};
use edgetube_ports::Ports;
use serde_json::Value;

use crate::objects::{comment_url, is_local_video, video_url};
use crate::send::{self, actor_url};
use crate::FederationError;

/// The inboxes of everyone who hears about activity on `video`, besides `also` (remote actors
/// answered or mentioned).
async fn audience_inboxes(
    ports: &Ports<'_>,
    video: &Video,
    author: &LocalActor,
    also: &[&RemoteActor],
) -> Result<Vec<String>, FederationError> {
    let mut inboxes = if is_local_video(video) {
        follows::follower_inboxes(ports.sql, &[video.channel_id, video.account_id, author.id]).await?
    } else {
        let channel = remote_actors::find_by_id(ports.sql, video.channel_id).await?;
        let mut inboxes: Vec<String> = channel.iter().map(|c| c.delivery_inbox().to_owned()).collect();
        inboxes.extend(follows::follower_inboxes(ports.sql, &[author.id]).await?);
        inboxes
    };
    inboxes.extend(also.iter().map(|actor| actor.delivery_inbox().to_owned()));
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// The remote author of `comment`, when it has one.
async fn remote_author(
    ports: &Ports<'_>,
    comment: Option<&Comment>,
) -> Result<Option<RemoteActor>, FederationError> {
    match comment {
        Some(comment) => Ok(remote_actors::find_by_id(ports.sql, comment.account_id).await?),
        None => Ok(None),
    }
}

/// Our `author` posted `comment` on `video`, answering `parent` when it is a reply.
pub async fn comment_posted(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    author: &LocalActor,
    video: &Video,
    comment: &Comment,
    parent: Option<&Comment>,
) -> Result<(), FederationError> {
    let answered = remote_author(ports, parent).await?;
    let note = note_input(config, author, video, comment, parent, answered.as_ref());
    let inboxes = audience_inboxes(ports, video, author, &answered.iter().collect::<Vec<_>>()).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    send::send(ports, config, author, &create_note(&note), &inboxes).await?;
    Ok(())
}

/// The Note of our `author`'s `comment` on `video`, answering `parent` (by `answered`, when
/// remote) if it is a reply.
fn note_input(
    config: &InstanceConfig,
    author: &LocalActor,
    video: &Video,
    comment: &Comment,
    parent: Option<&Comment>,
    answered: Option<&RemoteActor>,
) -> NoteInput {
    let author_url = actor_url(config, author);
    let in_reply_to = match parent {
        Some(parent) => comment_url(config, video, parent),
        None => video_url(config, video),
    };
    NoteInput {
        id: comment_url(config, video, comment),
        content: comment.text.clone(),
        in_reply_to,
        attributed_to: author_url.clone(),
        published: iso8601_millis(comment.created_at),
        updated: iso8601_millis(comment.updated_at),
        audience: Audience::public(&format!("{author_url}/followers")),
        mentions: answered
            .iter()
            .map(|actor| MentionInput { href: actor.ap_id.clone(), name: format!("@{}", actor.handle()) })
            .collect(),
    }
}

/// The document at the id of our comment `comment` on `video`: its Note (as it was sent), or a
/// Tombstone once deleted. `None` for a remote comment (its origin serves it), or one held for
/// the video owner's approval (not public yet).
pub async fn comment_document(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
    comment: &Comment,
) -> Result<Option<Value>, FederationError> {
    if comment.ap_id.is_some() || comment.held_for_review != 0 {
        return Ok(None);
    }
    let parent = match comment.in_reply_to_id {
        Some(id) => comments::find(ports.sql, video.id, id).await?,
        None => None,
    };
    let in_reply_to = match &parent {
        Some(parent) => comment_url(config, video, parent),
        None => video_url(config, video),
    };
    if let Some(deleted) = comment.deleted_at {
        let mut document = tombstone(&TombstoneInput {
            id: comment_url(config, video, comment),
            in_reply_to,
            published: iso8601_millis(comment.created_at),
            updated: iso8601_millis(deleted),
            deleted: iso8601_millis(deleted),
        });
        if let Value::Object(map) = &mut document {
            map.insert("@context".into(), edgetube_activitypub::documents::context::comment());
        }
        return Ok(Some(document));
    }
    let Some(author) = actors::find_local_by_ids(ports.sql, &[comment.account_id]).await?.pop() else {
        return Ok(None);
    };
    let answered = remote_author(ports, parent.as_ref()).await?;
    Ok(Some(note_document(&note_input(config, &author, video, comment, parent.as_ref(), answered.as_ref()))))
}

/// Our `actor` (the author, the video's owner or a moderator) deleted `comment` on `video`.
pub async fn comment_deleted(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    actor: &LocalActor,
    video: &Video,
    comment: &Comment,
) -> Result<(), FederationError> {
    // Only our own comments are ours to announce as deleted; a remote one removed here is a
    // moderation decision of this instance.
    if comment.ap_id.is_some() {
        return Ok(());
    }
    let id = comment_url(config, video, comment);
    let in_reply_to = video_url(config, video);
    let now = iso8601_millis(ports.clock.now_millis());
    let object = tombstone(&TombstoneInput {
        id: id.clone(),
        in_reply_to,
        published: iso8601_millis(comment.created_at),
        updated: now.clone(),
        deleted: now,
    });
    let actor_url = actor_url(config, actor);
    let delete = activities::delete(
        &activities::delete_id(&id),
        &actor_url,
        &Audience::public(&format!("{actor_url}/followers")),
        object,
    );
    let inboxes = audience_inboxes(ports, video, actor, &[]).await?;
    if !inboxes.is_empty() {
        send::send(ports, config, actor, &delete, &inboxes).await?;
    }
    Ok(())
}

/// Our `account` rated `video` (`previous` is the rating it replaces).
pub async fn rated(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    account: &LocalActor,
    video: &Video,
    previous: Rating,
    rating: Rating,
) -> Result<(), FederationError> {
    if previous == rating {
        return Ok(());
    }
    let account_url = actor_url(config, account);
    let video_id = video_url(config, video);
    let audience = Audience::public(&format!("{account_url}/followers"));
    let inboxes = audience_inboxes(ports, video, account, &[]).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let activity_of = |rating: Rating| match rating {
        Rating::Like => Some(activities::like(
            &format!("{account_url}/likes/{}", video.id),
            &account_url,
            &audience,
            &video_id,
        )),
        Rating::Dislike => Some(activities::dislike(
            &format!("{account_url}/dislikes/{}", video.id),
            &account_url,
            &audience,
            &video_id,
        )),
        Rating::None => None,
    };
    if let Some(undone) = activity_of(previous) {
        let id = undone.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let undo = activities::undo(
            &format!("{}/{}", activities::undo_id(&id), ports.clock.now_millis()),
            &account_url,
            &audience,
            &undone,
        );
        send::send(ports, config, account, &undo, &inboxes).await?;
    }
    if let Some(activity) = activity_of(rating) {
        send::send(ports, config, account, &activity, &inboxes).await?;
    }
    Ok(())
}

/// Someone here viewed the remote `video` (counted once per viewer per hour by the caller): the
/// origin hears a `View` from our instance actor, as PeerTube tells it, so that its count, which
/// is the one every copy shows, includes the views made here. Nobody else hears of it.
pub async fn viewed(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
) -> Result<(), FederationError> {
    if is_local_video(video) {
        return Ok(());
    }
    let Some(channel) = remote_actors::find_by_id(ports.sql, video.channel_id).await? else {
        return Ok(());
    };
    let instance = actors::find_local_of_kind(ports.sql, ActorKind::Application, INSTANCE_ACTOR_NAME)
        .await?
        .ok_or_else(|| FederationError::Inconsistent("the instance actor is missing".into()))?;
    let instance_url = actor_url(config, &instance);
    let video_id = video_url(config, video);
    // Unique per view (a View is an event, not a state): the clock and the video make it so.
    let id = format!("{instance_url}/views/videos/{}/{}", video.id, ports.clock.now_millis());
    let view = activities::view(
        &id,
        &instance_url,
        &Audience::public(&format!("{instance_url}/followers")),
        &video_id,
        None,
    );
    send::send(ports, config, &instance, &view, &[channel.delivery_inbox().to_owned()]).await?;
    Ok(())
}
