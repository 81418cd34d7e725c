//! PeerTube's `Video` (list item) and `VideoDetails` shapes, field order as PeerTube 7 serves them.

use std::collections::HashMap;

use edgetube_domain::actors::{self, LocalActor};
use edgetube_domain::videos::constants::{self, CATEGORIES, COMMENTS_POLICIES, LICENCES, PRIVACIES, STATES};
use edgetube_domain::videos::{self, Video};
use edgetube_domain::{iso8601_millis, users, Origin};
use edgetube_media::renditions;
use serde_json::{json, Map, Value};

use crate::context::Ctx;
use crate::{dto, Problem};

/// PeerTube truncates `truncatedDescription` to 250 characters, ellipsis included.
const TRUNCATED_DESCRIPTION: usize = 250;

/// The channels and accounts a page of videos refers to, by actor id.
pub struct Owners(HashMap<i64, LocalActor>);

impl Owners {
    /// Loads the channels and accounts of `videos` in as few queries as D1 allows.
    pub async fn load(ctx: &Ctx<'_>, videos: &[Video]) -> Result<Self, Problem> {
        let mut ids: Vec<i64> = videos.iter().flat_map(|v| [v.channel_id, v.account_id]).collect();
        ids.sort_unstable();
        ids.dedup();
        let actors = actors::find_local_by_ids(ctx.ports.sql, &ids).await.map_err(Problem::internal_from)?;
        Ok(Self(actors.into_iter().map(|a| (a.id, a)).collect()))
    }

    fn get(&self, id: i64) -> Result<&LocalActor, Problem> {
        self.0.get(&id).ok_or_else(|| Problem::internal_from(format!("video owner {id} is missing")))
    }
}

fn labelled(table: &[(i64, &'static str)], id: Option<i64>) -> Value {
    match id {
        Some(id) => json!({"id": id, "label": constants::label(table, id)}),
        None => json!({"id": null, "label": "Unknown"}),
    }
}

fn language(code: Option<&str>) -> Value {
    match code {
        Some(code) => json!({"id": code, "label": constants::language_label(code).unwrap_or("Unknown")}),
        None => json!({"id": null, "label": "Unknown"}),
    }
}

fn truncated(description: Option<&str>) -> Option<String> {
    let description = description?;
    if description.chars().count() <= TRUNCATED_DESCRIPTION {
        return Some(description.to_owned());
    }
    let mut cut: String = description.chars().take(TRUNCATED_DESCRIPTION - 3).collect();
    cut.push_str("...");
    Some(cut)
}

/// `/lazy-static/<folder>/<file name of key>`: images are served under PeerTube's lazy paths.
fn image_path(folder: &str, key: Option<&str>) -> Option<String> {
    key.map(|key| format!("/lazy-static/{folder}/{}", key.rsplit('/').next().unwrap_or(key)))
}

/// A `Video` as lists show it, with channel and account summaries.
pub fn list_item(origin: &Origin, video: &Video, owners: &Owners) -> Result<Value, Problem> {
    let account = owners.get(video.account_id)?;
    let channel = owners.get(video.channel_id)?;
    let mut value = base(origin, video);
    if let Some(object) = value.as_object_mut() {
        object.insert("account".into(), dto::summary(origin, account));
        object.insert("channel".into(), dto::summary(origin, channel));
    }
    Ok(value)
}

/// The list-item fields up to `isLive`.
fn base(origin: &Origin, video: &Video) -> Value {
    json!({
        "id": video.id,
        "uuid": video.uuid,
        "shortUUID": video.short_uuid,
        "url": origin.join(&format!("/videos/watch/{}", video.uuid)),
        "name": video.name,
        "category": labelled(CATEGORIES, video.category),
        "licence": labelled(LICENCES, video.licence),
        "language": language(video.language.as_deref()),
        "privacy": labelled(PRIVACIES, Some(video.privacy)),
        "nsfw": video.nsfw != 0,
        "truncatedDescription": truncated(video.description.as_deref()),
        "description": video.description,
        "isLocal": true,
        "duration": video.duration,
        "aspectRatio": video.aspect_ratio,
        "views": video.views,
        "viewers": 0,
        "likes": video.likes,
        "dislikes": video.dislikes,
        "thumbnailPath": image_path("thumbnails", video.thumbnail_key.as_deref()),
        "previewPath": image_path("previews", video.preview_key.as_deref()),
        "embedPath": format!("/videos/embed/{}", video.uuid),
        "createdAt": iso8601_millis(video.created_at),
        "updatedAt": iso8601_millis(video.updated_at),
        "publishedAt": video.published_at.map(iso8601_millis),
        "originallyPublishedAt": video.originally_published_at.map(iso8601_millis),
        "isLive": false,
    })
}

/// Adds what `GET /users/me/videos` shows an owner beyond a list item.
pub fn with_owner_fields(mut item: Value, video: &Video) -> Value {
    if let Some(object) = item.as_object_mut() {
        object.insert("waitTranscoding".into(), (video.wait_transcoding != 0).into());
        object.insert("state".into(), labelled(STATES, Some(video.state)));
        object.insert("blacklisted".into(), false.into());
        object.insert("blacklistedReason".into(), Value::Null);
    }
    item
}

/// The instance's tracker URLs, HTTP then WebSocket.
pub fn tracker_list(origin: &Origin) -> Vec<String> {
    let ws = if origin.scheme() == "https" { "wss" } else { "ws" };
    vec![origin.join("/tracker/announce"), format!("{ws}://{}/tracker/socket", origin.authority())]
}

fn tracker_urls(origin: &Origin) -> Value {
    json!(tracker_list(origin))
}

fn input_resolution(video: &Video) -> i64 {
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
    let private = if matches!(video.privacy, videos::privacy::PUBLIC | videos::privacy::UNLISTED) {
        ""
    } else {
        "private/"
    };
    origin.join(&format!("/static/web-videos/{private}{}", input_file_name(video)))
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// PeerTube's `files` (web videos): the uploaded original, as PeerTube lists its input file,
/// until HLS renditions replace it (like PeerTube's default configuration, no web videos are kept).
fn input_files(origin: &Origin, video: &Video) -> Value {
    let (Some(_), None) = (&video.original_key, &video.hls_master_key) else { return json!([]) };
    let url = input_file_url(origin, video);
    let torrent_url = video
        .input_torrent_key
        .as_deref()
        .map(|key| origin.join(&format!("/lazy-static/torrents/{}", key.rsplit('/').next().unwrap_or(key))));
    let magnet = video.input_infohash.as_deref().map(|hash| {
        let mut magnet = format!("magnet:?xt=urn:btih:{hash}");
        if let Some(torrent) = &torrent_url {
            magnet.push_str(&format!("&xs={}", encoded(torrent)));
        }
        magnet.push_str(&format!("&dn={}", encoded(&video.name)));
        for tracker in tracker_list(origin) {
            magnet.push_str(&format!("&tr={}", encoded(&tracker)));
        }
        magnet.push_str(&format!("&ws={}", encoded(&url)));
        magnet
    });
    let resolution = input_resolution(video);
    let label = if resolution == 0 { "Unknown".to_owned() } else { format!("{resolution}p") };
    json!([{
        "id": video.id,
        "resolution": {"id": resolution, "label": label},
        "width": video.input_width,
        "height": video.input_height,
        "magnetUri": magnet,
        "size": video.original_size,
        "fps": null,
        "torrentUrl": torrent_url,
        "torrentDownloadUrl": torrent_url,
        "fileUrl": url,
        "fileDownloadUrl": url,
        "metadataUrl": origin.join(&format!("/api/v1/videos/{}/metadata/{}", video.uuid, video.id)),
        "hasAudio": null,
        "hasVideo": true,
        "storage": 1,
    }])
}

/// `VideoDetails` (`GET /videos/{id}`): full account and channel, tags, state and files.
pub async fn details(ctx: &Ctx<'_>, video: &Video) -> Result<Value, Problem> {
    let origin = &ctx.config.origin;
    let owners = Owners::load(ctx, std::slice::from_ref(video)).await?;
    let account_actor = owners.get(video.account_id)?;
    let user_id = users::find_by_account(ctx.ports.sql, video.account_id)
        .await
        .map_err(Problem::internal_from)?
        .map(|u| u.id);
    let account = dto::account(origin, account_actor, user_id);
    let channel = dto::channel(origin, owners.get(video.channel_id)?, Some(account.clone()));
    let tags = videos::tags_of(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;

    let mut object: Map<String, Value> = match base(origin, video) {
        Value::Object(object) => object,
        _ => return Err(Problem::internal()),
    };
    let rest = json!({
        "account": account,
        "channel": channel,
        "blacklisted": false,
        "blacklistedReason": null,
        "streamingPlaylists": streaming_playlists(ctx, video).await?,
        "files": input_files(origin, video),
        "support": video.support,
        "tags": tags,
        "commentsEnabled": video.comments_policy == 1,
        "commentsPolicy": labelled(COMMENTS_POLICIES, Some(video.comments_policy)),
        "downloadEnabled": video.download_enabled != 0,
        "waitTranscoding": video.wait_transcoding != 0,
        "inputFileUpdatedAt": video.input_file_updated_at.map(iso8601_millis),
        "state": labelled(STATES, Some(video.state)),
        "trackerUrls": tracker_urls(origin),
    });
    if let Value::Object(rest) = rest {
        object.extend(rest);
    }
    Ok(Value::Object(object))
}

/// The base URL of a video's HLS files: private media goes through the `/private/` path that
/// checks tokens.
fn hls_base(origin: &Origin, video: &Video) -> String {
    let private = if matches!(video.privacy, videos::privacy::PUBLIC | videos::privacy::UNLISTED) {
        ""
    } else {
        "private/"
    };
    origin.join(&format!("/static/streaming-playlists/hls/{private}{}/", video.uuid))
}

fn resolution_label(resolution: i64) -> String {
    if resolution == 0 {
        "Audio only".to_owned()
    } else {
        format!("{resolution}p")
    }
}

/// PeerTube's `streamingPlaylists`: one HLS playlist with a file per rendition, once the first
/// rendition is stored.
async fn streaming_playlists(ctx: &Ctx<'_>, video: &Video) -> Result<Value, Problem> {
    let (Some(master), Some(sha)) = (&video.hls_master_key, &video.hls_sha256_key) else {
        return Ok(json!([]));
    };
    let origin = &ctx.config.origin;
    let base = hls_base(origin, video);
    let name = |key: &str| key.rsplit('/').next().unwrap_or(key).to_owned();
    let files = renditions::files(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let url = format!("{base}{}", f.file_name);
            json!({
                "id": f.id,
                "resolution": {"id": f.resolution, "label": resolution_label(f.resolution)},
                "width": f.width,
                "height": f.height,
                // No torrents: peers share segments through the HLS P2P loader instead.
                "magnetUri": null,
                "size": f.size,
                "fps": f.fps,
                "torrentUrl": null,
                "torrentDownloadUrl": null,
                "fileUrl": url,
                "fileDownloadUrl": url,
                "metadataUrl": origin.join(&format!("/api/v1/videos/{}/metadata/{}", video.uuid, f.id)),
                "hasAudio": f.has_audio != 0,
                "hasVideo": f.has_video != 0,
                "storage": 1,
            })
        })
        .collect();
    Ok(json!([{
        "id": video.id,
        "type": 1,
        "playlistUrl": format!("{base}{}", name(master)),
        "segmentsSha256Url": format!("{base}{}", name(sha)),
        "redundancies": [],
        "files": files,
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_truncate_like_peertube() {
        assert_eq!(truncated(Some("short")).as_deref(), Some("short"));
        let long = "é".repeat(300);
        let cut = truncated(Some(&long)).unwrap();
        assert_eq!(cut.chars().count(), 250);
        assert!(cut.ends_with("..."));
        assert_eq!(truncated(None), None);
    }

    #[test]
    fn images_live_under_lazy_static() {
        assert_eq!(
            image_path("thumbnails", Some("thumbnails/abc.jpg")).as_deref(),
            Some("/lazy-static/thumbnails/abc.jpg")
        );
        assert_eq!(image_path("previews", None), None);
    }
}
