//! Where a local video's media is served: one set of URL builders for the REST API (which
//! reports them to players) and the ActivityPub Video object (which tells other servers where to
//! fetch), so the two can never disagree.
//!
//! Pure: everything comes from the instance origin and the video row; nothing is looked up.

use super::{privacy, Video};
use crate::{InstanceConfig, Origin};

/// `<origin>/videos/watch/<uuid>`: the watch page, which is also the ActivityPub id of a local
/// video.
pub fn watch_url(origin: &Origin, uuid: &str) -> String {
    origin.join(&format!("/videos/watch/{uuid}"))
}

/// `/videos/embed/<uuid>`, PeerTube's embed path (relative, as the REST API reports it).
pub fn embed_path(uuid: &str) -> String {
    format!("/videos/embed/{uuid}")
}

/// Whether the video's media is served without a token: public and unlisted videos; everything
/// else goes through the `/private/` paths that check tokens.
pub fn has_public_media(video: &Video) -> bool {
    matches!(video.privacy, privacy::PUBLIC | privacy::UNLISTED)
}

fn private_segment(video: &Video) -> &'static str {
    if has_public_media(video) {
        ""
    } else {
        "private/"
    }
}

/// The last path segment of an object key (`thumbnails/x.jpg` → `x.jpg`).
pub fn file_name_of(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// `/lazy-static/<folder>/<file name of key>`: images are served under PeerTube's lazy paths.
pub fn image_path(folder: &str, key: Option<&str>) -> Option<String> {
    key.map(|key| format!("/lazy-static/{folder}/{}", file_name_of(key)))
}

/// The file name under which a remote video's image at `origin_url` is cached here
/// (`/lazy-static/<folder>/<name>`): the video's UUID, which finds the row, and a digest of the
/// origin URL, so a new image on the origin gets a new name instead of a stale cached copy.
pub fn remote_image_file(uuid: &str, origin_url: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = edgetube_ports::encoding::hex(&Sha256::digest(origin_url.as_bytes()));
    let extension = origin_url
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| matches!(ext.as_str(), "jpg" | "jpeg" | "png" | "webp" | "gif"))
        .unwrap_or_else(|| "jpg".to_owned());
    format!("remote-{uuid}-{}.{extension}", &digest[..16])
}

/// The UUID a [`remote_image_file`] name starts with, if it is one.
pub fn remote_image_uuid(file: &str) -> Option<&str> {
    let rest = file.strip_prefix("remote-")?;
    let uuid = rest.get(..36)?;
    (rest.as_bytes().get(36) == Some(&b'-')).then_some(uuid)
}

/// `/lazy-static/<storyboard key>`: the storyboard sheet (its key already starts with the folder).
pub fn storyboard_path(file_key: &str) -> String {
    format!("/lazy-static/{file_key}")
}

/// The base URL of a video's HLS files, ending with `/`.
pub fn hls_base(origin: &Origin, video: &Video) -> String {
    origin.join(&format!("/static/streaming-playlists/hls/{}{}/", private_segment(video), video.uuid))
}

/// The URL of one of the video's HLS files (`key` or plain file name).
pub fn hls_file_url(origin: &Origin, video: &Video, key: &str) -> String {
    format!("{}{}", hls_base(origin, video), file_name_of(key))
}

/// `<origin>/api/v1/videos/<uuid>/metadata/<file id>`: a file's ffprobe metadata.
pub fn metadata_url(origin: &Origin, uuid: &str, file_id: i64) -> String {
    origin.join(&format!("/api/v1/videos/{uuid}/metadata/{file_id}"))
}

/// PeerTube's tracker path. Ours takes the video's UUID after it, so that the Worker can pick the
/// video's tracker shard when the socket opens, before any info hash is known.
pub const TRACKER_SOCKET_PATH: &str = "/tracker/socket";

/// The tracker URLs of a local video: its WebSocket tracker, `ws(s)://<host>/tracker/socket/<uuid>`.
/// There is no HTTP tracker (`/tracker/announce`): PeerTube's players use only the WebSocket
/// ones, and an advertised URL that answers 404 only costs BitTorrent clients a request.
pub fn tracker_list(config: &InstanceConfig, uuid: &str) -> Vec<String> {
    if !config.tracker_enabled {
        return Vec::new();
    }
    own_tracker_list(&config.origin, uuid)
}

/// The announce URL of this instance's own tracker for video `uuid` (`ws` under `http`).
fn own_tracker_list(origin: &Origin, uuid: &str) -> Vec<String> {
    let ws = if origin.scheme() == "https" { "wss" } else { "ws" };
    vec![format!("{ws}://{}{TRACKER_SOCKET_PATH}/{uuid}", origin.authority())]
}

/// The short side of the original's frame, 0 when the upload could not tell.
pub fn input_resolution(video: &Video) -> i64 {
    match (video.input_width, video.input_height) {
        (Some(w), Some(h)) => w.min(h),
        _ => 0,
    }
}

/// The web-video name of the uploaded original: `<videoUUID>-<resolution>.<ext>`.
pub fn input_file_name(video: &Video) -> String {
    let ext = video
        .original_filename
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "mp4".to_owned());
    format!("{}-{}.{ext}", video.uuid, input_resolution(video))
}

/// Where the original is served while it is the video's web video file.
pub fn input_file_url(origin: &Origin, video: &Video) -> String {
    origin.join(&format!("/static/web-videos/{}{}", private_segment(video), input_file_name(video)))
}

/// Whether the original is listed as the video's web video: it is stored and no HLS rendition
/// replaced it yet (like PeerTube's default configuration, no web videos are kept after that).
pub fn lists_input_file(video: &Video) -> bool {
    video.original_key.is_some() && video.hls_master_key.is_none()
}

/// The `.torrent` of the original, when one was made at upload.
pub fn input_torrent_url(origin: &Origin, video: &Video) -> Option<String> {
    video
        .input_torrent_key
        .as_deref()
        .map(|key| origin.join(&format!("/lazy-static/torrents/{}", file_name_of(key))))
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The original's magnet URI: its info hash, torrent, title, trackers and the file as web seed.
pub fn input_magnet(config: &InstanceConfig, video: &Video) -> Option<String> {
    let origin = &config.origin;
    let hash = video.input_infohash.as_deref()?;
    let mut magnet = format!("magnet:?xt=urn:btih:{hash}");
    if let Some(torrent) = input_torrent_url(origin, video) {
        magnet.push_str(&format!("&xs={}", encoded(&torrent)));
    }
    magnet.push_str(&format!("&dn={}", encoded(&video.name)));
    for tracker in tracker_list(config, &video.uuid) {
        magnet.push_str(&format!("&tr={}", encoded(&tracker)));
    }
    magnet.push_str(&format!("&ws={}", encoded(&input_file_url(origin, video))));
    Some(magnet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_images_are_named_by_video_and_origin_url() {
        let uuid = "9c9de5e8-0a1e-484a-b099-e80766180a6d";
        let name = remote_image_file(uuid, "https://pt.example/lazy-static/thumbnails/a.png");
        assert!(name.starts_with(&format!("remote-{uuid}-")) && name.ends_with(".png"), "{name}");
        assert_eq!(remote_image_uuid(&name), Some(uuid));
        assert_ne!(name, remote_image_file(uuid, "https://pt.example/lazy-static/thumbnails/b.png"));
        assert!(remote_image_file(uuid, "https://pt.example/x/no-extension").ends_with(".jpg"));
        assert_eq!(remote_image_uuid("abc.jpg"), None);
        assert_eq!(remote_image_uuid("remote-short.jpg"), None);
    }

    #[test]
    fn images_live_under_lazy_static() {
        assert_eq!(
            image_path("thumbnails", Some("thumbnails/abc.jpg")).as_deref(),
            Some("/lazy-static/thumbnails/abc.jpg")
        );
        assert_eq!(image_path("previews", None), None);
        assert_eq!(storyboard_path("storyboards/u-s.jpg"), "/lazy-static/storyboards/u-s.jpg");
    }

    #[test]
    fn trackers_follow_the_scheme() {
        let origin = Origin::parse("https://tube.example", false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(own_tracker_list(&origin, "u-1"), ["wss://tube.example/tracker/socket/u-1"]);
        let local = Origin::parse("http://127.0.0.1:8787", true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(own_tracker_list(&local, "u-1"), ["ws://127.0.0.1:8787/tracker/socket/u-1"]);
    }
}
