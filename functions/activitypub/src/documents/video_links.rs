//! The `url` list of a PeerTube Video, decoded into what a player and a P2P peer need.
//!
//! PeerTube flattens everything into one list of `Link`s (`activitypub.md` §5): the `text/html`
//! watch page, then per web-video file the file and its metadata, `.torrent` and magnet links,
//! then one `application/x-mpegURL` master playlist whose `tag` list holds the `Infohash`es, the
//! `sha256` segments file and the same four links per fragmented MP4, then the trackers. The
//! links after a file belong to it; they carry its height but no size.

use serde_json::Value;
use url::Url;

use super::error::{DocumentError, Result};
use super::read::{any_url, http_url, Fields};

/// A media file: a web video, or one rendition's fragmented MP4 of an HLS playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFile {
    /// `href` of the file.
    pub url: Url,
    /// `mediaType` (`video/mp4`).
    pub media_type: String,
    /// `height` in pixels (the resolution).
    pub height: Option<u32>,
    /// `width` in pixels.
    pub width: Option<u32>,
    /// `size` in bytes.
    pub size: Option<u64>,
    /// `fps`.
    pub fps: Option<u32>,
    /// The `rel: ["metadata", …]` link: the file's ffprobe JSON.
    pub metadata_url: Option<Url>,
    /// The `.torrent` link.
    pub torrent_url: Option<Url>,
    /// The magnet link.
    pub magnet: Option<Url>,
}

/// An HLS playlist (`application/x-mpegURL` link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamingPlaylist {
    /// `href`: the master playlist.
    pub master_url: Url,
    /// The `Infohash` tags: one per rendition, the P2P swarm ids.
    pub infohashes: Vec<String>,
    /// The `sha256` link: the segments' hashes, which P2P peers check segments against.
    pub segments_sha256_url: Option<Url>,
    /// The renditions' fragmented MP4s.
    pub files: Vec<VideoFile>,
}

/// A WebTorrent/P2P tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracker {
    /// HTTP announce or WebSocket.
    pub kind: TrackerKind,
    /// The announce URL (`http(s)://` or `ws(s)://`).
    pub url: Url,
}

/// Which protocol a tracker speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackerKind {
    /// `tracker-http`.
    Http,
    /// `tracker-websocket`.
    WebSocket,
}

/// The decoded `url` list.
#[derive(Debug, Default)]
pub(crate) struct Links {
    pub(crate) watch_url: Option<Url>,
    pub(crate) web_videos: Vec<VideoFile>,
    pub(crate) streaming_playlists: Vec<StreamingPlaylist>,
    pub(crate) trackers: Vec<Tracker>,
}

pub(crate) const HLS: &str = "application/x-mpegURL";
pub(crate) const TORRENT: &str = "application/x-bittorrent";
pub(crate) const MAGNET: &str = "application/x-bittorrent;x-scheme-handler/magnet";

/// Decodes the `url` field of the Video `fields`.
pub(crate) fn decode(fields: &Fields<'_>) -> Result<Links> {
    let path = fields.path("url");
    let mut links = Links::default();
    for (i, item) in fields.list("url").iter().enumerate() {
        let path = format!("{path}[{i}]");
        // A bare URL (other software) stands for the watch page.
        if let Value::String(href) = item {
            if links.watch_url.is_none() {
                links.watch_url = Some(http_url(&path, href)?);
            }
            continue;
        }
        let link = Fields::of(item, &path)?;
        let media_type = link.opt_str("mediaType")?.unwrap_or_default();
        if media_type.eq_ignore_ascii_case("text/html") {
            if links.watch_url.is_none() {
                links.watch_url = Some(http_url(&link.path("href"), link.str("href")?)?);
            }
        } else if media_type.eq_ignore_ascii_case(HLS) {
            links.streaming_playlists.push(playlist(&link)?);
        } else if let Some(kind) = tracker_kind(&link)? {
            let href = link.str("href")?;
            let url = any_url(&link.path("href"), href)?;
            if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
                return Err(invalid(&link.path("href"), "a tracker must be an http(s) or ws(s) URL"));
            }
            links.trackers.push(Tracker { kind, url });
        } else {
            file_or_file_link(&link, media_type, &mut links.web_videos)?;
        }
    }
    Ok(links)
}

/// An `application/x-mpegURL` link and its `tag` list.
fn playlist(link: &Fields<'_>) -> Result<StreamingPlaylist> {
    let mut playlist = StreamingPlaylist {
        master_url: http_url(&link.path("href"), link.str("href")?)?,
        infohashes: Vec::new(),
        segments_sha256_url: None,
        files: Vec::new(),
    };
    let path = link.path("tag");
    for (i, item) in link.list("tag").iter().enumerate() {
        let path = format!("{path}[{i}]");
        let tag = Fields::of(item, &path)?;
        if tag.kind()? == "Infohash" {
            let hash = tag.str("name")?;
            if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(&tag.path("name"), "an Infohash is 40 hexadecimal digits"));
            }
            playlist.infohashes.push(hash.to_ascii_lowercase());
        } else if tag.opt_str("name")? == Some("sha256") {
            playlist.segments_sha256_url = Some(http_url(&tag.path("href"), tag.str("href")?)?);
        } else {
            let media_type = tag.opt_str("mediaType")?.unwrap_or_default();
            file_or_file_link(&tag, media_type, &mut playlist.files)?;
        }
    }
    Ok(playlist)
}

/// A media file starts a new [`VideoFile`]; its metadata, torrent and magnet links complete the
/// last one. Other links are ignored.
fn file_or_file_link(link: &Fields<'_>, media_type: &str, files: &mut Vec<VideoFile>) -> Result<()> {
    let href_path = link.path("href");
    let rel = rel(link)?;
    if rel.first().is_some_and(|r| r == "metadata") {
        if let Some(file) = files.last_mut() {
            file.metadata_url = Some(http_url(&href_path, link.str("href")?)?);
        }
    } else if media_type.eq_ignore_ascii_case(MAGNET) {
        if let Some(file) = files.last_mut() {
            let magnet = any_url(&href_path, link.str("href")?)?;
            if magnet.scheme() != "magnet" {
                return Err(invalid(&href_path, "a magnet link must be a magnet: URI"));
            }
            file.magnet = Some(magnet);
        }
    } else if media_type.eq_ignore_ascii_case(TORRENT) {
        if let Some(file) = files.last_mut() {
            file.torrent_url = Some(http_url(&href_path, link.str("href")?)?);
        }
    } else if media_type.starts_with("video/") || media_type.starts_with("audio/") {
        files.push(VideoFile {
            url: http_url(&href_path, link.str("href")?)?,
            media_type: media_type.to_owned(),
            height: link.opt_u32("height")?,
            width: link.opt_u32("width")?,
            size: link.opt_u64("size")?,
            fps: link.opt_u32("fps")?,
            metadata_url: None,
            torrent_url: None,
            magnet: None,
        });
    }
    Ok(())
}

/// A tracker link: `rel: ["tracker", "http"|"websocket"]` or `name: "tracker-…"`.
fn tracker_kind(link: &Fields<'_>) -> Result<Option<TrackerKind>> {
    let rel = rel(link)?;
    let protocol = match (rel.first().map(String::as_str), link.opt_str("name")?) {
        (Some("tracker"), _) => rel.get(1).map(String::as_str),
        (_, Some(name)) => name.strip_prefix("tracker-"),
        _ => None,
    };
    Ok(match protocol {
        Some("http") => Some(TrackerKind::Http),
        Some("websocket") => Some(TrackerKind::WebSocket),
        _ => None,
    })
}

/// The `rel` list (a string counts as a list of one).
fn rel(link: &Fields<'_>) -> Result<Vec<String>> {
    link.list("rel")
        .iter()
        .map(|r| {
            r.as_str()
                .map(str::to_owned)
                .ok_or_else(|| DocumentError::WrongType { field: link.path("rel"), expected: "strings" })
        })
        .collect()
}

fn invalid(path: &str, reason: &str) -> DocumentError {
    DocumentError::InvalidValue { field: path.to_owned(), reason: reason.to_owned() }
}
