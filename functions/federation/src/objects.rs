//! Which of our rows an ActivityPub id names: a local video or comment by its URL on this
//! instance (`/videos/watch/<uuid>`, `/w/<shortUUID>`, `.../comments/<id>`), or a remote one by
//! the id it was received with.

use edgetube_domain::comments::{self, Comment};
use edgetube_domain::videos::{self, Video, VideoRef};
use edgetube_domain::InstanceConfig;
use edgetube_ports::Ports;

use crate::FederationError;

/// What an id names.
pub enum Named {
    /// A video (local or remote).
    Video(Video),
    /// A comment, and its video.
    Comment(Comment, Video),
    /// Nothing we have.
    Unknown,
}

/// The local path of `url` when it is on this instance.
fn local_path<'u>(config: &InstanceConfig, url: &'u str) -> Option<&'u str> {
    url.strip_prefix(config.origin.as_str()).filter(|p| p.starts_with('/'))
}

/// The video or comment `url` names.
pub async fn named(ports: &Ports<'_>, config: &InstanceConfig, url: &str) -> Result<Named, FederationError> {
    if let Some(path) = local_path(config, url) {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let rest = path.strip_prefix("/videos/watch/").or_else(|| path.strip_prefix("/w/"));
        let Some(rest) = rest else { return Ok(Named::Unknown) };
        let mut parts = rest.split('/');
        let reference = parts.next().and_then(VideoRef::parse);
        let Some(reference) = reference else { return Ok(Named::Unknown) };
        let Some(video) = videos::find(ports.sql, &reference).await? else { return Ok(Named::Unknown) };
        return match (parts.next(), parts.next().and_then(|id| id.parse::<i64>().ok()), parts.next()) {
            (None, _, _) => Ok(Named::Video(video)),
            (Some("comments"), Some(id), None) => Ok(comments::find(ports.sql, video.id, id)
                .await?
                .map_or(Named::Unknown, |comment| Named::Comment(comment, video))),
            _ => Ok(Named::Unknown),
        };
    }
    if let Some(comment) = comments::find_by_ap_id(ports.sql, url).await? {
        let video = videos::find_by_id(ports.sql, comment.video_id)
            .await?
            .ok_or_else(|| FederationError::Inconsistent(format!("comment {url} has no video")))?;
        return Ok(Named::Comment(comment, video));
    }
    Ok(videos::remote::find_by_ap_id(ports.sql, url).await?.map_or(Named::Unknown, Named::Video))
}

/// Whether `video` is one of ours (not received from another server).
pub fn is_local_video(video: &Video) -> bool {
    !video.is_remote()
}

/// The ActivityPub id of a video: ours from its UUID, a remote one as received.
pub fn video_url(config: &InstanceConfig, video: &Video) -> String {
    video.ap_id.clone().unwrap_or_else(|| config.origin.join(&format!("/videos/watch/{}", video.uuid)))
}

/// The ActivityPub id of a comment: ours from its video and row, a remote one as received.
pub fn comment_url(config: &InstanceConfig, video: &Video, comment: &Comment) -> String {
    comment.ap_id.clone().unwrap_or_else(|| {
        config.origin.join(&format!("/videos/watch/{}/comments/{}", video.uuid, comment.id))
    })
}
