//! `GET /services/oembed?url=<watch URL>[&format=json][&maxwidth=][&maxheight=]`: PeerTube's
//! oEmbed answer, an iframe of the video's embed page (`/videos/embed/<uuid>`).
//!
//! The rules are PeerTube's: the URL must be one of this instance's watch URLs
//! (`/videos/watch/<id>` or `/w/<id>`); public videos are embeddable, unlisted ones when named by
//! UUID or short UUID; the iframe is 560×315 at most, shrunk to `maxwidth`/`maxheight`; the
//! 850×480 preview is the thumbnail unless a maximum is smaller than it. Playlists have no
//! oEmbed here since there are no playlists yet.

use bytes::Bytes;
use edgetube_api::videos::Owners;
use edgetube_api::{respond, Ctx, Problem};
use edgetube_domain::videos::{self, privacy, urls, Video, VideoRef};
use edgetube_domain::Origin;
use edgetube_ports::encoding::html_escape;
use http::{Response, StatusCode};
use serde_json::{json, Map, Value};
use url::Url;

/// PeerTube's embed size.
const EMBED_SIZE: (i64, i64) = (560, 315);

/// PeerTube's preview size (the runner makes the same).
const PREVIEW_SIZE: (i64, i64) = (850, 480);

/// Query parameters of the watch URL that PeerTube carries over to the iframe's `src`.
const PLAYER_PARAMETERS: &[&str] = &[
    "start",
    "stop",
    "loop",
    "autoplay",
    "muted",
    "controls",
    "controlBar",
    "title",
    "api",
    "warningTitle",
    "peertubeLink",
    "p2p",
    "subtitle",
    "bigPlayBackgroundColor",
    "mode",
    "foregroundColor",
    "playbackRate",
    "waitPasswordFromEmbedAPI",
    "playlistPosition",
];

fn invalid(name: &str, value: &str, message: &str) -> Problem {
    Problem::bad_request(format!("Incorrect request parameters: {name}")).with_invalid_param(
        name,
        json!(value),
        message,
        "query",
    )
}

fn dimension(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, Problem> {
    let Some(raw) = ctx.query(name) else { return Ok(None) };
    raw.parse::<i64>().map(Some).map_err(|_| invalid(name, &raw, "Invalid value"))
}

/// What an oEmbed `url` names on this instance.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A video, by the last path segment (id, UUID or short UUID).
    Video(String),
    /// A playlist.
    Playlist,
}

/// Reads an oEmbed `url` as PeerTube does: it must start with one of this instance's watch
/// paths; the id is its last path segment.
pub fn target(origin: &Origin, url: &Url) -> Result<Target, Problem> {
    let invalid_url = || Problem::bad_request("Invalid url.");
    let text = url.as_str();
    let starts = |path: &str| text.starts_with(&origin.join(path));
    let target = if starts("/videos/watch/playlist/") || starts("/w/p/") {
        Target::Playlist
    } else if starts("/videos/watch/") || starts("/w/") {
        let id = url.path().rsplit('/').next().unwrap_or_default();
        Target::Video(id.to_owned())
    } else {
        return Err(invalid_url());
    };
    Ok(target)
}

/// The iframe `src` query: the watch URL's player parameters, in their order.
fn player_query(url: &Url) -> String {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| PLAYER_PARAMETERS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    if kept.is_empty() {
        return String::new();
    }
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in &kept {
        serializer.append_pair(key, value);
    }
    format!("?{}", serializer.finish())
}

/// The answer for `video`, given its channel's summary (`displayName`, `url`) and preview path.
pub fn answer(
    origin: &Origin,
    video: &Video,
    channel: &Value,
    preview_path: Option<&str>,
    source: &Url,
    (max_width, max_height): (Option<i64>, Option<i64>),
) -> Value {
    let width = max_width.map_or(EMBED_SIZE.0, |max| max.min(EMBED_SIZE.0));
    let height = max_height.map_or(EMBED_SIZE.1, |max| max.min(EMBED_SIZE.1));
    let src = format!("{}{}", origin.join(&urls::embed_path(&video.uuid)), player_query(source));
    let html = format!(
        "<iframe width=\"{width}\" height=\"{height}\" sandbox=\"allow-same-origin allow-scripts allow-popups allow-forms\" \
         title=\"{}\" src=\"{}\" frameborder=\"0\" allowfullscreen></iframe>",
        html_escape(&video.name),
        html_escape(&src)
    );
    let mut object = Map::new();
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    put("type", json!("video"));
    put("version", json!("1.0"));
    put("html", json!(html));
    put("width", json!(width));
    put("height", json!(height));
    put("title", json!(video.name));
    put("author_name", channel["displayName"].clone());
    put("author_url", channel["url"].clone());
    put("provider_name", json!("PeerTube"));
    put("provider_url", json!(origin.as_str()));
    // A consumer that cannot show the whole preview gets none, as PeerTube decides.
    let too_small =
        max_height.is_some_and(|h| h < PREVIEW_SIZE.1) || max_width.is_some_and(|w| w < PREVIEW_SIZE.0);
    if let (Some(path), false) = (preview_path, too_small) {
        put("thumbnail_url", json!(origin.join(path)));
        put("thumbnail_width", json!(PREVIEW_SIZE.0));
        put("thumbnail_height", json!(PREVIEW_SIZE.1));
    }
    Value::Object(object)
}

fn preview_path(video: &Video) -> Option<String> {
    if video.is_remote() {
        let url = video.remote_preview_url.as_deref()?;
        Some(format!("/lazy-static/previews/{}", urls::remote_image_file(&video.uuid, url)))
    } else {
        urls::image_path("previews", video.preview_key.as_deref())
    }
}

/// `GET /services/oembed`
pub async fn oembed(ctx: &Ctx<'_>) -> Result<Response<Bytes>, Problem> {
    let raw = ctx.query("url").unwrap_or_default();
    let source = Url::parse(&raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| invalid("url", &raw, "Invalid value"))?;
    let max = (dimension(ctx, "maxwidth")?, dimension(ctx, "maxheight")?);
    if let Some(format) = ctx.query("format") {
        if format != "json" && format != "xml" {
            return Err(invalid("format", &format, "Invalid value"));
        }
        if format != "json" {
            return Err(Problem::new(
                StatusCode::NOT_IMPLEMENTED,
                "Requested format is not implemented on server.",
            ));
        }
    }
    let id = match target(&ctx.config.origin, &source)? {
        Target::Playlist => return Err(Problem::not_found("Video playlist not found")),
        Target::Video(id) => id,
    };
    let reference =
        VideoRef::parse(&id).ok_or_else(|| Problem::bad_request("Invalid video or playlist id."))?;
    let video = videos::find(ctx.ports.sql, &reference)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("Video not found"))?;
    let by_uuid = matches!(reference, VideoRef::Uuid(_));
    if !(video.privacy == privacy::PUBLIC || (video.privacy == privacy::UNLISTED && by_uuid)) {
        return Err(Problem::new(StatusCode::FORBIDDEN, "Video is not publicly available"));
    }
    let owners = Owners::load(ctx, std::slice::from_ref(&video)).await?;
    let channel = owners.summary(&ctx.config.origin, video.channel_id)?;
    let body = answer(&ctx.config.origin, &video, &channel, preview_path(&video).as_deref(), &source, max);
    respond::json(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::parse("https://tube.example", false).unwrap_or_else(|e| panic!("{e}"))
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_this_instances_watch_urls_are_targets() {
        let origin = origin();
        assert_eq!(
            target(&origin, &url("https://tube.example/w/abc?start=3")).ok(),
            Some(Target::Video("abc".into()))
        );
        assert_eq!(
            target(&origin, &url("https://tube.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d"))
                .ok(),
            Some(Target::Video("9c9de5e8-0a1e-484a-b099-e80766180a6d".into()))
        );
        assert_eq!(target(&origin, &url("https://tube.example/w/p/abc")).ok(), Some(Target::Playlist));
        assert!(target(&origin, &url("https://other.example/w/abc")).is_err());
        assert!(target(&origin, &url("https://tube.example/a/root")).is_err());
    }

    #[test]
    fn player_parameters_are_carried_over() {
        assert_eq!(
            player_query(&url("https://t.example/w/a?start=10&x=1&autoplay=1")),
            "?start=10&autoplay=1"
        );
        assert_eq!(player_query(&url("https://t.example/w/a")), "");
    }
}
