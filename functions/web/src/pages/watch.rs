//! `/w/<id>` and `/videos/watch/<id>` for a browser: the player, the video's facts, rating and
//! subscribe buttons, and the first comment threads. A private video's page is a shell that
//! `watch.js` fills for its logged-in owner.

use askama::Template;
use edgetube_api::Ctx;
use edgetube_problem::Problem;
use serde_json::json;

use crate::internal::{self, Read};
use crate::models::{Comment, Page, Storyboards, VideoDetails};
use crate::render::{self, Layout};
use crate::Answer;

/// PeerTube's privacy ids whose media anyone with the link may fetch (public, unlisted).
const OPEN_PRIVACIES: [i64; 2] = [1, 2];

/// The player's markup fields (`player.html`), shared with the embed.
pub struct PlayerView {
    /// CSS `aspect-ratio`.
    pub aspect: String,
    pub poster: Option<String>,
    /// The JSON `player.js` reads, safe inside `<script>`.
    pub config: String,
}

/// Makes `value` safe between `<script>` tags: no `</script>` or `<!--` can close or open one.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// The player's configuration: the HLS playlist and its hashes, the swarm's trackers, and the
/// viewer's wishes from the query (PeerTube's embed parameters `start`, `autoplay`, `muted`,
/// `loop`, `p2p`), read by `player.js`.
pub async fn player(
    ctx: &Ctx<'_>,
    video: Option<&VideoDetails>,
    uuid: &str,
    embed: bool,
) -> Result<PlayerView, Problem> {
    let param = |name: &str| ctx.query(name);
    let Some(video) = video else {
        // A private video: `watch.js` asks the API for it with the viewer's token.
        let config = json!({"uuid": uuid, "needsAuth": true, "embed": embed,
            "params": {"start": param("start"), "autoplay": param("autoplay"), "muted": param("muted"),
                       "loop": param("loop"), "p2p": param("p2p")}});
        return Ok(PlayerView { aspect: "16 / 9".into(), poster: None, config: script_json(&config) });
    };
    let storyboards: Storyboards =
        match internal::get(ctx, &format!("videos/{}/storyboards", video.uuid)).await? {
            Read::Found(s) => s,
            _ => Storyboards::default(),
        };
    let playlist = video.streaming_playlists.first();
    let privacy = video.privacy.id.as_i64().unwrap_or(1);
    let trackers = web_trackers(video);
    let config = json!({
        "uuid": video.uuid,
        "videoId": video.id,
        "isLocal": video.is_local,
        "isPrivate": !OPEN_PRIVACIES.contains(&privacy),
        "duration": video.duration,
        "playlistUrl": playlist.map(|p| p.playlist_url.clone()),
        "segmentsSha256Url": playlist.and_then(|p| p.segments_sha256_url.clone()),
        "resolutions": playlist.map(|p| p.files.iter().map(|f| f.resolution.id.clone()).collect::<Vec<_>>()),
        "trackerUrls": trackers,
        "storyboard": storyboards.storyboards.first(),
        "previewPath": video.preview_path,
        "embed": embed,
        "params": {"start": param("start"), "autoplay": param("autoplay"), "muted": param("muted"),
                   "loop": param("loop"), "p2p": param("p2p")},
    });
    let aspect = match video.aspect_ratio {
        Some(ratio) if ratio > 0.0 => format!("{ratio}"),
        _ => "16 / 9".to_owned(),
    };
    Ok(PlayerView { aspect, poster: video.preview_path.clone(), config: script_json(&config) })
}

struct CommentView {
    id: i64,
    author: String,
    date: String,
    text: String,
    replies: i64,
    replies_text: String,
}

#[derive(Template)]
#[template(path = "watch.html")]
struct Watch {
    layout: Layout,
    /// Whether the "Share with other viewers" setting means anything here: an open video with a
    /// tracker a browser can reach. Without one (Spin names none, `TRACKER_ENABLED=false`) the
    /// player stays on HTTP, and a checkbox would promise sharing that cannot happen.
    shares_p2p: bool,
    video: VideoDetails,
    player: PlayerView,
    views: String,
    published: String,
    summary: String,
    description: Vec<String>,
    page_url: String,
    object_url: String,
    federates: bool,
    embed_url: String,
    og_image: Option<String>,
    oembed_json: String,
    oembed_xml: String,
    channel_feed: String,
    channel_href: String,
    comments_enabled: bool,
    comment_count: String,
    comments: Vec<CommentView>,
}

#[derive(Template)]
#[template(path = "watch_private.html")]
struct WatchPrivate {
    layout: Layout,
    uuid: String,
    player: PlayerView,
}

/// The announce URLs a browser can use (WebSocket trackers only).
fn web_trackers(video: &VideoDetails) -> Vec<&String> {
    video.tracker_urls.iter().filter(|u| u.starts_with("ws://") || u.starts_with("wss://")).collect()
}

pub async fn page(ctx: &Ctx<'_>, id: &str) -> Answer {
    let video: VideoDetails = match internal::get(ctx, &format!("videos/{id}")).await? {
        Read::Found(video) => video,
        Read::Missing => return Err(Problem::not_found("Video not found")),
        Read::Refused => {
            let player = player(ctx, None, id, false).await?;
            return render::page(&WatchPrivate {
                layout: Layout::new(ctx, "Private video"),
                uuid: id.to_owned(),
                player,
            });
        }
    };
    let origin = ctx.config.origin.as_str();
    let threads: Page<Comment> =
        internal::list(ctx, &format!("videos/{}/comment-threads?count=20&sort=-createdAt", video.uuid))
            .await?;
    let player = player(ctx, Some(&video), &video.uuid, false).await?;
    let page_url = format!("{origin}{}", render::watch_href(&video.short_uuid, &video.uuid));
    let quoted = url::form_urlencoded::byte_serialize(page_url.as_bytes()).collect::<String>();
    let privacy = video.privacy.id.as_i64().unwrap_or(1);
    let comments = threads
        .data
        .iter()
        .map(|c| CommentView {
            id: c.id,
            author: c.account.as_ref().map(render::display_name).unwrap_or_else(|| "Deleted".into()),
            date: c.created_at.as_deref().map(render::date).unwrap_or_default(),
            text: if c.is_deleted { "(deleted)".into() } else { c.text.clone() },
            replies: c.total_replies,
            replies_text: if c.total_replies == 1 {
                "Show 1 reply".into()
            } else {
                format!("Show {} replies", c.total_replies)
            },
        })
        .collect();
    render::page(&Watch {
        layout: Layout::new(ctx, video.name.clone()),
        views: render::views(video.views),
        published: video.published_at.as_deref().map(render::date).unwrap_or_default(),
        summary: render::summary(video.description.as_deref()),
        description: render::paragraphs(video.description.as_deref()),
        object_url: video.url.clone(),
        federates: video.is_local && privacy == 1,
        shares_p2p: OPEN_PRIVACIES.contains(&privacy) && !web_trackers(&video).is_empty(),
        embed_url: format!("{origin}/videos/embed/{}", video.uuid),
        og_image: video
            .preview_path
            .as_ref()
            .or(video.thumbnail_path.as_ref())
            .map(|p| format!("{origin}{p}")),
        oembed_json: format!("{origin}/services/oembed?url={quoted}"),
        oembed_xml: format!("{origin}/services/oembed?url={quoted}&format=xml"),
        channel_feed: format!(
            "/feeds/videos.xml?videoChannelName={}",
            url::form_urlencoded::byte_serialize(video.channel.handle().as_bytes()).collect::<String>()
        ),
        channel_href: render::channel_href(&video.channel),
        comments_enabled: video.comments_enabled.unwrap_or(true),
        comment_count: match threads.total {
            1 => "1 comment".to_owned(),
            n => format!("{n} comments"),
        },
        comments,
        page_url,
        player,
        video,
    })
}
