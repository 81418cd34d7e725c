//! Comments from other servers: `Create{Note}` (and `Update{Note}`) replying to a video or a
//! comment we have, stored with their remote author; `Delete` of such a comment (a `Tombstone`
//! or its id) by its own server. Mastodon replies are HTML, reduced to text ([`crate::text`]).

use edgetube_activitypub::documents::{Activity, Note};
use edgetube_domain::comments::{self, RemoteComment};
use edgetube_domain::{parse_iso8601_millis, InstanceConfig};
use edgetube_ports::Ports;

use super::{Effect, Failure};
use crate::objects::{self, Named};
use crate::{blocklist, remote, text};

/// The longest comment kept, as PeerTube's API bounds ours.
const MAX_TEXT: usize = 10_000;

/// Stores the Note of a Create or Update; `forwarded` when the signer is not its author, in
/// which case the Note is read from its origin rather than from the activity.
pub(super) async fn create_or_update(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
    forwarded: bool,
) -> Result<Effect, Failure> {
    let note = if forwarded {
        let id = activity
            .object
            .id()
            .ok_or_else(|| Failure::Permanent("a forwarded Note without an id".into()))?;
        let document = remote::fetch_document(ports, config, id.as_str()).await?;
        Note::from_value(&document).map_err(|e| Failure::Permanent(format!("fetched Note: {e}")))?
    } else {
        activity
            .object
            .embedded()
            .ok_or_else(|| Failure::Permanent("a Note given by id only".into()))?
            .read::<Note>()
            .map_err(|e| Failure::Permanent(e.to_string()))?
    };
    let author_url = &note.attributed_to;
    if author_url != &activity.actor && !forwarded {
        return Err(Failure::Permanent(format!("{} sent a Note attributed to {author_url}", activity.actor)));
    }
    let Some(in_reply_to) = note.in_reply_to.as_ref() else {
        return Ok(Effect::Ignored(format!("Note {} answers nothing of ours", note.id)));
    };
    let (video, parent) = match objects::named(ports, config, in_reply_to.as_str()).await? {
        Named::Video(video) => (video, None),
        Named::Comment(comment, video) => (video, Some(comment)),
        Named::Unknown => {
            return Ok(Effect::Ignored(format!("Note {} answers {in_reply_to}, unknown here", note.id)))
        }
    };
    let author = remote::actor(ports, config, author_url.as_str()).await?;
    if blocklist::account_blocked(ports.sql, author.id).await? {
        return Ok(Effect::Ignored(format!("Note by blocked {}", author.handle())));
    }
    let body = if note.is_markdown() { note.content.clone() } else { text::from_html(&note.content) };
    let body: String = body.chars().take(MAX_TEXT).collect();
    let published =
        note.published.as_deref().and_then(parse_iso8601_millis).unwrap_or_else(|| ports.clock.now_millis());
    let stored = comments::upsert_remote(
        ports,
        &RemoteComment {
            video_id: video.id,
            account_id: author.id,
            parent: parent.as_ref(),
            text: &body,
            ap_id: note.id.as_str(),
            published,
        },
    )
    .await?;
    Ok(Effect::Done(format!("comment {} by {} on video {}", stored.id, author.handle(), video.uuid)))
}

/// A remote comment deleted by its server.
pub(super) async fn delete(ports: &Ports<'_>, activity: &Activity) -> Result<Effect, Failure> {
    // An id, or an embedded Tombstone (or Note) carrying it.
    let id =
        activity.object.id().ok_or_else(|| Failure::Permanent("a Delete names no object".into()))?.clone();
    let Some(comment) = comments::find_by_ap_id(ports.sql, id.as_str()).await? else {
        return Ok(Effect::Ignored(format!("Delete of {id}, not a comment we have")));
    };
    if !edgetube_activitypub::documents::same_origin(&id, &activity.actor) {
        return Err(Failure::Permanent(format!("{} cannot delete {id}", activity.actor)));
    }
    comments::delete(ports, &comment).await?;
    Ok(Effect::Done(format!("comment {} deleted by its server", comment.id)))
}
