//! Feed items from videos: the same rows, owner summaries and media fields the REST API shows
//! (`edgetube_api::videos::{Owners, media}`), so that feeds and API never disagree on a URL.

use edgetube_api::videos::{Media, Owners};
use edgetube_api::{Ctx, Problem};
use edgetube_domain::videos::constants::{self, CATEGORIES};
use edgetube_domain::videos::{urls, Video};
use edgetube_domain::Origin;
use edgetube_ports::encoding::html_escape;
use serde_json::Value;

use crate::model::{Enclosure, Item, MediaFile, Person, Thumbnail, Torrent};

/// PeerTube's thumbnail size (what the runner makes too).
const THUMBNAIL_SIZE: (u32, u32) = (280, 157);

/// PeerTube cuts feed descriptions at 250 characters, ellipsis included.
const SUMMARY_CHARS: usize = 250;

/// The items of `videos`, in their order: one query for their owners, one per video for its
/// files (renditions, or a remote video's stored object).
pub async fn of_videos(ctx: &Ctx<'_>, videos: &[Video]) -> Result<Vec<Item>, Problem> {
    let owners = Owners::load(ctx, videos).await?;
    let mut items = Vec::with_capacity(videos.len());
    for video in videos {
        let channel = owners.summary(&ctx.config.origin, video.channel_id)?;
        let media = edgetube_api::videos::media(ctx, video).await?;
        items.push(item(&ctx.config.origin, video, &channel, &media));
    }
    Ok(items)
}

/// `<origin>/c/<name>` or `/a/<name>`, with `@host` for another server's actor: the page
/// PeerTube links for a channel or account.
pub fn actor_page(origin: &Origin, prefix: &str, name: &str, host: &str) -> String {
    if host == origin.authority() {
        origin.join(&format!("/{prefix}/{name}"))
    } else {
        origin.join(&format!("/{prefix}/{name}@{host}"))
    }
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// The description cut as PeerTube cuts it.
fn summary(description: Option<&str>) -> String {
    let description = description.unwrap_or_default();
    if description.chars().count() <= SUMMARY_CHARS {
        return description.to_owned();
    }
    let mut cut: String = description.chars().take(SUMMARY_CHARS - 3).collect();
    cut.push_str("...");
    cut
}

/// The description as HTML: escaped, paragraphs at blank lines, line breaks kept.
pub fn description_html(description: Option<&str>) -> String {
    description
        .unwrap_or_default()
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", html_escape(p).replace('\n', "<br>")))
        .collect()
}

/// PeerTube's MIME type for a file's extension (`getVideoFileMimeType`).
fn mime_type(url: &str, audio_only: bool) -> String {
    let extension = url.rsplit('/').next().and_then(|name| name.rsplit_once('.')).map(|(_, e)| e);
    let extension = extension.unwrap_or("mp4").to_ascii_lowercase();
    let mime = match (extension.as_str(), audio_only) {
        ("webm", false) => "video/webm",
        ("webm", true) => "audio/webm",
        ("ogv" | "ogg", _) => "video/ogg",
        ("mkv", _) => "video/x-matroska",
        ("mov", _) => "video/quicktime",
        ("m4a", _) | ("mp4", true) => "audio/mp4",
        ("mp3", _) => "audio/mpeg",
        _ => "video/mp4",
    };
    mime.to_owned()
}

/// The files of `media`, as PeerTube's feeds order them: web videos, then HLS files, each
/// largest first. PeerTube 7.0's enclosure is the first of them.
fn files(media: &Media) -> Vec<&Value> {
    fn by_resolution_desc(list: Option<&Vec<Value>>) -> Vec<&Value> {
        let mut files: Vec<&Value> = list.map(|l| l.iter().collect()).unwrap_or_default();
        files.sort_by_key(|f| std::cmp::Reverse(f["resolution"]["id"].as_i64().unwrap_or(0)));
        files
    }
    let mut all = by_resolution_desc(media.files.as_array());
    if let Some(playlists) = media.streaming_playlists.as_array() {
        for playlist in playlists {
            all.extend(by_resolution_desc(playlist["files"].as_array()));
        }
    }
    all
}

fn item(origin: &Origin, video: &Video, channel: &Value, media: &Media) -> Item {
    let link = urls::watch_url(origin, &video.uuid);
    let files = files(media);
    let media_files: Vec<MediaFile> = files
        .iter()
        .filter_map(|file| {
            let url = file["fileUrl"].as_str()?;
            let resolution = file["resolution"]["id"].as_i64().unwrap_or(0);
            Some(MediaFile {
                url: url.to_owned(),
                mime_type: mime_type(url, resolution == 0 && file["hasVideo"] == Value::Bool(false)),
                resolution,
                size: file["size"].as_i64(),
                fps: file["fps"].as_f64(),
            })
        })
        .collect();
    let enclosure = media_files.first().map(|file| Enclosure {
        url: file.url.clone(),
        length: file.size.unwrap_or(0),
        mime_type: file.mime_type.clone(),
    });
    let torrents = files
        .iter()
        .filter_map(|file| {
            Some(Torrent { url: file["torrentUrl"].as_str()?.to_owned(), size: file["size"].as_i64() })
        })
        .collect();
    let thumbnail_path = if video.is_remote() {
        video
            .remote_thumbnail_url
            .as_deref()
            .map(|url| format!("/lazy-static/thumbnails/{}", urls::remote_image_file(&video.uuid, url)))
    } else {
        urls::image_path("thumbnails", video.thumbnail_key.as_deref())
    };
    Item {
        title: video.name.clone(),
        summary: summary(video.description.as_deref()),
        content_html: description_html(video.description.as_deref()),
        date_ms: video.originally_published_at.or(video.published_at).unwrap_or(video.created_at),
        nsfw: video.nsfw != 0,
        category: video.category.map(|id| constants::label(CATEGORIES, id).to_owned()),
        thumbnail: thumbnail_path.map(|path| Thumbnail {
            url: origin.join(&path),
            width: THUMBNAIL_SIZE.0,
            height: THUMBNAIL_SIZE.1,
        }),
        author: Person {
            name: text(channel, "displayName"),
            link: actor_page(origin, "c", &text(channel, "name"), &text(channel, "host")),
        },
        enclosure,
        files: media_files,
        torrents,
        embed_url: origin.join(&urls::embed_path(&video.uuid)),
        views: video.views,
        duration: video.duration,
        language: video.language.clone(),
        link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_enclosure_is_the_largest_web_video_else_the_largest_hls_file() {
        let file = |res: i64, url: &str| json!({"resolution": {"id": res}, "fileUrl": url, "size": res * 10});
        let hls_only = Media {
            streaming_playlists: json!([{"files": [file(240, "a-240-fragmented.mp4"), file(720, "a-720-fragmented.mp4")]}]),
            files: json!([]),
            tracker_urls: json!([]),
        };
        let urls: Vec<&str> = files(&hls_only).iter().filter_map(|f| f["fileUrl"].as_str()).collect();
        assert_eq!(urls, ["a-720-fragmented.mp4", "a-240-fragmented.mp4"]);
        let with_web = Media { files: json!([file(360, "a-360.webm")]), ..hls_only };
        assert_eq!(files(&with_web)[0]["fileUrl"], "a-360.webm");
        assert_eq!(mime_type("x/a-360.webm", false), "video/webm");
        assert_eq!(mime_type("x/a-0-fragmented.mp4", true), "audio/mp4");
    }

    #[test]
    fn descriptions_become_escaped_paragraphs_and_cut_summaries() {
        assert_eq!(description_html(Some("a <b>\nc\n\nd")), "<p>a &lt;b&gt;<br>c</p><p>d</p>");
        assert_eq!(description_html(None), "");
        assert_eq!(summary(Some(&"é".repeat(300))).chars().count(), 250);
    }
}
