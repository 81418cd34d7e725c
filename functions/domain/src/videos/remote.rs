//! Videos of other servers, kept in the `videos` table beside ours so that lists, search and
//! details read one table; a remote row has its ActivityPub id in `ap_id`, the Video object as
//! last received in `remote_document`, and no object keys (its media stay on its origin).
//!
//! The row, its tags and its full-text entry are written in one batch, keyed by `ap_id`, so a
//! Create, an Update or an Announce applied twice, or in any order, converge on one row.

use edgetube_ports::{Sql, SqlValue, Statement};
use serde::Deserialize;
use thiserror::Error;

use super::{find_by_uuid, index_statements, short_uuid, Video, VIDEO_COLUMNS};
use crate::DomainError;

/// What a remote Video object says, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteVideo {
    /// The Video's id.
    pub ap_id: String,
    /// Its UUID (lower case, with dashes).
    pub uuid: String,
    /// The row of its channel (a remote `Group`).
    pub channel_id: i64,
    /// Title.
    pub name: String,
    /// Markdown description.
    pub description: Option<String>,
    /// Support text.
    pub support: Option<String>,
    /// Category id, when PeerTube knows it.
    pub category: Option<i64>,
    /// Licence id, when PeerTube knows it.
    pub licence: Option<i64>,
    /// Language code.
    pub language: Option<String>,
    /// Public (1) or unlisted (2): nothing else federates.
    pub privacy: i64,
    /// NSFW.
    pub nsfw: bool,
    /// 1 enabled, 2 disabled, 3 requires approval.
    pub comments_policy: i64,
    /// Downloads allowed.
    pub download_enabled: bool,
    /// `waitTranscoding`.
    pub wait_transcoding: bool,
    /// PeerTube's state.
    pub state: i64,
    /// Seconds.
    pub duration: i64,
    /// Width over height.
    pub aspect_ratio: Option<f64>,
    /// The origin's view count.
    pub views: i64,
    /// The origin's like count, when its collection could be read (else the stored one stays).
    pub likes: Option<i64>,
    /// Likewise for dislikes.
    pub dislikes: Option<i64>,
    /// `originallyPublishedAt` (ms).
    pub originally_published_at: Option<i64>,
    /// `published` (ms).
    pub published_at: Option<i64>,
    /// `updated` (ms): a copy older than the stored one is not written back.
    pub updated_at: i64,
    /// The thumbnail's absolute URL.
    pub thumbnail_url: Option<String>,
    /// The preview's absolute URL.
    pub preview_url: Option<String>,
    /// Tags, in order.
    pub tags: Vec<String>,
    /// The Video object's JSON, as received.
    pub document: String,
}

/// Why a remote video was not stored.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RemoteVideoError {
    /// The UUID is malformed.
    #[error("{0:?} is not a UUID")]
    BadUuid(String),
    /// Another video (ours, or another server's) already has this UUID: UUIDs are unique here,
    /// and a server must not take over a video by naming its UUID.
    #[error("UUID {0} already names another video")]
    UuidTaken(String),
    /// SQL failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<edgetube_ports::PortError> for RemoteVideoError {
    fn from(e: edgetube_ports::PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// What [`upsert`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// The row as stored now.
    pub video: Video,
    /// `false` when the stored copy was newer (`updated`) than the one given, which was dropped:
    /// activities may arrive out of order.
    pub written: bool,
}

/// Stores (or refreshes) a remote video with its tags and full-text row, atomically, and reads
/// it back. Idempotent: the same copy stored twice leaves one row as it was.
pub async fn upsert(sql: &dyn Sql, video: &RemoteVideo, now: i64) -> Result<Upserted, RemoteVideoError> {
    let short =
        short_uuid::short_uuid(&video.uuid).ok_or_else(|| RemoteVideoError::BadUuid(video.uuid.clone()))?;
    if let Some(existing) = find_by_uuid(sql, &video.uuid).await? {
        if existing.ap_id.as_deref() != Some(video.ap_id.as_str()) {
            return Err(RemoteVideoError::UuidTaken(video.uuid.clone()));
        }
        if existing.updated_at > video.updated_at {
            return Ok(Upserted { video: existing, written: false });
        }
    }
    let ratio = video.aspect_ratio.filter(|r| r.is_finite()).map_or(SqlValue::Null, SqlValue::Real);
    let mut statements = vec![Statement::new(
        "INSERT INTO videos (ap_id, uuid, short_uuid, channel_id, name, description, support, category, \
         licence, language, privacy, nsfw, comments_policy, download_enabled, wait_transcoding, state, \
         duration, aspect_ratio, views, likes, dislikes, originally_published_at, published_at, created_at, \
         updated_at, remote_document, remote_thumbnail_url, remote_preview_url) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
         COALESCE(?20, 0), COALESCE(?21, 0), ?22, ?23, COALESCE(?23, ?24), ?25, ?26, ?27, ?28) \
         ON CONFLICT (ap_id) WHERE ap_id IS NOT NULL DO UPDATE SET channel_id = excluded.channel_id, \
         name = excluded.name, description = excluded.description, support = excluded.support, \
         category = excluded.category, licence = excluded.licence, language = excluded.language, \
         privacy = excluded.privacy, nsfw = excluded.nsfw, comments_policy = excluded.comments_policy, \
         download_enabled = excluded.download_enabled, wait_transcoding = excluded.wait_transcoding, \
         state = excluded.state, duration = excluded.duration, aspect_ratio = excluded.aspect_ratio, \
         views = excluded.views, likes = COALESCE(?20, likes), dislikes = COALESCE(?21, dislikes), \
         originally_published_at = excluded.originally_published_at, published_at = excluded.published_at, \
         updated_at = excluded.updated_at, remote_document = excluded.remote_document, \
         remote_thumbnail_url = excluded.remote_thumbnail_url, remote_preview_url = excluded.remote_preview_url",
    )
    .bind(video.ap_id.as_str())
    .bind(video.uuid.as_str())
    .bind(short)
    .bind(video.channel_id)
    .bind(video.name.as_str())
    .bind(video.description.as_deref())
    .bind(video.support.as_deref())
    .bind(video.category)
    .bind(video.licence)
    .bind(video.language.as_deref())
    .bind(video.privacy)
    .bind(video.nsfw)
    .bind(video.comments_policy)
    .bind(video.download_enabled)
    .bind(video.wait_transcoding)
    .bind(video.state)
    .bind(video.duration)
    .bind(ratio)
    .bind(video.views)
    .bind(video.likes)
    .bind(video.dislikes)
    .bind(video.originally_published_at)
    .bind(video.published_at)
    .bind(now)
    .bind(video.updated_at)
    .bind(video.document.as_str())
    .bind(video.thumbnail_url.as_deref())
    .bind(video.preview_url.as_deref())];
    let id = SqlValue::from(video.ap_id.as_str());
    let id_sql = "(SELECT id FROM videos WHERE ap_id = ?1)";
    statements.extend(index_statements(&id, id_sql, &video.name, video.description.as_deref(), &video.tags));
    sql.batch(statements).await?;
    let stored = find_by_ap_id(sql, &video.ap_id).await?.ok_or_else(|| {
        DomainError::Inconsistent(format!("remote video {} vanished after its upsert", video.ap_id))
    })?;
    Ok(Upserted { video: stored, written: true })
}

/// The remote video whose ActivityPub id is `ap_id`.
pub async fn find_by_ap_id(sql: &dyn Sql, ap_id: &str) -> Result<Option<Video>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!(
                "SELECT {VIDEO_COLUMNS} FROM videos v JOIN actors c ON c.id = v.channel_id WHERE v.ap_id = ?1"
            ))
            .bind(ap_id),
        )
        .await?)
}

/// The Video object a remote video was last stored from.
pub async fn document_of(sql: &dyn Sql, video_id: i64) -> Result<Option<String>, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        remote_document: Option<String>,
    }
    let row: Option<Row> = sql
        .fetch_optional(Statement::new("SELECT remote_document FROM videos WHERE id = ?1").bind(video_id))
        .await?;
    Ok(row.and_then(|r| r.remote_document))
}

/// Removes the remote video `ap_id` with its tags and full-text row (its comments and ratings
/// cascade); `false` when there was none. Local videos are never touched, whatever the id.
pub async fn delete_by_ap_id(sql: &dyn Sql, ap_id: &str) -> Result<bool, DomainError> {
    let Some(video) = find_by_ap_id(sql, ap_id).await? else { return Ok(false) };
    // Keyed by row id and `ap_id` both: a row re-created under the same id in between is not hit.
    sql.batch(vec![
        Statement::new("DELETE FROM video_tags WHERE video_id = ?1").bind(video.id),
        Statement::new("DELETE FROM video_passwords WHERE video_id = ?1").bind(video.id),
        Statement::new("DELETE FROM videos_fts WHERE rowid = ?1").bind(video.id),
        Statement::new("DELETE FROM videos WHERE id = ?1 AND ap_id = ?2").bind(video.id).bind(ap_id),
    ])
    .await?;
    Ok(true)
}
