//! Our Video object, field for field as PeerTube 7 serves it (`peertube-samples/activitypub/
//! video.json`), and the `Create` and `Update` that carry it.
//!
//! The input is plain data ([`VideoDocumentInput`]): what the instance knows of a video, with
//! every URL already made absolute. This module decides only the document's shape.

use serde_json::{json, Map, Value};

use super::activities::envelope;
use super::{with_context, Audience};
use crate::documents::context::{self, PUBLIC};
use crate::documents::duration::format_duration;
use crate::documents::video::{Label, Privacy};
use crate::documents::video_links::{HLS, MAGNET, TORRENT};
use crate::documents::TrackerKind;

/// What the instance knows of a video, for its Video object.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoDocumentInput {
    /// The instance origin (`https://tube.example`), without a trailing slash.
    pub origin: String,
    /// The video's UUID.
    pub uuid: String,
    /// The title.
    pub name: String,
    /// Duration in seconds.
    pub duration_secs: u64,
    /// The description, in markdown.
    pub description: Option<String>,
    /// Category (`identifier` is PeerTube's number as a string).
    pub category: Option<Label>,
    /// Licence.
    pub licence: Option<Label>,
    /// Language.
    pub language: Option<Label>,
    /// Tags, without `#`.
    pub tags: Vec<String>,
    /// NSFW (`sensitive`).
    pub nsfw: bool,
    /// `waitTranscoding`.
    pub wait_transcoding: bool,
    /// PeerTube's state number (1 published).
    pub state: u32,
    /// Who may comment.
    pub comments_policy: CommentsPolicy,
    /// `downloadEnabled`.
    pub download_enabled: bool,
    /// `published` (ISO 8601 with milliseconds, as PeerTube writes it).
    pub published: String,
    /// `updated`.
    pub updated: String,
    /// `originallyPublishedAt`.
    pub originally_published_at: Option<String>,
    /// `uploadDate`: written after `updated` when known (PeerTube 6.3 sends it; the 7.0 sample
    /// does not).
    pub upload_date: Option<String>,
    /// `views`.
    pub views: u64,
    /// `support` text.
    pub support: Option<String>,
    /// The uploading account's actor id.
    pub account: String,
    /// The channel's actor id.
    pub channel: String,
    /// The thumbnail (PeerTube: 280×157).
    pub thumbnail: Option<ImageInput>,
    /// The preview (PeerTube: 850×480).
    pub preview: Option<ImageInput>,
    /// The storyboard sprite sheet.
    pub storyboard: Option<StoryboardInput>,
    /// Captions.
    pub captions: Vec<CaptionInput>,
    /// Width / height, rounded as PeerTube does (4 decimals).
    pub aspect_ratio: Option<f64>,
    /// Web-video files, in PeerTube's order (highest resolution first).
    pub web_videos: Vec<FileInput>,
    /// The HLS playlist.
    pub hls: Option<HlsInput>,
    /// Trackers, written after the files.
    pub trackers: Vec<TrackerInput>,
    /// Public or unlisted.
    pub privacy: Privacy,
    /// Live settings, for a live video.
    pub live: Option<LiveInput>,
}

/// Who may comment (`commentsPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentsPolicy {
    /// 1: anyone.
    Enabled = 1,
    /// 2: nobody.
    Disabled = 2,
    /// 3: comments wait for approval.
    RequiresApproval = 3,
}

/// An image (thumbnail or preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInput {
    /// Absolute URL.
    pub url: String,
    /// `image/jpeg`.
    pub media_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The storyboard sprite sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryboardInput {
    /// Absolute URL.
    pub url: String,
    /// `image/jpeg`.
    pub media_type: String,
    /// Sheet width.
    pub width: u32,
    /// Sheet height.
    pub height: u32,
    /// One tile's width.
    pub tile_width: u32,
    /// One tile's height.
    pub tile_height: u32,
    /// Seconds of video per tile.
    pub tile_duration_secs: u64,
}

/// A caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptionInput {
    /// Language code and name.
    pub language: Label,
    /// The WebVTT file's absolute URL.
    pub url: String,
    /// Transcribed rather than uploaded.
    pub automatically_generated: bool,
}

/// A media file: a web video, or one HLS rendition's fragmented MP4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInput {
    /// Absolute URL.
    pub url: String,
    /// `video/mp4` (`audio/mp4` for audio-only).
    pub media_type: String,
    /// Height in pixels.
    pub height: u32,
    /// Width in pixels.
    pub width: u32,
    /// Size in bytes.
    pub size: u64,
    /// Frames per second.
    pub fps: u32,
    /// Whether the file has an audio stream (an `ffprobe_codec_type: audio` attachment).
    pub has_audio: bool,
    /// Whether it has a video stream.
    pub has_video: bool,
    /// The metadata (ffprobe JSON) URL: `<origin>/api/v1/videos/<uuid>/metadata/<file id>`.
    pub metadata_url: Option<String>,
    /// The `.torrent` URL.
    pub torrent_url: Option<String>,
    /// The magnet URI (see [`magnet_uri`]).
    pub magnet: Option<String>,
    /// HLS renditions only: the rendition's P2P `Infohash` (40 hex digits).
    pub infohash: Option<String>,
}

/// The HLS playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlsInput {
    /// The master playlist's absolute URL.
    pub master_url: String,
    /// The segments' SHA-256 JSON's absolute URL.
    pub segments_sha256_url: String,
    /// The renditions, in PeerTube's order (highest first).
    pub files: Vec<FileInput>,
}

/// A tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerInput {
    /// HTTP or WebSocket.
    pub kind: TrackerKind,
    /// Its announce URL.
    pub url: String,
}

/// A live video's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveInput {
    /// `liveSaveReplay`.
    pub save_replay: bool,
    /// `permanentLive`.
    pub permanent: bool,
    /// `latencyMode` (1 default, 2 high latency, 3 small latency).
    pub latency_mode: u32,
}

/// What a magnet URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MagnetInput<'a> {
    /// The `.torrent` URL (`xs`).
    pub torrent_url: &'a str,
    /// The torrent's info hash (`xt=urn:btih:`).
    pub infohash: &'a str,
    /// The display name (`dn`): the video's title.
    pub name: &'a str,
    /// Trackers (`tr`).
    pub trackers: &'a [&'a str],
    /// The file itself as a web seed (`ws`).
    pub file_url: &'a str,
}

/// The magnet URI PeerTube writes: `magnet:?xs=…&xt=urn:btih:…&dn=…&tr=…&ws=…`, each value
/// form-urlencoded.
pub fn magnet_uri(magnet: &MagnetInput<'_>) -> String {
    let encode = |value: &str| url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    let mut uri = format!(
        "magnet:?xs={}&xt=urn:btih:{}&dn={}",
        encode(magnet.torrent_url),
        magnet.infohash,
        encode(magnet.name)
    );
    for tracker in magnet.trackers {
        uri.push_str("&tr=");
        uri.push_str(&encode(tracker));
    }
    uri.push_str("&ws=");
    uri.push_str(&encode(magnet.file_url));
    uri
}

impl VideoDocumentInput {
    /// The Video's id: `<origin>/videos/watch/<uuid>`.
    pub fn id(&self) -> String {
        format!("{}/videos/watch/{}", self.origin, self.uuid)
    }

    /// Its audience: a public video goes `to` Public with the account's followers in `cc`; an
    /// unlisted one has neither.
    pub fn audience(&self) -> Audience {
        match self.privacy {
            Privacy::Public => Audience::public(&format!("{}/followers", self.account)),
            Privacy::Unlisted => Audience::none(),
        }
    }
}

/// The Video document served at its id: [`video_object`] with the Video context first.
pub fn video_document(video: &VideoDocumentInput) -> Value {
    with_context(context::video(), video_object(video))
}

/// `Create{Video}` by the account: id `<video>/activity`, the video's audience.
pub fn create_video(video: &VideoDocumentInput) -> Value {
    carry("Create", &format!("{}/activity", video.id()), video)
}

/// `Update{Video}` by the account: id `<video>/updates/<updated>`, the video's audience.
pub fn update_video(video: &VideoDocumentInput) -> Value {
    carry("Update", &format!("{}/updates/{}", video.id(), video.updated), video)
}

fn carry(kind: &str, id: &str, video: &VideoDocumentInput) -> Value {
    let map = envelope(Some(&video.audience()), kind, id, &video.account, video_object(video));
    with_context(context::video(), Value::Object(map))
}

/// The Video object without `@context`, as embedded in `Create` and `Update`.
pub fn video_object(video: &VideoDocumentInput) -> Value {
    let id = video.id();
    let mut map = Map::new();
    video.audience().write(&mut map);
    map.insert("type".into(), "Video".into());
    map.insert("id".into(), id.clone().into());
    map.insert("name".into(), video.name.clone().into());
    map.insert("duration".into(), format_duration(video.duration_secs).into());
    map.insert("uuid".into(), video.uuid.clone().into());
    map.insert("category".into(), label(&video.category));
    map.insert("licence".into(), label(&video.licence));
    map.insert("language".into(), label(&video.language));
    map.insert("views".into(), video.views.into());
    map.insert("sensitive".into(), video.nsfw.into());
    map.insert("waitTranscoding".into(), video.wait_transcoding.into());
    map.insert("state".into(), video.state.into());
    map.insert("commentsEnabled".into(), (video.comments_policy != CommentsPolicy::Disabled).into());
    let can_reply = match video.comments_policy {
        CommentsPolicy::RequiresApproval => PUBLIC.into(),
        _ => Value::Null,
    };
    map.insert("canReply".into(), can_reply);
    map.insert("commentsPolicy".into(), (video.comments_policy as u32).into());
    map.insert("downloadEnabled".into(), video.download_enabled.into());
    map.insert("published".into(), video.published.clone().into());
    map.insert("originallyPublishedAt".into(), video.originally_published_at.clone().into());
    map.insert("updated".into(), video.updated.clone().into());
    if let Some(upload_date) = &video.upload_date {
        map.insert("uploadDate".into(), upload_date.clone().into());
    }
    let tags = video.tags.iter().map(|tag| json!({"type": "Hashtag", "name": tag})).collect();
    map.insert("tag".into(), Value::Array(tags));
    map.insert("mediaType".into(), "text/markdown".into());
    map.insert("content".into(), video.description.clone().into());
    map.insert("support".into(), video.support.clone().into());
    map.insert("subtitleLanguage".into(), video.captions.iter().map(caption).collect());
    let icons = [&video.thumbnail, &video.preview].into_iter().flatten().map(image).collect();
    map.insert("icon".into(), Value::Array(icons));
    map.insert("preview".into(), video.storyboard.iter().map(storyboard).collect());
    map.insert("aspectRatio".into(), video.aspect_ratio.into());
    map.insert("url".into(), Value::Array(urls(video, &id)));
    map.insert("likes".into(), format!("{id}/likes").into());
    map.insert("dislikes".into(), format!("{id}/dislikes").into());
    map.insert("shares".into(), format!("{id}/announces").into());
    map.insert("comments".into(), format!("{id}/comments").into());
    map.insert("hasParts".into(), format!("{id}/chapters").into());
    map.insert(
        "attributedTo".into(),
        json!([{"type": "Person", "id": video.account}, {"type": "Group", "id": video.channel}]),
    );
    map.insert("isLiveBroadcast".into(), video.live.is_some().into());
    map.insert("liveSaveReplay".into(), video.live.map(|l| l.save_replay).into());
    map.insert("permanentLive".into(), video.live.map(|l| l.permanent).into());
    map.insert("latencyMode".into(), video.live.map(|l| l.latency_mode).into());
    Value::Object(map)
}

fn label(label: &Option<Label>) -> Value {
    match label {
        Some(label) => json!({"identifier": label.identifier, "name": label.name}),
        None => Value::Null,
    }
}

fn caption(caption: &CaptionInput) -> Value {
    json!({
        "identifier": caption.language.identifier,
        "name": caption.language.name,
        "automaticallyGenerated": caption.automatically_generated,
        "url": caption.url,
    })
}

fn image(image: &ImageInput) -> Value {
    json!({
        "type": "Image",
        "url": image.url,
        "mediaType": image.media_type,
        "width": image.width,
        "height": image.height,
    })
}

fn storyboard(storyboard: &StoryboardInput) -> Value {
    json!({
        "type": "Image",
        "rel": ["storyboard"],
        "url": [{
            "mediaType": storyboard.media_type,
            "href": storyboard.url,
            "width": storyboard.width,
            "height": storyboard.height,
            "tileWidth": storyboard.tile_width,
            "tileHeight": storyboard.tile_height,
            "tileDuration": format_duration(storyboard.tile_duration_secs),
        }],
    })
}

/// The `url` list: the watch page, the web videos, the HLS playlist, the trackers.
fn urls(video: &VideoDocumentInput, id: &str) -> Vec<Value> {
    let mut urls = vec![json!({"type": "Link", "mediaType": "text/html", "href": id})];
    for file in &video.web_videos {
        file_links(file, "web-video", &mut urls);
    }
    if let Some(hls) = &video.hls {
        let mut tag: Vec<Value> = hls
            .files
            .iter()
            .filter_map(|file| file.infohash.as_ref())
            .map(|hash| json!({"type": "Infohash", "name": hash}))
            .collect();
        tag.push(json!({
            "type": "Link",
            "name": "sha256",
            "mediaType": "application/json",
            "href": hls.segments_sha256_url,
        }));
        for file in &hls.files {
            file_links(file, "fragmented", &mut tag);
        }
        urls.push(json!({"type": "Link", "mediaType": HLS, "href": hls.master_url, "tag": tag}));
    }
    for tracker in &video.trackers {
        let protocol = match tracker.kind {
            TrackerKind::Http => "http",
            TrackerKind::WebSocket => "websocket",
        };
        urls.push(json!({
            "type": "Link",
            "name": format!("tracker-{protocol}"),
            "rel": ["tracker", protocol],
            "href": tracker.url,
        }));
    }
    urls
}

/// A file's four links: the file, its metadata, its torrent and its magnet.
fn file_links(file: &FileInput, format_flag: &str, out: &mut Vec<Value>) {
    let property = |name: &str, value: &str| json!({"type": "PropertyValue", "name": name, "value": value});
    let mut attachment = Vec::new();
    if file.has_audio {
        attachment.push(property("ffprobe_codec_type", "audio"));
    }
    if file.has_video {
        attachment.push(property("ffprobe_codec_type", "video"));
    }
    attachment.push(property("peertube_format_flag", format_flag));
    out.push(json!({
        "type": "Link",
        "mediaType": file.media_type,
        "href": file.url,
        "height": file.height,
        "width": file.width,
        "size": file.size,
        "fps": file.fps,
        "attachment": attachment,
    }));
    let sized = |mut link: Map<String, Value>| {
        link.insert("height".into(), file.height.into());
        link.insert("width".into(), file.width.into());
        link.insert("fps".into(), file.fps.into());
        Value::Object(link)
    };
    if let Some(metadata) = &file.metadata_url {
        let link = json!({
            "type": "Link",
            "rel": ["metadata", file.media_type],
            "mediaType": "application/json",
            "href": metadata,
        });
        out.push(sized(object(link)));
    }
    if let Some(torrent) = &file.torrent_url {
        out.push(sized(object(json!({"type": "Link", "mediaType": TORRENT, "href": torrent}))));
    }
    if let Some(magnet) = &file.magnet {
        out.push(sized(object(json!({"type": "Link", "mediaType": MAGNET, "href": magnet}))));
    }
}

/// The map of a `json!({…})` literal.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
