//! What a transcoding job publishes: HLS renditions, the master playlist and
//! `segments-sha256.json` rebuilt after each one, the poster images and the storyboard.
//!
//! A runner uploads a rendition's files first and reports it after; only then is it recorded and
//! the master rewritten (under a fresh name, as PeerTube does), so a player never sees a
//! rendition whose bytes are not all stored. The first rendition publishes the video.

use std::collections::BTreeMap;

use edgetube_manifest::{master_playlist, ByteRange, MasterRendition, SegmentHashes};
use edgetube_ports::{Ports, Sql, Statement};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::runner_jobs::Holder;
use edgetube_domain::videos::{self, privacy, Video};
use edgetube_domain::DomainError;

/// Object key prefix of a video's HLS files.
pub fn hls_prefix(video_uuid: &str) -> String {
    format!("hls/{video_uuid}/")
}

/// The folders of the images a job makes, as `/lazy-static/<folder>/<file>` serves them.
pub const IMAGE_FOLDERS: [&str; 3] = ["thumbnails", "previews", "storyboards"];

/// Object key of an image a runner names `name` for the video `video_uuid`:
/// `<folder>/<videoUUID>-<name>`. The instance, not the runner, puts the video in the key, so a
/// runner's job for one video can never name (write, report or delete) another video's image;
/// the file name stays flat because PeerTube clients fetch `/lazy-static/<folder>/<file>`.
pub fn image_key(folder: &str, video_uuid: &str, name: &str) -> String {
    format!("{folder}/{video_uuid}-{name}")
}

/// Whether `key` is one a job for `video_uuid` may write: under its HLS prefix, or one of its
/// images. Video UUIDs all have the same length, so `<folder>/<uuid>-` prefixes never overlap.
pub fn owns_key(video_uuid: &str, key: &str) -> bool {
    key.starts_with(&hls_prefix(video_uuid))
        || IMAGE_FOLDERS.iter().any(|folder| key.starts_with(&image_key(folder, video_uuid, "")))
}

/// A rendition as the runner reports it.
pub use edgetube_runner_protocol::RenditionReport;

/// A recorded rendition.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VideoFile {
    /// Row id.
    pub id: i64,
    /// Short side.
    pub resolution: i64,
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
    /// Frames per second.
    pub fps: i64,
    /// Bytes.
    pub size: i64,
    /// `CODECS`.
    pub codecs: String,
    /// Carries audio (0 or 1).
    pub has_audio: i64,
    /// Carries video (0 or 1).
    pub has_video: i64,
    /// fMP4 name.
    pub file_name: String,
    /// Playlist name.
    pub playlist_name: String,
    /// JSON of the segment hashes.
    pub segments_sha256: String,
}

/// The storyboard sprite sheet of a video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Storyboard {
    /// Object key of the JPEG.
    #[serde(skip_deserializing, default)]
    pub file_key: String,
    /// One sprite's width.
    pub sprite_width: i64,
    /// One sprite's height.
    pub sprite_height: i64,
    /// The sheet's width.
    pub total_width: i64,
    /// The sheet's height.
    pub total_height: i64,
    /// Seconds each sprite covers.
    pub sprite_duration: i64,
}

/// Why a reported rendition was refused.
#[derive(Debug, Error)]
pub enum RenditionError {
    /// A name is not a plain file name of the expected kind.
    #[error("{0}")]
    Invalid(String),
    /// A file was not uploaded (completely) before being reported.
    #[error("{0} is not stored")]
    Missing(String),
    /// The job is no longer processing for the runner that reported it.
    #[error("the job is not processing under this job token")]
    NotHeld,
    /// Storage or SQL failed.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<edgetube_ports::PortError> for RenditionError {
    fn from(e: edgetube_ports::PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// Whether `name` is a plain file name a runner may write: `[A-Za-z0-9._-]{1,120}`, not a dot name.
pub fn is_safe_file_name(name: &str) -> bool {
    (1..=120).contains(&name.len())
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn range_of(key: &str) -> Option<ByteRange> {
    let (a, b) = key.split_once('-')?;
    let (first, last): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
    (first <= last).then(|| ByteRange::new(first, last - first + 1))
}

/// Records a rendition whose files are stored, while `holder` holds its job, then republishes
/// the master and hashes.
pub async fn add(
    ports: &Ports<'_>,
    holder: &Holder,
    video: &Video,
    rendition: &RenditionReport,
) -> Result<(), RenditionError> {
    if !is_safe_file_name(&rendition.file) || !rendition.file.ends_with("-fragmented.mp4") {
        return Err(RenditionError::Invalid(format!("{:?} is not an fMP4 file name", rendition.file)));
    }
    if !is_safe_file_name(&rendition.playlist) || !rendition.playlist.ends_with(".m3u8") {
        return Err(RenditionError::Invalid(format!("{:?} is not a playlist name", rendition.playlist)));
    }
    if rendition.segments_sha256.keys().any(|k| range_of(k).is_none()) {
        return Err(RenditionError::Invalid("segmentsSha256 keys must be <first>-<last> ranges".into()));
    }
    let prefix = hls_prefix(&video.uuid);
    match ports.objects.head(&format!("{prefix}{}", rendition.file)).await? {
        Some(meta) if meta.size == rendition.size => {}
        Some(meta) => {
            return Err(RenditionError::Invalid(format!(
                "{} has {} bytes, not {}",
                rendition.file, meta.size, rendition.size
            )))
        }
        None => return Err(RenditionError::Missing(rendition.file.clone())),
    }
    if ports.objects.head(&format!("{prefix}{}", rendition.playlist)).await?.is_none() {
        return Err(RenditionError::Missing(rendition.playlist.clone()));
    }
    let replaced: Vec<VideoFile> = ports
        .sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {FILE_COLUMNS} FROM video_files WHERE video_id = ?1 AND resolution = ?2"
            ))
            .bind(video.id)
            .bind(i64::from(rendition.resolution)),
        )
        .await?;
    let hashes = serde_json::to_string(&rendition.segments_sha256)
        .map_err(|e| DomainError::Inconsistent(e.to_string()))?;
    let insert = holder.guard(
        Statement::new(
            "INSERT OR REPLACE INTO video_files (video_id, resolution, width, height, fps, size, codecs, \
             has_audio, has_video, file_name, playlist_name, segments_sha256, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE 1",
        )
        .bind(video.id)
        .bind(i64::from(rendition.resolution))
        .bind(i64::from(rendition.width))
        .bind(i64::from(rendition.height))
        .bind(i64::from(rendition.fps))
        .bind(i64::try_from(rendition.size).unwrap_or(i64::MAX))
        .bind(rendition.codecs.as_str())
        .bind(rendition.has_audio)
        .bind(rendition.has_video)
        .bind(rendition.file.as_str())
        .bind(rendition.playlist.as_str())
        .bind(hashes)
        .bind(ports.clock.now_millis()),
    );
    if ports.sql.execute(insert).await? == 0 {
        return Err(RenditionError::NotHeld);
    }
    republish(ports, video).await?;
    for old in replaced.iter().filter(|old| old.file_name != rendition.file) {
        ports.objects.delete(&format!("{prefix}{}", old.file_name)).await?;
        ports.objects.delete(&format!("{prefix}{}", old.playlist_name)).await?;
    }
    Ok(())
}

const FILE_COLUMNS: &str =
    "id, resolution, width, height, fps, size, codecs, has_audio, has_video, file_name, \
     playlist_name, segments_sha256";

/// A video's renditions, smallest first.
pub async fn files(sql: &dyn Sql, video_id: i64) -> Result<Vec<VideoFile>, DomainError> {
    Ok(sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {FILE_COLUMNS} FROM video_files WHERE video_id = ?1 ORDER BY resolution"
            ))
            .bind(video_id),
        )
        .await?)
}

/// Whether a video has at least one rendition.
pub async fn has_any(sql: &dyn Sql, video_id: i64) -> Result<bool, DomainError> {
    Ok(!files(sql, video_id).await?.is_empty())
}

fn random_uuid(ports: &Ports<'_>) -> Result<String, DomainError> {
    Ok(videos::short_uuid::new_v4(ports.crypto)?)
}

/// Writes a new master playlist and `segments-sha256.json` from the recorded renditions, points
/// the video at them (publishing it on the first), and deletes the previous ones.
async fn republish(ports: &Ports<'_>, video: &Video) -> Result<(), DomainError> {
    let video = videos::find_by_uuid(ports.sql, &video.uuid)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("video {} vanished", video.uuid)))?;
    let files = files(ports.sql, video.id).await?;
    let masters: Vec<MasterRendition> = files
        .iter()
        .map(|f| MasterRendition {
            uri: f.playlist_name.clone(),
            width: u32::try_from(f.width).unwrap_or(0),
            height: u32::try_from(f.height).unwrap_or(0),
            fps: u32::try_from(f.fps).unwrap_or(0),
            size: u64::try_from(f.size).unwrap_or(0),
            codecs: f.codecs.clone(),
        })
        .collect();
    let mut hashes = SegmentHashes::new();
    for file in &files {
        let ranges: BTreeMap<String, String> = serde_json::from_str(&file.segments_sha256)
            .map_err(|e| DomainError::Inconsistent(format!("hashes of {}: {e}", file.file_name)))?;
        hashes.add_hashes(
            &file.file_name,
            ranges.into_iter().filter_map(|(k, h)| Some((range_of(&k)?, h))).collect(),
        );
    }
    let prefix = hls_prefix(&video.uuid);
    let master_key = format!("{prefix}{}-master.m3u8", random_uuid(ports)?);
    let sha_key = format!("{prefix}{}-segments-sha256.json", random_uuid(ports)?);
    let duration = u64::try_from(video.duration).unwrap_or(0);
    ports
        .objects
        .put(&master_key, master_playlist(&masters, duration).into(), Some("application/vnd.apple.mpegurl"))
        .await?;
    ports.objects.put(&sha_key, hashes.to_json().into(), Some("application/json")).await?;
    let now = ports.clock.now_millis();
    // A private video gets its publication date when it first becomes visible, not here.
    let publish_at = (video.privacy != privacy::PRIVATE).then_some(now);
    ports
        .sql
        .execute(
            Statement::new(
                "UPDATE videos SET hls_master_key = ?1, hls_sha256_key = ?2, state = ?3, \
                 published_at = COALESCE(published_at, ?4), updated_at = ?5 WHERE id = ?6",
            )
            .bind(master_key)
            .bind(sha_key)
            .bind(videos::state::PUBLISHED)
            .bind(publish_at)
            .bind(now)
            .bind(video.id),
        )
        .await?;
    for old in [&video.hls_master_key, &video.hls_sha256_key].into_iter().flatten() {
        ports.objects.delete(old).await?;
    }
    Ok(())
}

/// Records what the runner probed, while `holder` holds its job: duration (rounded to whole
/// seconds, as PeerTube stores it) and aspect ratio.
pub async fn set_video_info(
    ports: &Ports<'_>,
    holder: &Holder,
    video: &Video,
    duration: f64,
    aspect_ratio: Option<f64>,
) -> Result<(), RenditionError> {
    let seconds = if duration.is_finite() && duration > 0.0 { duration.round() as i64 } else { 0 };
    let ratio = aspect_ratio.filter(|r| r.is_finite() && *r > 0.0).map(|r| (r * 10_000.0).round() / 10_000.0);
    let update = holder.guard(
        Statement::new(
            "UPDATE videos SET duration = ?1, aspect_ratio = COALESCE(?2, aspect_ratio) WHERE id = ?3",
        )
        .bind(seconds)
        .bind(ratio.map_or(edgetube_ports::SqlValue::Null, edgetube_ports::SqlValue::Real))
        .bind(video.id),
    );
    if ports.sql.execute(update).await? == 0 {
        return Err(RenditionError::NotHeld);
    }
    Ok(())
}

/// The poster images and storyboard a finished job gives its video (object keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Key of the thumbnail.
    pub thumbnail_key: String,
    /// Key of the preview.
    pub preview_key: String,
    /// The storyboard, if the video is long enough for one.
    pub storyboard: Option<Storyboard>,
}

/// The statements that point a video at `images`, each ending with its `WHERE` clause so that
/// the caller can condition them (see `runner_jobs::complete`, which runs them in its batch).
pub(crate) fn image_statements(video: &Video, images: &Images, now: i64) -> Vec<Statement> {
    let mut statements = vec![
        Statement::new(
            "UPDATE videos SET thumbnail_key = ?1, preview_key = ?2, updated_at = ?3 WHERE id = ?4",
        )
        .bind(images.thumbnail_key.as_str())
        .bind(images.preview_key.as_str())
        .bind(now)
        .bind(video.id),
        Statement::new("DELETE FROM video_storyboards WHERE video_id = ?1").bind(video.id),
    ];
    if let Some(s) = &images.storyboard {
        statements.push(
            Statement::new(
                "INSERT INTO video_storyboards (video_id, file_key, sprite_width, sprite_height, total_width, \
                 total_height, sprite_duration) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE 1",
            )
            .bind(video.id)
            .bind(s.file_key.as_str())
            .bind(s.sprite_width)
            .bind(s.sprite_height)
            .bind(s.total_width)
            .bind(s.total_height)
            .bind(s.sprite_duration),
        );
    }
    statements
}

/// Deletes the images `video` (as read before `images` were recorded) pointed at and no longer
/// does. Only keys this video owns are deleted: a row written before keys were scoped to their
/// video may name a file another video uses.
pub(crate) async fn remove_replaced_images(
    ports: &Ports<'_>,
    video: &Video,
    old_storyboard: Option<&Storyboard>,
    images: &Images,
) -> Result<(), DomainError> {
    let kept = [
        Some(images.thumbnail_key.as_str()),
        Some(images.preview_key.as_str()),
        images.storyboard.as_ref().map(|s| s.file_key.as_str()),
    ];
    let old = [
        video.thumbnail_key.as_deref(),
        video.preview_key.as_deref(),
        old_storyboard.map(|s| s.file_key.as_str()),
    ];
    for key in old.into_iter().flatten() {
        if !kept.contains(&Some(key)) && owns_key(&video.uuid, key) {
            ports.objects.delete(key).await?;
        }
    }
    Ok(())
}

/// A video's storyboard.
pub async fn storyboard_of(sql: &dyn Sql, video_id: i64) -> Result<Option<Storyboard>, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        file_key: String,
        sprite_width: i64,
        sprite_height: i64,
        total_width: i64,
        total_height: i64,
        sprite_duration: i64,
    }
    let row: Option<Row> = sql
        .fetch_optional(
            Statement::new(
                "SELECT file_key, sprite_width, sprite_height, total_width, total_height, sprite_duration \
                 FROM video_storyboards WHERE video_id = ?1",
            )
            .bind(video_id),
        )
        .await?;
    Ok(row.map(|r| Storyboard {
        file_key: r.file_key,
        sprite_width: r.sprite_width,
        sprite_height: r.sprite_height,
        total_width: r.total_width,
        total_height: r.total_height,
        sprite_duration: r.sprite_duration,
    }))
}

/// Every object key a video owns: its original, images, storyboard, HLS files (listed, so files
/// of abandoned attempts go too) and the staging objects of unfinished uploads.
pub async fn object_keys(ports: &Ports<'_>, video: &Video) -> Result<Vec<String>, DomainError> {
    let mut keys = video.object_keys();
    if let Some(storyboard) = storyboard_of(ports.sql, video.id).await? {
        keys.push(storyboard.file_key);
    }
    keys.extend(ports.objects.list(&hls_prefix(&video.uuid)).await?);
    #[derive(Deserialize)]
    struct Key {
        object_key: String,
    }
    let written: Vec<Key> = ports
        .sql
        .fetch_all(
            Statement::new(
                "SELECT s.object_key FROM upload_sessions s JOIN runner_jobs j ON j.id = s.runner_job_id \
                 WHERE j.video_id = ?1",
            )
            .bind(video.id),
        )
        .await?;
    // Only keys the video owns: a session recorded before keys were scoped to their video may
    // name another video's file.
    keys.extend(written.into_iter().map(|k| k.object_key).filter(|key| owns_key(&video.uuid, key)));
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// A file a job's runner wrote (or was handed a presigned URL for), as its upload session
/// records it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Written {
    id: String,
    object_key: String,
    video_id: i64,
}

/// The files a job's runners wrote so far, every attempt's.
pub async fn written_by_job(sql: &dyn Sql, job_id: i64) -> Result<Vec<Written>, DomainError> {
    Ok(sql
        .fetch_all(
            Statement::new(
                "SELECT s.id, s.object_key, j.video_id FROM upload_sessions s \
                 JOIN runner_jobs j ON j.id = s.runner_job_id WHERE s.runner_job_id = ?1",
            )
            .bind(job_id),
        )
        .await?)
}

/// Deletes the `written` files the video does not use (a failed or abandoned attempt), and
/// forgets their upload sessions. The caller lists them while its runner still holds the job,
/// so that files of the runner taking the job next are never among them; a key outside the
/// video's own (a session recorded before keys were scoped to their video) is never deleted.
pub async fn remove_unpublished(ports: &Ports<'_>, written: &[Written]) -> Result<(), DomainError> {
    let Some(first) = written.first() else { return Ok(()) };
    let Some(video) = videos::find_by_id(ports.sql, first.video_id).await? else { return Ok(()) };
    let mut used = video.object_keys();
    let prefix = hls_prefix(&video.uuid);
    for file in files(ports.sql, video.id).await? {
        used.push(format!("{prefix}{}", file.file_name));
        used.push(format!("{prefix}{}", file.playlist_name));
    }
    if let Some(storyboard) = storyboard_of(ports.sql, video.id).await? {
        used.push(storyboard.file_key);
    }
    for w in written {
        if let Some(session) = crate::uploads::find(ports.sql, &w.id).await? {
            crate::uploads::cancel(ports, &session).await?;
        }
        if !used.contains(&w.object_key) && owns_key(&video.uuid, &w.object_key) {
            ports.objects.delete(&w.object_key).await?;
        }
    }
    Ok(())
}
