//! Our Video object from our rows: a local video, its renditions, images, storyboard and tags
//! mapped to `edgetube_activitypub`'s [`VideoDocumentInput`], with every media URL built by
//! `edgetube_domain::videos::urls`, the builders the REST API reports the same files with.
//!
//! [`federates`] is the one rule for which videos other servers hear about.

use edgetube_activitypub::documents::build::video::{
    video_document, CommentsPolicy, FileInput, HlsInput, ImageInput, StoryboardInput, TrackerInput,
    VideoDocumentInput,
};
use edgetube_activitypub::documents::{Label, Privacy, TrackerKind};
use edgetube_domain::actors::{self, LocalActor};
use edgetube_domain::videos::constants::{self, CATEGORIES, LICENCES};
use edgetube_domain::videos::{self, privacy, urls, Video};
use edgetube_domain::{iso8601_millis, InstanceConfig};
use edgetube_media::renditions;
use edgetube_ports::Ports;
use serde_json::Value;

use crate::send::actor_url;
use crate::FederationError;

/// The thumbnail's size, as the runner makes it (PeerTube's 280×157).
const THUMBNAIL_SIZE: (u32, u32) = (280, 157);
/// The preview's size (PeerTube's 850×480).
const PREVIEW_SIZE: (u32, u32) = (850, 480);

/// PeerTube's states in which a video federates: published (1), to import (4), waiting for its
/// live (5).
const FEDERATED_STATES: [i64; 3] = [1, 4, 5];

/// Whether other servers hear about `video`: one of ours, public, and in a federated state.
/// PeerTube federates unlisted videos only when configured to; we never do (yet).
pub fn federates(video: &Video) -> bool {
    !video.is_remote() && video.privacy == privacy::PUBLIC && FEDERATED_STATES.contains(&video.state)
}

/// The video's account and channel.
pub async fn owners(ports: &Ports<'_>, video: &Video) -> Result<(LocalActor, LocalActor), FederationError> {
    let found = actors::find_local_by_ids(ports.sql, &[video.account_id, video.channel_id]).await?;
    let pick = |id: i64| {
        found.iter().find(|a| a.id == id).cloned().ok_or_else(|| {
            FederationError::Inconsistent(format!("video {} has no local actor {id}", video.uuid))
        })
    };
    Ok((pick(video.account_id)?, pick(video.channel_id)?))
}

fn u32_of(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The Video object of the local `video`, with its `@context`, as served at its id.
pub async fn document(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
) -> Result<Value, FederationError> {
    Ok(video_document(&input(ports, config, video).await?))
}

/// What the instance knows of the local `video`, for its Video object.
pub async fn input(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
) -> Result<VideoDocumentInput, FederationError> {
    let origin = &config.origin;
    let (account, channel) = owners(ports, video).await?;
    let tags = videos::tags_of(ports.sql, video.id).await?;
    let image = |folder: &str, key: Option<&str>, (width, height): (u32, u32)| {
        urls::image_path(folder, key).map(|path| ImageInput {
            url: origin.join(&path),
            media_type: "image/jpeg".to_owned(),
            width,
            height,
        })
    };
    let storyboard = renditions::storyboard_of(ports.sql, video.id).await?.map(|s| StoryboardInput {
        url: origin.join(&urls::storyboard_path(&s.file_key)),
        media_type: "image/jpeg".to_owned(),
        width: u32_of(s.total_width),
        height: u32_of(s.total_height),
        tile_width: u32_of(s.sprite_width),
        tile_height: u32_of(s.sprite_height),
        tile_duration_secs: u64_of(s.sprite_duration),
    });
    let label = |table: &[(i64, &'static str)], id: Option<i64>| {
        id.map(|id| Label { identifier: id.to_string(), name: constants::label(table, id).to_owned() })
    };
    let trackers = urls::tracker_list(config, &video.uuid);
    let tracker_inputs = trackers
        .iter()
        .map(|url| TrackerInput {
            kind: if url.starts_with("ws") { TrackerKind::WebSocket } else { TrackerKind::Http },
            url: url.clone(),
        })
        .collect();
    Ok(VideoDocumentInput {
        origin: origin.as_str().to_owned(),
        uuid: video.uuid.clone(),
        name: video.name.clone(),
        duration_secs: u64_of(video.duration),
        description: video.description.clone(),
        category: label(CATEGORIES, video.category),
        licence: label(LICENCES, video.licence),
        language: video.language.as_ref().map(|code| Label {
            identifier: code.clone(),
            name: constants::language_label(code).unwrap_or_default().to_owned(),
        }),
        tags,
        nsfw: video.nsfw != 0,
        wait_transcoding: video.wait_transcoding != 0,
        state: u32_of(video.state),
        comments_policy: match video.comments_policy {
            2 => CommentsPolicy::Disabled,
            3 => CommentsPolicy::RequiresApproval,
            _ => CommentsPolicy::Enabled,
        },
        download_enabled: video.download_enabled != 0,
        published: iso8601_millis(video.published_at.unwrap_or(video.created_at)),
        updated: iso8601_millis(video.updated_at),
        originally_published_at: video.originally_published_at.map(iso8601_millis),
        // PeerTube 7.0 does not send it (6.3 did).
        upload_date: None,
        views: u64_of(video.views),
        support: video.support.clone(),
        account: actor_url(config, &account),
        channel: actor_url(config, &channel),
        thumbnail: image("thumbnails", video.thumbnail_key.as_deref(), THUMBNAIL_SIZE),
        preview: image("previews", video.preview_key.as_deref(), PREVIEW_SIZE),
        storyboard,
        captions: Vec::new(),
        aspect_ratio: video.aspect_ratio,
        web_videos: input_file(config, video),
        hls: hls(ports, config, video).await?,
        trackers: tracker_inputs,
        privacy: if video.privacy == privacy::PUBLIC { Privacy::Public } else { Privacy::Unlisted },
        live: None,
    })
}

/// The uploaded original, listed as a web video until HLS renditions replace it, as the REST
/// API lists it.
fn input_file(config: &InstanceConfig, video: &Video) -> Vec<FileInput> {
    if !urls::lists_input_file(video) {
        return Vec::new();
    }
    let origin = &config.origin;
    vec![FileInput {
        url: urls::input_file_url(origin, video),
        media_type: "video/mp4".to_owned(),
        height: u32_of(urls::input_resolution(video)),
        width: u32_of(video.input_width.unwrap_or(0)),
        size: u64_of(video.original_size.unwrap_or(0)),
        fps: 0,
        has_audio: false,
        has_video: true,
        metadata_url: Some(urls::metadata_url(origin, &video.uuid, video.id)),
        torrent_url: urls::input_torrent_url(origin, video),
        magnet: urls::input_magnet(config, video),
        infohash: None,
    }]
}

/// The HLS playlist, once a rendition is stored: the renditions highest first, as PeerTube
/// lists them. No torrents or info hashes: peers share segments through the HLS P2P loader.
async fn hls(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
) -> Result<Option<HlsInput>, FederationError> {
    let (Some(master), Some(sha)) = (&video.hls_master_key, &video.hls_sha256_key) else { return Ok(None) };
    let origin = &config.origin;
    let mut files = renditions::files(ports.sql, video.id).await?;
    files.reverse();
    let files = files
        .iter()
        .map(|f| FileInput {
            url: urls::hls_file_url(origin, video, &f.file_name),
            media_type: if f.has_video != 0 { "video/mp4" } else { "audio/mp4" }.to_owned(),
            height: u32_of(f.height),
            width: u32_of(f.width),
            size: u64_of(f.size),
            fps: u32_of(f.fps),
            has_audio: f.has_audio != 0,
            has_video: f.has_video != 0,
            metadata_url: Some(urls::metadata_url(origin, &video.uuid, f.id)),
            torrent_url: None,
            magnet: None,
            infohash: None,
        })
        .collect();
    Ok(Some(HlsInput {
        master_url: urls::hls_file_url(origin, video, master),
        segments_sha256_url: urls::hls_file_url(origin, video, sha),
        files,
    }))
}
