//! HLS files at the edge: `/static/streaming-playlists/hls/[private/]<videoUUID>/<file>`, read from
//! object storage at `hls/<videoUUID>/<file>`, with `Range` (206), `ETag`/`If-None-Match` (304),
//! cache headers that let a CDN keep immutable media, and PeerTube's rules for private media: a
//! bearer token, the video password, or a `videoFileToken` from `POST /videos/{id}/token`; with
//! `reinjectVideoFileToken=true` a playlist's references carry the token on (iOS native HLS).

use bytes::Bytes;
use edgetube_domain::videos::{self, privacy, Video};
use edgetube_domain::{file_tokens, iso8601_millis};
use edgetube_manifest::playlist::{inject_video_file_token, PlaylistKind};
use edgetube_media::renditions;
use edgetube_ports::ObjectRange;
use http::{header, Method, Response, StatusCode};
use serde_json::json;

use crate::body::Body;
use crate::context::Ctx;
use crate::videos::{check_can_see, find};
use crate::{respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;
/// Media answers: object bodies go out as streams.
type Served = Result<Response<Body>, Problem>;

/// The largest playlist read whole to rewrite it for a file token; real ones are a few kB.
const MAX_REWRITTEN_PLAYLIST: usize = 1 << 20;

/// Rendition files and their playlists never change under a name: a year, immutable.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The master playlist and segment hashes are renamed when regenerated, but the API keeps
/// pointing at the current ones: keep them briefly.
const SHORT: &str = "public, max-age=60";
/// Private media must not sit in shared caches.
const PRIVATE: &str = "private, no-cache";

/// The `Content-Type` of a media file, from its extension.
pub(crate) fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("mp4") => "video/mp4",
        Some("json") => "application/json",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("torrent") => "application/x-bittorrent",
        Some("webm") => "video/webm",
        _ => "application/octet-stream",
    }
}

fn is_public(video: &Video) -> bool {
    matches!(video.privacy, privacy::PUBLIC | privacy::UNLISTED)
}

/// Private media is reachable with a bearer token, the video's password, or a file token.
async fn check_media_access(ctx: &Ctx<'_>, video: &Video) -> Result<(), Problem> {
    if is_public(video) {
        return Ok(());
    }
    if let Some(token) = ctx.query("videoFileToken") {
        if file_tokens::grants(ctx.ports, &token, video.id).await.map_err(Problem::internal_from)? {
            return Ok(());
        }
        return Err(Problem::new(StatusCode::FORBIDDEN, "Invalid video file token"));
    }
    check_can_see(ctx, video).await
}

/// A `Range` header the object cannot satisfy (or that is not a single `bytes=` range): 416.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// A single `bytes=` range against an object of `size` bytes; `Err` when unsatisfiable.
pub fn parse_range(value: &str, size: u64) -> Result<ObjectRange, Unsatisfiable> {
    let spec = value.strip_prefix("bytes=").ok_or(Unsatisfiable)?;
    if spec.contains(',') {
        return Err(Unsatisfiable);
    }
    let (first, last) = spec.split_once('-').ok_or(Unsatisfiable)?;
    match (first.trim(), last.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| Unsatisfiable)?;
            if n == 0 || size == 0 {
                return Err(Unsatisfiable);
            }
            Ok(ObjectRange::Suffix(n.min(size)))
        }
        (a, "") => {
            let a: u64 = a.parse().map_err(|_| Unsatisfiable)?;
            if a >= size {
                return Err(Unsatisfiable);
            }
            Ok(ObjectRange::From(a))
        }
        (a, b) => {
            let (a, b): (u64, u64) =
                (a.parse().map_err(|_| Unsatisfiable)?, b.parse().map_err(|_| Unsatisfiable)?);
            if a > b || a >= size {
                return Err(Unsatisfiable);
            }
            Ok(ObjectRange::OffsetWithLength { offset: a, length: b.min(size - 1) - a + 1 })
        }
    }
}

fn file_name_is_safe(file: &str) -> bool {
    !file.is_empty()
        && file.len() <= 200
        && !file.starts_with('.')
        && file.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `GET|HEAD /static/streaming-playlists/hls/[private/]<videoUUID>/<file>`
pub async fn serve(ctx: &Ctx<'_>, video_uuid: &str, file: &str) -> Served {
    let not_found = || Problem::not_found("File not found");
    if !file_name_is_safe(file) {
        return Err(not_found());
    }
    let video = videos::find_by_uuid(ctx.ports.sql, video_uuid)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(not_found)?;
    // A remote video's files are on its origin, never in our storage.
    if video.is_remote() {
        return Err(not_found());
    }
    check_media_access(ctx, &video).await?;

    let key = format!("hls/{}/{file}", video.uuid);
    let cache = if !is_public(&video) {
        PRIVATE
    } else if file.ends_with("-fragmented.mp4")
        || (file.ends_with(".m3u8") && !file.ends_with("-master.m3u8"))
    {
        IMMUTABLE
    } else {
        SHORT
    };
    serve_key(ctx, &key, file, cache).await
}

/// `GET|HEAD /static/web-videos/[private/]<videoUUID>-<resolution>.<ext>`: the uploaded original,
/// listed as PeerTube's input web video file until HLS renditions exist.
pub async fn serve_web_video(ctx: &Ctx<'_>, file: &str) -> Served {
    let not_found = || Problem::not_found("File not found");
    if !file_name_is_safe(file) || file.len() < 36 {
        return Err(not_found());
    }
    let video = videos::find_by_uuid(ctx.ports.sql, &file[..36])
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(not_found)?;
    check_media_access(ctx, &video).await?;
    let key = video.original_key.clone().ok_or_else(not_found)?;
    serve_key(ctx, &key, file, if is_public(&video) { SHORT } else { PRIVATE }).await
}

/// Serves one stored object with `Range`, `ETag` and the given cache policy; `file` names its
/// type (and, for playlists, allows the token rewrite).
///
/// The body goes out as storage's stream with its `Content-Length`: a plain GET of a 100 MB
/// original must not be read whole into a Worker's 128 MB isolate. Only a playlist rewritten for
/// a file token is read whole, up to [`MAX_REWRITTEN_PLAYLIST`].
async fn serve_key(ctx: &Ctx<'_>, key: &str, file: &str, cache: &'static str) -> Served {
    let not_found = || Problem::not_found("File not found");
    let objects = ctx.ports.objects;
    let head_only = ctx.request.method() == Method::HEAD;
    // A GET reads once (one class B operation on R2): the object carries its metadata, and a
    // range is asked for before the size is known (each adapter clamps it to the object, as
    // `parse_range` does). Only a range that starts past the end (storage refuses it) costs a
    // `head` more, to answer 416 with the size.
    let (meta, opened) = if head_only {
        (objects.head(key).await.map_err(Problem::internal_from)?.ok_or_else(not_found)?, None)
    } else {
        let asked = ctx.header("range").and_then(|value| parse_range(value, u64::MAX).ok());
        match objects.get_stream(key, asked).await {
            Ok(object) => {
                let object = object.ok_or_else(not_found)?;
                (object.meta.clone(), Some(object))
            }
            Err(_) if asked.is_some() => {
                (objects.head(key).await.map_err(Problem::internal_from)?.ok_or_else(not_found)?, None)
            }
            Err(e) => return Err(Problem::internal_from(e)),
        }
    };
    let base = Response::builder()
        .header(header::CONTENT_TYPE, content_type(file))
        .header(header::CACHE_CONTROL, cache)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, meta.http_etag.as_str());
    if ctx.header("if-none-match").is_some_and(|tags| tags.split(',').any(|t| t.trim() == meta.http_etag)) {
        return base.status(StatusCode::NOT_MODIFIED).body(Body::default()).map_err(Problem::internal_from);
    }

    let range = match ctx.header("range") {
        None => None,
        Some(value) => match parse_range(value, meta.size) {
            Ok(range) => Some(range),
            Err(Unsatisfiable) => {
                return base
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{}", meta.size))
                    .body(Body::default())
                    .map_err(Problem::internal_from)
            }
        },
    };
    if head_only {
        let response = match range.and_then(|range| range.span(meta.size)) {
            Some((first, last)) => base
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {first}-{last}/{}", meta.size)),
            None => base.status(StatusCode::OK),
        };
        return response.body(Body::default()).map_err(Problem::internal_from);
    }
    let object = match opened {
        // What was read is what the answer needs (the same bytes, clamped alike).
        Some(object) if object.range == range.and_then(|range| range.span(meta.size)) => object,
        // Not reachable with the adapters' clamping; kept so a storage that clamps otherwise
        // still answers exactly the asked bytes.
        _ => objects.get_stream(key, range).await.map_err(Problem::internal_from)?.ok_or_else(not_found)?,
    };

    // Playlists of private media carry the token on to what they reference, when asked to.
    let token = ctx.query("videoFileToken");
    let reinject = ctx.query("reinjectVideoFileToken").as_deref() == Some("true");
    if let (Some(token), true, true, None) = (token, reinject, file.ends_with(".m3u8"), range) {
        let bytes = Body::object(object.stream)
            .collect_limited(MAX_REWRITTEN_PLAYLIST)
            .await
            .map_err(Problem::internal_from)?;
        let text = String::from_utf8_lossy(&bytes);
        let rewritten = inject_video_file_token(&text, &token, PlaylistKind::detect(&text));
        let mut response = base
            .status(StatusCode::OK)
            .body(Body::from(rewritten.into_bytes()))
            .map_err(Problem::internal_from)?;
        // The rewritten body differs per token: no shared caching, no validator.
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static(PRIVATE));
        response.headers_mut().remove(header::ETAG);
        return Ok(response);
    }

    let base = base.header(header::CONTENT_LENGTH, object.len());
    let response = match object.range {
        Some((first, last)) => base
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {first}-{last}/{}", meta.size)),
        None => base.status(StatusCode::OK),
    };
    response.body(Body::object(object.stream)).map_err(Problem::internal_from)
}

/// `GET|HEAD /lazy-static/{thumbnails,previews,storyboards,torrents}/<file>`: the images a
/// transcoding job made and the torrents of uploads. PeerTube serves them to anyone, whatever the video's privacy; their names are fresh each
/// time they are made, so they never change.
pub async fn serve_image(ctx: &Ctx<'_>, directory: &str, file: &str) -> Served {
    if !file_name_is_safe(file)
        || !matches!(directory, "thumbnails" | "previews" | "storyboards" | "torrents")
    {
        return Err(Problem::not_found("File not found"));
    }
    let key = format!("{directory}/{file}");
    if matches!(directory, "thumbnails" | "previews")
        && edgetube_domain::videos::urls::remote_image_uuid(file).is_some()
        && ctx.ports.objects.head(&key).await.map_err(Problem::internal_from)?.is_none()
    {
        // A remote video's image, not cached yet: fetched from its origin once, kept here.
        let filled = edgetube_federation::remote_images::fill(ctx.ports, ctx.config, directory, file)
            .await
            .map_err(|e| {
            Problem::new(StatusCode::BAD_GATEWAY, "The image could not be read from its origin").with_cause(e)
        })?;
        if !filled {
            return Err(Problem::not_found("File not found"));
        }
    }
    serve_key(ctx, &key, file, IMMUTABLE).await
}

/// `GET /api/v1/videos/{id}/storyboards`
pub async fn storyboards(ctx: &Ctx<'_>, id: &str) -> Answer {
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let storyboard =
        renditions::storyboard_of(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
    let list: Vec<serde_json::Value> = storyboard
        .iter()
        .map(|s| {
            json!({
                "storyboardPath": format!("/lazy-static/{}", s.file_key),
                "totalHeight": s.total_height,
                "totalWidth": s.total_width,
                "spriteWidth": s.sprite_width,
                "spriteHeight": s.sprite_height,
                "spriteDuration": s.sprite_duration,
            })
        })
        .collect();
    respond::json(&json!({"storyboards": list}))
}

/// `POST /api/v1/videos/{id}/token`: a file token for whoever may see the video. A remote
/// video's files are served by its origin, which knows nothing of our tokens.
pub async fn issue_token(ctx: &Ctx<'_>, id: &str) -> Answer {
    let video = find(ctx, id).await?;
    if video.is_remote() {
        return Err(Problem::bad_request("Cannot generate a file token for a video of another server"));
    }
    check_can_see(ctx, &video).await?;
    let (token, expires_at) =
        file_tokens::issue(ctx.ports, video.id).await.map_err(Problem::internal_from)?;
    respond::json(&json!({"files": {"token": token, "expires": iso8601_millis(expires_at)}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let size = 1000;
        let cases: [(&str, Result<ObjectRange, Unsatisfiable>); 9] = [
            ("bytes=0-99", Ok(ObjectRange::OffsetWithLength { offset: 0, length: 100 })),
            ("bytes=900-2000", Ok(ObjectRange::OffsetWithLength { offset: 900, length: 100 })),
            ("bytes=990-", Ok(ObjectRange::From(990))),
            ("bytes=-10", Ok(ObjectRange::Suffix(10))),
            ("bytes=-5000", Ok(ObjectRange::Suffix(1000))),
            ("bytes=1000-", Err(Unsatisfiable)),
            ("bytes=5-1", Err(Unsatisfiable)),
            ("bytes=0-1,5-6", Err(Unsatisfiable)),
            ("items=0-1", Err(Unsatisfiable)),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_range(value, size), expected, "{value}");
        }
    }

    #[test]
    fn file_names() {
        assert!(file_name_is_safe("394d8b43-63c8-41b1-9074-5759554013b4-720-fragmented.mp4"));
        assert!(!file_name_is_safe("../secret"));
        assert!(!file_name_is_safe(".hidden"));
        assert!(!file_name_is_safe("a/b"));
    }
}
