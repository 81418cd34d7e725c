//! Remote videos arriving: `Create` and `Update` of a Video, `Announce` of a video id, and
//! `Delete` of a video, kept as rows of the `videos` table (`edgetube_domain::videos::remote`).
//!
//! Trust, in the order it is checked:
//! - the activity's actor speaks only for its own origin (the inbox's `check_origin`, checked
//!   again here), and a video's `attributedTo` must be on the video's origin;
//! - a copy we did not get from its author (a forwarded `Create`/`Update`, an `Announce`, an
//!   `Update` of a video we do not have) is read again from its origin, whose copy is
//!   authoritative, never taken from the body;
//! - a video we do not have yet is welcome only when someone here follows its channel or its
//!   account, or our instance actor follows its instance (an `Announce`: its announcer), as
//!   PeerTube takes unsolicited videos only from followed actors. A video already stored is
//!   refreshed by its origin whatever the follows are now.

use edgetube_activitypub::documents::limits::check_shape;
use edgetube_activitypub::documents::{
    same_origin, Activity, ActivityKind, FromDocument, Object, Privacy, Video,
};
use edgetube_domain::actors::ActorKind;
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_domain::videos::constants::{self, CATEGORIES, LICENCES};
use edgetube_domain::videos::remote::{self as remote_videos, RemoteVideo, RemoteVideoError};
use edgetube_domain::videos::{privacy, urls};
use edgetube_domain::{follows, parse_iso8601_millis, shares, InstanceConfig};
use edgetube_ports::Ports;
use serde_json::Value;
use url::Url;

use super::{Effect, Failure};
use crate::objects::{self, Named};
use crate::{remote, FederationError};

/// PeerTube's bounds on what it stores of a video (`CONSTRAINTS_FIELDS.VIDEOS`): longer values
/// are cut, so no server makes us index more than PeerTube would.
const NAME_MAX: usize = 120;
const DESCRIPTION_MAX: usize = 10_000;
const SUPPORT_MAX: usize = 1_000;
const TAG_CHARS: (usize, usize) = (2, 30);
const MAX_TAGS: usize = 5;

/// Whether the activity carries a Video object (a `Create` or `Update` of one).
pub(super) fn carries_video(activity: &Activity) -> bool {
    activity.object.embedded().is_some_and(|object| object.kind == "Video")
}

/// `Create{Video}` and `Update{Video}`: the video stored or refreshed.
pub(super) async fn create_or_update(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
    signer: &str,
) -> Result<Effect, Failure> {
    activity.check_origin().map_err(|e| Failure::Permanent(e.to_string()))?;
    let embedded = activity.object.embedded().ok_or_else(|| Failure::Permanent("no Video object".into()))?;
    let id = embedded.id.clone().ok_or_else(|| Failure::Permanent("a Video without an id".into()))?;
    let known = remote_videos::find_by_ap_id(ports.sql, id.as_str()).await?.is_some();
    let forwarded = signer != activity.actor.as_str();
    // The body is the author's word only when the author sent it; an Update of a video we never
    // stored may be partial, and PeerTube fetches it too.
    let (video, document) = if forwarded || (activity.kind == ActivityKind::Update && !known) {
        match fetch_video(ports, config, &id).await? {
            Fetched::Video(video, document) => (video, document),
            Fetched::Gone | Fetched::NotVideo => {
                return Ok(Effect::Ignored(format!("{id} is no longer a video at its origin")))
            }
        }
    } else {
        let video =
            Video::read_at(&embedded.value, "object").map_err(|e| Failure::Permanent(e.to_string()))?;
        (Box::new(video), embedded.value.clone())
    };
    if video.id != id {
        return Err(Failure::Permanent(format!("the origin answered {} for {id}", video.id)));
    }
    let welcome = if known { Welcome::Known } else { Welcome::IfFollowed(Vec::new()) };
    store(ports, config, &video, &document, welcome).await
}

/// `Announce` of a video: the origin's copy fetched and stored, when the announcer is followed
/// here. An Announce of anything else, or of a video we already have, changes nothing.
pub(super) async fn announce(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    let Some(id) = activity.object.id().cloned() else {
        return Ok(Effect::Ignored("an Announce of nothing with an id".into()));
    };
    if remote::host_of(&id) == config.origin.authority() {
        // A share of one of our videos: listed in its `shares` collection.
        let Named::Video(video) = objects::named(ports, config, id.as_str()).await? else {
            return Ok(Effect::Ignored(format!("{} announced {id}, not a video here", activity.actor)));
        };
        let announcer = remote::actor(ports, config, activity.actor.as_str()).await?;
        shares::record(ports.sql, video.id, announcer.id, activity.id.as_str(), ports.clock.now_millis())
            .await?;
        return Ok(Effect::Done(format!("{} shared video {}", announcer.handle(), video.uuid)));
    }
    if remote_videos::find_by_ap_id(ports.sql, id.as_str()).await?.is_some() {
        return Ok(Effect::Ignored(format!("{} announced {id}, which we already have", activity.actor)));
    }
    let announcer = remote::actor(ports, config, activity.actor.as_str()).await?;
    if !follows::followed_here(ports.sql, &[announcer.id], None).await? {
        return Ok(Effect::Ignored(format!(
            "{} announced {id} but nobody here follows it",
            announcer.handle()
        )));
    }
    match fetch_video(ports, config, &id).await? {
        Fetched::Video(video, document) => {
            store(ports, config, &video, &document, Welcome::IfFollowed(vec![announcer.id])).await
        }
        Fetched::Gone => Ok(Effect::Ignored(format!("{id}, announced by {}, is gone", announcer.handle()))),
        Fetched::NotVideo => {
            Ok(Effect::Ignored(format!("{} announced {id}, not a video", announcer.handle())))
        }
    }
}

/// `Undo` of an `Announce`: a share of one of our videos taken back (only by its actor).
pub(super) async fn undo_announce(ports: &Ports<'_>, activity: &Activity) -> Result<Effect, Failure> {
    let Some(announce) = activity.object.id() else {
        return Ok(Effect::Ignored("Undo of an Announce without an id".into()));
    };
    let Some(author) = remote_actors::find_by_ap_id(ports.sql, activity.actor.as_str()).await? else {
        return Ok(Effect::Ignored(format!("Undo from unknown {}", activity.actor)));
    };
    if shares::remove(ports.sql, announce.as_str(), author.id).await? {
        Ok(Effect::Done(format!("{} took back its share {announce}", author.handle())))
    } else {
        Ok(Effect::Ignored(format!("Undo of {announce}, not a share we know")))
    }
}

/// A video a logged-in user here looked up by its URL (a search): the origin's copy fetched and
/// stored whatever the follows, as PeerTube imports what its users search for. `None` when the
/// origin has nothing (or not a video) there.
pub(crate) async fn import(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    id: &Url,
) -> Result<Option<edgetube_domain::videos::Video>, Failure> {
    match fetch_video(ports, config, id).await? {
        Fetched::Video(video, document) => {
            if video.id != *id {
                return Err(Failure::Permanent(format!("the origin answered {} for {id}", video.id)));
            }
            store(ports, config, &video, &document, Welcome::Asked).await?;
            Ok(remote_videos::find_by_ap_id(ports.sql, id.as_str()).await?)
        }
        Fetched::Gone | Fetched::NotVideo => Ok(None),
    }
}

/// `Delete` of a video (by id, or as a `Tombstone`): our copy removed. Only the video's origin
/// may delete it; local videos are never touched.
pub(super) async fn delete(activity: &Activity, ports: &Ports<'_>) -> Result<Effect, Failure> {
    let Some(id) = activity.object.id() else {
        return Ok(Effect::Ignored("a Delete of nothing with an id".into()));
    };
    if !same_origin(id, &activity.actor) {
        return Err(Failure::Permanent(format!("{} cannot delete {id} of another origin", activity.actor)));
    }
    // Its images cached here go with it (their names are the video's, never shared).
    if let Some(video) = remote_videos::find_by_ap_id(ports.sql, id.as_str()).await? {
        for (folder, url) in
            [("thumbnails", &video.remote_thumbnail_url), ("previews", &video.remote_preview_url)]
        {
            if let Some(url) = url {
                let key = format!("{folder}/{}", urls::remote_image_file(&video.uuid, url));
                ports.objects.delete(&key).await.map_err(FederationError::from)?;
            }
        }
    }
    Ok(if remote_videos::delete_by_ap_id(ports.sql, id.as_str()).await? {
        Effect::Done(format!("{} deleted video {id}", activity.actor))
    } else {
        Effect::Ignored(format!("{} deleted {id}, not a video we have", activity.actor))
    })
}

enum Fetched {
    /// The Video and its JSON.
    Video(Box<Video>, Value),
    /// The origin answers 404 or 410.
    Gone,
    /// Something else than a Video lives at that id.
    NotVideo,
}

/// The origin's copy of `id`, signed by our instance actor.
async fn fetch_video(ports: &Ports<'_>, config: &InstanceConfig, id: &Url) -> Result<Fetched, Failure> {
    let document = match remote::fetch_document(ports, config, id.as_str()).await {
        Ok(document) => document,
        Err(FederationError::Remote { reason, .. }) if reason == "HTTP 404" || reason == "HTTP 410" => {
            return Ok(Fetched::Gone)
        }
        Err(e) => return Err(e.into()),
    };
    check_shape(&document).map_err(|e| Failure::Permanent(format!("{id}: {e}")))?;
    match Object::from_value(&document).map_err(|e| Failure::Permanent(format!("{id}: {e}")))? {
        Object::Video(video) => Ok(Fetched::Video(video, document)),
        _ => Ok(Fetched::NotVideo),
    }
}

/// Whether a video may be stored.
enum Welcome {
    /// We have it already: its origin refreshes it.
    Known,
    /// Only if someone here follows its channel, its account, its instance or one of these.
    IfFollowed(Vec<i64>),
    /// Someone here asked for it by its URL: no follow needed.
    Asked,
}

/// Stores `video` (read from `document`) under its channel, if welcome.
async fn store(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
    document: &Value,
    welcome: Welcome,
) -> Result<Effect, Failure> {
    let (channel, account) = owners(ports, config, video).await?;
    if let Welcome::IfFollowed(mut also) = welcome {
        also.push(channel.id);
        also.extend(account);
        let host = remote::host_of(&video.id);
        if !follows::followed_here(ports.sql, &also, Some(&host)).await? {
            return Ok(Effect::Ignored(format!(
                "video {} of {}: nobody here follows its channel, account or instance",
                video.id,
                channel.handle()
            )));
        }
    }
    let (likes, dislikes) = (
        count_of(ports, config, video.likes.as_ref()).await,
        count_of(ports, config, video.dislikes.as_ref()).await,
    );
    let row = to_row(video, document, channel.id, likes, dislikes, ports.clock.now_millis());
    let stored =
        remote_videos::upsert(ports.sql, &row, ports.clock.now_millis()).await.map_err(|e| match e {
            RemoteVideoError::Domain(e) => Failure::from(e),
            other => Failure::Permanent(other.to_string()),
        })?;
    Ok(if stored.written {
        Effect::Done(format!("stored video {} of {}", video.id, channel.handle()))
    } else {
        Effect::Ignored(format!("video {}: a newer copy is stored", video.id))
    })
}

/// The video's channel (required) and account rows, resolved from `attributedTo` on the video's
/// own origin. PeerTube 7 types each entry; newer servers send bare URLs, whose actor tells.
async fn owners(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
) -> Result<(RemoteActor, Option<i64>), Failure> {
    let mut channel: Option<RemoteActor> = None;
    let mut account: Option<i64> = None;
    for attribution in &video.attributed_to {
        if !same_origin(&attribution.id, &video.id) {
            return Err(Failure::Permanent(format!(
                "{} is attributed to {}, of another origin",
                video.id, attribution.id
            )));
        }
        let wanted = match attribution.kind.as_deref() {
            Some("Group") => channel.is_none(),
            Some("Person") => account.is_none(),
            _ => channel.is_none() || account.is_none(),
        };
        if !wanted {
            continue;
        }
        let actor = remote::actor(ports, config, attribution.id.as_str()).await?;
        match actor.kind {
            ActorKind::Group if channel.is_none() => channel = Some(actor),
            ActorKind::Person if account.is_none() => account = Some(actor.id),
            _ => {}
        }
    }
    let channel =
        channel.ok_or_else(|| Failure::Permanent(format!("{} is attributed to no channel", video.id)))?;
    if let (None, Some(account)) = (channel.owner_id, account) {
        // Lists show a video's account as its channel's owner.
        remote_actors::set_owner_if_unknown(ports.sql, channel.id, account).await?;
    }
    let account = account.or(channel.owner_id);
    Ok((channel, account))
}

/// `totalItems` of a likes or dislikes collection, when it can be read: the counts are the
/// origin's, and a collection that cannot be read keeps the stored count (`None`).
async fn count_of(ports: &Ports<'_>, config: &InstanceConfig, collection: Option<&Url>) -> Option<i64> {
    let document = remote::fetch_document(ports, config, collection?.as_str()).await.ok()?;
    let total = document.get("totalItems").and_then(Value::as_u64)?;
    i64::try_from(total.min(1 << 40)).ok()
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn clamp(n: u64) -> i64 {
    // Below 2^53: D1 hands integers back as JavaScript numbers.
    i64::try_from(n.min(1 << 50)).unwrap_or(0)
}

/// PeerTube's tags: 2–30 characters, at most 5, the first of each case-insensitively.
fn tags(video: &Video) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    video
        .tags
        .iter()
        .filter(|t| (TAG_CHARS.0..=TAG_CHARS.1).contains(&t.chars().count()))
        .filter(|t| seen.insert(t.to_lowercase()))
        .take(MAX_TAGS)
        .cloned()
        .collect()
}

/// The row of `video`, read from `document`, in channel `channel_id`.
fn to_row(
    video: &Video,
    document: &Value,
    channel_id: i64,
    likes: Option<i64>,
    dislikes: Option<i64>,
    now: i64,
) -> RemoteVideo {
    let known = |table: &[(i64, &str)], label: Option<&edgetube_activitypub::documents::Label>| {
        label.and_then(|l| l.identifier.parse::<i64>().ok()).filter(|id| constants::is_valid(table, *id))
    };
    let published_at = video.published.as_deref().and_then(parse_iso8601_millis);
    let comments_policy = match (video.comments_policy, video.comments_enabled) {
        (Some(policy @ 1..=3), _) => i64::from(policy),
        (_, Some(false)) => 2,
        _ => 1,
    };
    RemoteVideo {
        ap_id: video.id.to_string(),
        uuid: video.uuid.clone(),
        channel_id,
        name: cut(&video.name, NAME_MAX),
        description: video.content.as_deref().map(|d| cut(d, DESCRIPTION_MAX)),
        support: video.support.as_deref().map(|s| cut(s, SUPPORT_MAX)),
        category: known(CATEGORIES, video.category.as_ref()),
        licence: known(LICENCES, video.licence.as_ref()),
        language: video
            .language
            .as_ref()
            .map(|l| l.identifier.clone())
            .filter(|code| constants::language_label(code).is_some()),
        privacy: match video.privacy {
            Privacy::Public => privacy::PUBLIC,
            Privacy::Unlisted => privacy::UNLISTED,
        },
        nsfw: video.sensitive,
        comments_policy,
        download_enabled: video.download_enabled.unwrap_or(true),
        wait_transcoding: video.wait_transcoding,
        state: i64::from(video.state.unwrap_or(1)),
        duration: clamp(video.duration_secs),
        aspect_ratio: video.aspect_ratio.filter(|r| r.is_finite() && *r > 0.0),
        views: clamp(video.views),
        likes,
        dislikes,
        originally_published_at: video.originally_published_at.as_deref().and_then(parse_iso8601_millis),
        published_at,
        updated_at: video.updated.as_deref().and_then(parse_iso8601_millis).or(published_at).unwrap_or(now),
        thumbnail_url: video.thumbnail().map(|image| image.url.to_string()),
        preview_url: video.preview().map(|image| image.url.to_string()),
        tags: tags(video),
        document: document.to_string(),
    }
}
