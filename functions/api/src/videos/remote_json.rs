//! The media of a remote video in PeerTube's REST shapes: `streamingPlaylists`, `files` and
//! `trackerUrls` read from the Video object its origin sent, every URL on the origin (players
//! fetch from there; we keep no copy).

use edgetube_activitypub::documents::{Video as VideoObject, VideoFile};
use edgetube_domain::videos::{remote, Video};
use serde_json::{json, Value};

use super::json::resolution_label;
use crate::context::Ctx;
use crate::Problem;

/// The media fields of `VideoDetails`.
pub struct Media {
    /// `streamingPlaylists`.
    pub streaming_playlists: Value,
    /// `files` (web videos).
    pub files: Value,
    /// `trackerUrls`.
    pub tracker_urls: Value,
}

/// PeerTube's `storage` of a file: 0, the file system. What PeerTube reports for the files of
/// remote videos, which it does not store either.
const STORAGE_FILE_SYSTEM: i64 = 0;

/// The media of the remote `video`, from its stored Video object.
pub async fn media(ctx: &Ctx<'_>, video: &Video) -> Result<Media, Problem> {
    let document = remote::document_of(ctx.ports.sql, video.id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from(format!("remote video {} has no document", video.id)))?;
    // It parsed when it was stored; the parser is the same, so this fails only on a corrupted row.
    let object = VideoObject::parse(document.as_bytes())
        .map_err(|e| Problem::internal_from(format!("document of video {}: {e}", video.id)))?;
    Ok(from_object(video.id, &object))
}

/// The media fields of Video object `object` of row `video_id`.
pub fn from_object(video_id: i64, object: &VideoObject) -> Media {
    // File ids only need to be unique within the video: PeerTube's ids are its own database's.
    let mut next_id = 0;
    let mut files = |list: &[VideoFile]| -> Vec<Value> {
        list.iter()
            .map(|file| {
                next_id += 1;
                file_json(next_id, file)
            })
            .collect()
    };
    let playlists: Vec<Value> = object
        .streaming_playlists
        .iter()
        .map(|playlist| {
            json!({
                "id": video_id,
                "type": 1,
                "playlistUrl": playlist.master_url.as_str(),
                "segmentsSha256Url": playlist.segments_sha256_url.as_ref().map(|u| u.as_str()),
                "redundancies": [],
                "files": files(&playlist.files),
            })
        })
        .collect();
    let web_videos = files(&object.web_videos);
    let trackers: Vec<&str> = object.trackers.iter().map(|t| t.url.as_str()).collect();
    Media { streaming_playlists: json!(playlists), files: json!(web_videos), tracker_urls: json!(trackers) }
}

/// One file: PeerTube's resolution is the short side of the frame (Video objects give height
/// and width); an `audio/*` file is audio only.
fn file_json(id: i64, file: &VideoFile) -> Value {
    let audio_only = file.media_type.starts_with("audio/");
    let height = file.height.map(i64::from);
    let resolution = match (file.width.map(i64::from), height) {
        _ if audio_only => 0,
        (Some(w), Some(h)) if w > 0 => w.min(h),
        (_, Some(h)) => h,
        _ => 0,
    };
    let url = file.url.as_str();
    let torrent = file.torrent_url.as_ref().map(|u| u.as_str());
    json!({
        "id": id,
        "resolution": {"id": resolution, "label": resolution_label(resolution)},
        "width": file.width,
        "height": file.height,
        "magnetUri": file.magnet.as_ref().map(|u| u.as_str()),
        "size": file.size,
        "fps": file.fps,
        "torrentUrl": torrent,
        "torrentDownloadUrl": torrent,
        "fileUrl": url,
        "fileDownloadUrl": url,
        "metadataUrl": file.metadata_url.as_ref().map(|u| u.as_str()),
        "hasAudio": null,
        "hasVideo": !audio_only,
        "storage": STORAGE_FILE_SYSTEM,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(media_type: &str, width: Option<u32>, height: Option<u32>) -> VideoFile {
        VideoFile {
            url: url::Url::parse("https://pt.example/static/web-videos/x.mp4").unwrap(),
            media_type: media_type.to_owned(),
            height,
            width,
            size: Some(10),
            fps: Some(30),
            metadata_url: None,
            torrent_url: None,
            magnet: None,
        }
    }

    #[test]
    fn the_resolution_is_the_short_side() {
        let resolution = |f: &VideoFile| file_json(1, f)["resolution"].clone();
        assert_eq!(
            resolution(&file("video/mp4", Some(1280), Some(720))),
            json!({"id": 720, "label": "720p"})
        );
        assert_eq!(
            resolution(&file("video/mp4", Some(720), Some(1280))),
            json!({"id": 720, "label": "720p"})
        );
        assert_eq!(resolution(&file("video/mp4", None, Some(480))), json!({"id": 480, "label": "480p"}));
        let audio = file_json(2, &file("audio/mp4", None, Some(0)));
        assert_eq!(audio["resolution"], json!({"id": 0, "label": "Audio only"}));
        assert_eq!(audio["hasVideo"], false);
    }
}
