//! PeerTube's `Video` (list item) and `VideoDetails` shapes, field order as PeerTube 7 serves them.

use std::collections::HashMap;

use edgetube_domain::actors::{self, LocalActor};
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_domain::videos::constants::{self, CATEGORIES, COMMENTS_POLICIES, LICENCES, PRIVACIES, STATES};
use edgetube_domain::videos::{self, urls, Video};
use edgetube_domain::{iso8601_millis, users, InstanceConfig, Origin};
use edgetube_media::renditions;
use serde_json::{json, Map, Value};

use crate::context::Ctx;
use crate::{dto, Problem};

use super::remote_json;

/// PeerTube truncates `truncatedDescription` to 250 characters, ellipsis included.
const TRUNCATED_DESCRIPTION: usize = 250;

/// The owner of a video: an actor of this instance, or of the remote video's origin.
enum Owner {
    Local(LocalActor),
    Remote(RemoteActor),
}

/// The channels and accounts a page of videos refers to, by actor id.
pub struct Owners(HashMap<i64, Owner>);

impl Owners {
    /// Loads the channels and accounts of `videos` in as few queries as D1 allows: local actors
    /// first, then the remote ones of remote videos.
    pub async fn load(ctx: &Ctx<'_>, videos: &[Video]) -> Result<Self, Problem> {
        let mut ids: Vec<i64> = videos.iter().flat_map(|v| [v.channel_id, v.account_id]).collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = ctx.ports.sql;
        let mut owners: HashMap<i64, Owner> = actors::find_local_by_ids(sql, &ids)
            .await
            .map_err(Problem::internal_from)?
            .into_iter()
            .map(|a| (a.id, Owner::Local(a)))
            .collect();
        let missing: Vec<i64> = ids.into_iter().filter(|id| !owners.contains_key(id)).collect();
        if !missing.is_empty() {
            let remote = remote_actors::find_by_ids(sql, &missing).await.map_err(Problem::internal_from)?;
            owners.extend(remote.into_iter().map(|a| (a.id, Owner::Remote(a))));
        }
        Ok(Self(owners))
    }

    fn get(&self, id: i64) -> Result<&Owner, Problem> {
        self.0.get(&id).ok_or_else(|| Problem::internal_from(format!("video owner {id} is missing")))
    }

    /// The short form (`{id, name, displayName, url, host, avatars}`) of actor `id`.
    pub fn summary(&self, origin: &Origin, id: i64) -> Result<Value, Problem> {
        Ok(match self.get(id)? {
            Owner::Local(actor) => dto::summary(origin, actor),
            Owner::Remote(actor) => dto::remote_summary(actor),
        })
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

/// A `Video` as lists show it, with channel and account summaries.
pub fn list_item(origin: &Origin, video: &Video, owners: &Owners) -> Result<Value, Problem> {
    let mut value = base(origin, video);
    value.insert("account".into(), owners.summary(origin, video.account_id)?);
    value.insert("channel".into(), owners.summary(origin, video.channel_id)?);
    Ok(Value::Object(value))
}

/// The list-item fields up to `isLive`.
///
/// A remote video's images are served, as PeerTube serves them, from this instance's own
/// `/lazy-static/` paths, a cache filled from the origin on first request
/// (`crate::media::serve_image`); `thumbnailUrl` and `previewUrl`, which PeerTube 7 does not
/// have, give the absolute URLs on the origin.
fn base(origin: &Origin, video: &Video) -> Map<String, Value> {
    let remote = video.is_remote();
    let cached = |folder: &str, url: Option<&str>| {
        url.map(|url| format!("/lazy-static/{folder}/{}", urls::remote_image_file(&video.uuid, url)))
    };
    let (thumbnail_path, preview_path) = if remote {
        (
            cached("thumbnails", video.remote_thumbnail_url.as_deref()),
            cached("previews", video.remote_preview_url.as_deref()),
        )
    } else {
        (
            urls::image_path("thumbnails", video.thumbnail_key.as_deref()),
            urls::image_path("previews", video.preview_key.as_deref()),
        )
    };
    let url = video.ap_id.clone().unwrap_or_else(|| urls::watch_url(origin, &video.uuid));
    let mut map = Map::new();
    let mut put = |key: &str, value: Value| {
        map.insert(key.to_owned(), value);
    };
    put("id", video.id.into());
    put("uuid", video.uuid.clone().into());
    put("shortUUID", video.short_uuid.clone().into());
    put("url", url.into());
    put("name", video.name.clone().into());
    put("category", labelled(CATEGORIES, video.category));
    put("licence", labelled(LICENCES, video.licence));
    put("language", language(video.language.as_deref()));
    put("privacy", labelled(PRIVACIES, Some(video.privacy)));
    put("nsfw", (video.nsfw != 0).into());
    put("truncatedDescription", truncated(video.description.as_deref()).into());
    put("description", video.description.clone().into());
    put("isLocal", (!remote).into());
    put("duration", video.duration.into());
    put("aspectRatio", video.aspect_ratio.into());
    put("views", video.views.into());
    put("viewers", 0.into());
    put("likes", video.likes.into());
    put("dislikes", video.dislikes.into());
    put("thumbnailPath", thumbnail_path.into());
    put("previewPath", preview_path.into());
    if remote {
        put("thumbnailUrl", video.remote_thumbnail_url.clone().into());
        put("previewUrl", video.remote_preview_url.clone().into());
    }
    put("embedPath", urls::embed_path(&video.uuid).into());
    put("createdAt", iso8601_millis(video.created_at).into());
    put("updatedAt", iso8601_millis(video.updated_at).into());
    put("publishedAt", video.published_at.map(iso8601_millis).into());
    put("originallyPublishedAt", video.originally_published_at.map(iso8601_millis).into());
    put("isLive", false.into());
    map
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

/// PeerTube's `files` (web videos): the uploaded original, as PeerTube lists its input file,
/// until HLS renditions replace it (like PeerTube's default configuration, no web videos are kept).
fn input_files(config: &InstanceConfig, video: &Video) -> Value {
    let origin = &config.origin;
    if !urls::lists_input_file(video) {
        return json!([]);
    }
    let url = urls::input_file_url(origin, video);
    let torrent_url = urls::input_torrent_url(origin, video);
    let resolution = urls::input_resolution(video);
    let label = if resolution == 0 { "Unknown".to_owned() } else { format!("{resolution}p") };
    json!([{
        "id": video.id,
        "resolution": {"id": resolution, "label": label},
        "width": video.input_width,
        "height": video.input_height,
        "magnetUri": urls::input_magnet(config, video),
        "size": video.original_size,
        "fps": null,
        "torrentUrl": torrent_url,
        "torrentDownloadUrl": torrent_url,
        "fileUrl": url,
        "fileDownloadUrl": url,
        "metadataUrl": urls::metadata_url(origin, &video.uuid, video.id),
        "hasAudio": null,
        "hasVideo": true,
        "storage": 1,
    }])
}

/// `VideoDetails` (`GET /videos/{id}`): full account and channel, tags, state and files.
pub async fn details(ctx: &Ctx<'_>, video: &Video) -> Result<Value, Problem> {
    let origin = &ctx.config.origin;
    let owners = Owners::load(ctx, std::slice::from_ref(video)).await?;
    let (account, channel) = match (owners.get(video.account_id)?, owners.get(video.channel_id)?) {
        (Owner::Local(account_actor), Owner::Local(channel_actor)) => {
            let user_id = users::find_by_account(ctx.ports.sql, video.account_id)
                .await
                .map_err(Problem::internal_from)?
                .map(|u| u.id);
            let account = dto::account(origin, account_actor, user_id);
            let channel = dto::channel(origin, channel_actor, Some(account.clone()));
            (account, channel)
        }
        (Owner::Remote(account_actor), Owner::Remote(channel_actor)) => {
            let account = dto::remote_account(account_actor);
            (account.clone(), dto::remote_channel(channel_actor, Some(account)))
        }
        _ => return Err(Problem::internal_from(format!("video {} mixes local and remote owners", video.id))),
    };
    let tags = videos::tags_of(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
    let media = media(ctx, video).await?;
    let mut object = base(origin, video);
    let rest = json!({
        "account": account,
        "channel": channel,
        "blacklisted": false,
        "blacklistedReason": null,
        "streamingPlaylists": media.streaming_playlists,
        "files": media.files,
        "support": video.support,
        "tags": tags,
        "commentsEnabled": video.comments_policy == 1,
        "commentsPolicy": labelled(COMMENTS_POLICIES, Some(video.comments_policy)),
        "downloadEnabled": video.download_enabled != 0,
        "waitTranscoding": video.wait_transcoding != 0,
        "inputFileUpdatedAt": video.input_file_updated_at.map(iso8601_millis),
        "state": labelled(STATES, Some(video.state)),
        "trackerUrls": media.tracker_urls,
    });
    if let Value::Object(rest) = rest {
        object.extend(rest);
    }
    Ok(Value::Object(object))
}

/// The media fields of `VideoDetails` (`streamingPlaylists`, `files`, `trackerUrls`): ours, or
/// those a remote video's origin sent. Also what the feeds (`edgetube-syndication`) list.
pub async fn media(ctx: &Ctx<'_>, video: &Video) -> Result<remote_json::Media, Problem> {
    if video.is_remote() {
        return remote_json::media(ctx, video).await;
    }
    Ok(remote_json::Media {
        streaming_playlists: streaming_playlists(ctx, video).await?,
        files: input_files(ctx.config, video),
        tracker_urls: json!(urls::tracker_list(ctx.config, &video.uuid)),
    })
}

/// A resolution's label, as PeerTube words it.
pub(super) fn resolution_label(resolution: i64) -> String {
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
    let files = renditions::files(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let url = urls::hls_file_url(origin, video, &f.file_name);
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
                "metadataUrl": urls::metadata_url(origin, &video.uuid, f.id),
                "hasAudio": f.has_audio != 0,
                "hasVideo": f.has_video != 0,
                "storage": 1,
            })
        })
        .collect();
    Ok(json!([{
        "id": video.id,
        "type": 1,
        "playlistUrl": urls::hls_file_url(origin, video, master),
        "segmentsSha256Url": urls::hls_file_url(origin, video, sha),
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
}
