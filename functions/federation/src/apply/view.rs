//! `View` of one of our videos by a remote server: one view through the view counter, keyed by
//! the actor so that a server repeating itself counts once per window as a local viewer does.

use edgetube_activitypub::documents::Activity;
use edgetube_domain::views::{remote_viewer_key, VIEW_WINDOW_SECONDS};
use edgetube_domain::InstanceConfig;
use edgetube_ports::Ports;

use super::{Effect, Failure};
use crate::objects::{self, is_local_video, Named};

/// `View` of `object` (a video URL).
pub(super) async fn view(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    activity: &Activity,
) -> Result<Effect, Failure> {
    // With `expires` a View says someone is watching now (PeerTube's live viewer count), not
    // that a view happened: counting it too would count every watcher twice.
    if activity.expires.is_some() {
        return Ok(Effect::Ignored(format!("a current-viewer View from {}", activity.actor)));
    }
    let object = activity.object.id().ok_or_else(|| Failure::Permanent("a View without an object".into()))?;
    let Named::Video(video) = objects::named(ports, config, object.as_str()).await? else {
        return Ok(Effect::Ignored(format!("View of {object}, not a video here")));
    };
    // A remote video's count is its origin's; only our own are counted here.
    if !is_local_video(&video) {
        return Ok(Effect::Ignored(format!("View of remote video {}", video.uuid)));
    }
    let key = remote_viewer_key(video.id, activity.actor.as_str());
    let counted = ports.views.record(video.id, &key, VIEW_WINDOW_SECONDS, ports.clock.now_millis()).await?;
    Ok(Effect::Done(format!(
        "View of video {} by {} {}",
        video.uuid,
        activity.actor,
        if counted { "counted" } else { "already counted this hour" }
    )))
}
