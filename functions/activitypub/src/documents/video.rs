//! PeerTube's `Video` object (`activitypub.md` §5), read into what Edgetube stores of a remote
//! video: its metadata, images, files and playlists, owner and audience.

use serde_json::Value;
use url::Url;

use super::actor::{images, narrowest, widest, Image};
use super::context::PUBLIC;
use super::duration::parse_duration;
use super::error::{quote, DocumentError, Result};
use super::read::{http_url, Fields};
use super::video_links::{decode, StreamingPlaylist, Tracker, VideoFile};
use super::FromDocument;

/// A Video object.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    /// `id` (`<origin>/videos/watch/<uuid>`).
    pub id: Url,
    /// `uuid`.
    pub uuid: String,
    /// `name`, the title.
    pub name: String,
    /// `duration` in seconds (`PT5S` → 5).
    pub duration_secs: u64,
    /// `category` (PeerTube's numeric identifier as a string, and its label).
    pub category: Option<Label>,
    /// `licence`.
    pub licence: Option<Label>,
    /// `language` (a language code and its name).
    pub language: Option<Label>,
    /// `views` (0 if absent).
    pub views: u64,
    /// `sensitive`: NSFW.
    pub sensitive: bool,
    /// `waitTranscoding`.
    pub wait_transcoding: bool,
    /// `state` (1 published, 2 to transcode, 4 to import, 5 waiting for live, …).
    pub state: Option<u32>,
    /// `commentsEnabled` (dropped by newer PeerTube in favour of `commentsPolicy`).
    pub comments_enabled: Option<bool>,
    /// `canReply`: `None` when anyone may comment; the public collection when comments need
    /// approval.
    pub can_reply: Option<Url>,
    /// `commentsPolicy`: 1 enabled, 2 disabled, 3 requires approval.
    pub comments_policy: Option<u32>,
    /// `downloadEnabled`.
    pub download_enabled: Option<bool>,
    /// `published`, as sent.
    pub published: Option<String>,
    /// `updated`, as sent.
    pub updated: Option<String>,
    /// `originallyPublishedAt`, as sent.
    pub originally_published_at: Option<String>,
    /// `uploadDate`, as sent.
    pub upload_date: Option<String>,
    /// The `Hashtag` names of `tag`, without a leading `#`.
    pub tags: Vec<String>,
    /// `content`: the description.
    pub content: Option<String>,
    /// `mediaType` of `content` (`text/markdown` from PeerTube).
    pub media_type: Option<String>,
    /// `support`.
    pub support: Option<String>,
    /// `subtitleLanguage`: the captions.
    pub captions: Vec<Caption>,
    /// `icon`: the thumbnail and the preview (see [`Video::thumbnail`], [`Video::preview`]).
    pub icons: Vec<Image>,
    /// The `preview` entry with `rel: ["storyboard"]`: the storyboard sprite sheet.
    pub storyboard: Option<Storyboard>,
    /// `aspectRatio` (width / height).
    pub aspect_ratio: Option<f64>,
    /// The `text/html` link of `url`: the watch page.
    pub watch_url: Option<Url>,
    /// The web-video files of `url`.
    pub web_videos: Vec<VideoFile>,
    /// The HLS playlists of `url`.
    pub streaming_playlists: Vec<StreamingPlaylist>,
    /// The tracker links of `url`.
    pub trackers: Vec<Tracker>,
    /// `likes`: the collection of Likes.
    pub likes: Option<Url>,
    /// `dislikes`.
    pub dislikes: Option<Url>,
    /// `shares`: the collection of Announces.
    pub shares: Option<Url>,
    /// `comments`.
    pub comments: Option<Url>,
    /// `hasParts`: the chapters.
    pub has_parts: Option<Url>,
    /// `attributedTo`, as sent: PeerTube 7 types each entry (`Person` account, `Group` channel);
    /// newer PeerTube sends bare URLs, whose kind only a fetch tells.
    pub attributed_to: Vec<Attribution>,
    /// The `Person` of `attributedTo`: the uploading account.
    pub account: Option<Url>,
    /// The `Group` of `attributedTo`: the channel.
    pub channel: Option<Url>,
    /// `to`.
    pub to: Vec<Url>,
    /// `cc`.
    pub cc: Vec<Url>,
    /// Derived from `to`: see [`Privacy`].
    pub privacy: Privacy,
    /// `isLiveBroadcast`.
    pub is_live_broadcast: bool,
}

/// An identifier and its label: a video's `category`, `licence`, `language`, or a caption's
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// `identifier`: `"15"` for a category, `"en"` for a language.
    pub identifier: String,
    /// `name`: `"Science & Technology"`, `"English"` (empty if absent).
    pub name: String,
}

/// A caption (`subtitleLanguage` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    /// Its language (`identifier`, `name`).
    pub language: Label,
    /// `url`: the WebVTT file (the first link if several).
    pub url: Option<Url>,
    /// `automaticallyGenerated` (transcribed).
    pub automatically_generated: bool,
}

/// The storyboard: a sprite sheet of thumbnails, one tile per `tile_duration_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storyboard {
    /// `href` of the sheet.
    pub url: Url,
    /// `mediaType`.
    pub media_type: Option<String>,
    /// Sheet width in pixels.
    pub width: u32,
    /// Sheet height in pixels.
    pub height: u32,
    /// `tileWidth`.
    pub tile_width: u32,
    /// `tileHeight`.
    pub tile_height: u32,
    /// `tileDuration` in seconds.
    pub tile_duration_secs: u64,
}

/// An `attributedTo` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// `type` (`Person`, `Group`), `None` for a bare URL.
    pub kind: Option<String>,
    /// `id`.
    pub id: Url,
}

/// Who may see a federated video. Only public and unlisted videos federate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Privacy {
    /// The public collection is in `to`: listed everywhere.
    Public,
    /// Otherwise (in `cc` only, or absent): reachable by its link, not listed.
    Unlisted,
}

impl FromDocument for Video {
    fn read_at(value: &Value, path: &str) -> Result<Self> {
        let fields = Fields::of(value, path)?;
        fields.expect_kind("Video")?;
        let uuid = fields.str("uuid")?;
        if !is_uuid(uuid) {
            return Err(DocumentError::InvalidValue {
                field: fields.path("uuid"),
                reason: format!("{:?} is not a UUID", quote(uuid)),
            });
        }
        let duration = fields.str("duration")?;
        let duration_secs = parse_duration(duration).ok_or_else(|| DocumentError::InvalidValue {
            field: fields.path("duration"),
            reason: format!("{:?} is not an ISO 8601 duration", quote(duration)),
        })?;
        let links = decode(&fields)?;
        let attributed_to = attributions(&fields)?;
        let owner =
            |kind: &str| attributed_to.iter().find(|a| a.kind.as_deref() == Some(kind)).map(|a| a.id.clone());
        let to = fields.audience("to")?;
        let privacy =
            if to.iter().any(|url| url.as_str() == PUBLIC) { Privacy::Public } else { Privacy::Unlisted };
        Ok(Video {
            id: fields.id("id")?,
            uuid: uuid.to_ascii_lowercase(),
            name: fields.str("name")?.to_owned(),
            duration_secs,
            category: label(&fields, "category")?,
            licence: label(&fields, "licence")?,
            language: label(&fields, "language")?,
            views: fields.opt_u64("views")?.unwrap_or(0),
            sensitive: fields.opt_bool("sensitive")?.unwrap_or(false),
            wait_transcoding: fields.opt_bool("waitTranscoding")?.unwrap_or(false),
            state: fields.opt_u32("state")?,
            comments_enabled: fields.opt_bool("commentsEnabled")?,
            can_reply: fields.audience("canReply")?.into_iter().next(),
            comments_policy: fields.opt_u32("commentsPolicy")?,
            download_enabled: fields.opt_bool("downloadEnabled")?,
            published: fields.opt_string("published")?,
            updated: fields.opt_string("updated")?,
            originally_published_at: fields.opt_string("originallyPublishedAt")?,
            upload_date: fields.opt_string("uploadDate")?,
            tags: hashtags(&fields),
            content: fields.opt_string("content")?,
            media_type: fields.opt_string("mediaType")?,
            support: fields.opt_string("support")?,
            captions: captions(&fields)?,
            icons: images(&fields, "icon"),
            storyboard: storyboard(&fields),
            aspect_ratio: fields.opt_f64("aspectRatio")?,
            watch_url: links.watch_url,
            web_videos: links.web_videos,
            streaming_playlists: links.streaming_playlists,
            trackers: links.trackers,
            likes: fields.opt_id("likes")?,
            dislikes: fields.opt_id("dislikes")?,
            shares: fields.opt_id("shares")?,
            comments: fields.opt_id("comments")?,
            has_parts: fields.opt_id("hasParts")?,
            account: owner("Person"),
            channel: owner("Group"),
            attributed_to,
            cc: fields.audience("cc")?,
            to,
            privacy,
            is_live_broadcast: fields.opt_bool("isLiveBroadcast")?.unwrap_or(false),
        })
    }
}

impl Video {
    /// The thumbnail: the narrowest `icon` (PeerTube's 280×157).
    pub fn thumbnail(&self) -> Option<&Image> {
        narrowest(&self.icons)
    }

    /// The preview: the widest `icon` (PeerTube's 850×480).
    pub fn preview(&self) -> Option<&Image> {
        widest(&self.icons)
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `{identifier, name}` (an identifier may come as a number).
fn label(fields: &Fields<'_>, key: &str) -> Result<Option<Label>> {
    let Some(value) = fields.get(key) else { return Ok(None) };
    let path = fields.path(key);
    let label = Fields::of(value, &path)?;
    let identifier = match label.get("identifier") {
        Some(Value::Number(n)) => n.to_string(),
        _ => label.str("identifier")?.to_owned(),
    };
    Ok(Some(Label { identifier, name: label.opt_string("name")?.unwrap_or_default() }))
}

/// The names of the `Hashtag` tags, without `#`; other tags are ignored.
fn hashtags(fields: &Fields<'_>) -> Vec<String> {
    fields.hashtags().map(|name| name.strip_prefix('#').unwrap_or(name).to_owned()).collect()
}

fn captions(fields: &Fields<'_>) -> Result<Vec<Caption>> {
    let path = fields.path("subtitleLanguage");
    fields
        .list("subtitleLanguage")
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let path = format!("{path}[{i}]");
            let caption = Fields::of(entry, &path)?;
            Ok(Caption {
                language: Label {
                    identifier: caption.str("identifier")?.to_owned(),
                    name: caption.opt_string("name")?.unwrap_or_default(),
                },
                url: caption.opt_id("url")?,
                automatically_generated: caption.opt_bool("automaticallyGenerated")?.unwrap_or(false),
            })
        })
        .collect()
}

/// The first `preview` entry with `rel: ["storyboard"]`, if well formed: it only serves display,
/// so a malformed one is ignored rather than refusing the video.
fn storyboard(fields: &Fields<'_>) -> Option<Storyboard> {
    fields.list("preview").iter().find_map(|entry| {
        let preview = Fields::of(entry, "preview").ok()?;
        let is_storyboard = preview.list("rel").iter().any(|rel| rel.as_str() == Some("storyboard"));
        if !is_storyboard {
            return None;
        }
        let sheet = Fields::of(preview.list("url").first()?, "preview.url").ok()?;
        Some(Storyboard {
            url: http_url("preview.url.href", sheet.str("href").ok()?).ok()?,
            media_type: sheet.opt_string("mediaType").ok()?,
            width: sheet.opt_u32("width").ok()??,
            height: sheet.opt_u32("height").ok()??,
            tile_width: sheet.opt_u32("tileWidth").ok()??,
            tile_height: sheet.opt_u32("tileHeight").ok()??,
            tile_duration_secs: parse_duration(sheet.str("tileDuration").ok()?)?,
        })
    })
}

fn attributions(fields: &Fields<'_>) -> Result<Vec<Attribution>> {
    let kinds = fields.list("attributedTo").iter().map(|entry| entry.get("type").and_then(Value::as_str));
    let ids = fields.ids("attributedTo")?;
    Ok(kinds.zip(ids).map(|(kind, id)| Attribution { kind: kind.map(str::to_owned), id }).collect())
}
