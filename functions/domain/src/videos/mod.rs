//! Videos: the metadata rows, their tags and passwords, and the full-text index kept beside them.
//!
//! Every write that changes a video's name, description or tags rewrites its `videos_fts` row in
//! the same [`Sql::batch`], so search never sees a half-applied change. The media pipeline
//! fills the object-storage columns later; [`delete`] hands their keys back so the caller can
//! remove the stored objects.

pub mod constants;
mod query;
pub mod remote;
pub mod short_uuid;
pub mod urls;

use edgetube_ports::{Ports, Sql, SqlValue, Statement};
use serde::Deserialize;

use crate::DomainError;

pub use query::{list, Scope, VideoQuery};

/// `privacy` values.
pub mod privacy {
    /// Listed and visible to everyone.
    pub const PUBLIC: i64 = 1;
    /// Visible to anyone with the link, not listed.
    pub const UNLISTED: i64 = 2;
    /// Only the owner and moderators.
    pub const PRIVATE: i64 = 3;
    /// Any logged-in user of this instance.
    pub const INTERNAL: i64 = 4;
    /// Anyone who sends one of the video's passwords.
    pub const PASSWORD_PROTECTED: i64 = 5;
}

/// `state` values the core sets itself.
pub mod state {
    /// Playable.
    pub const PUBLISHED: i64 = 1;
    /// Waiting for the transcoder.
    pub const TO_TRANSCODE: i64 = 2;
    /// The transcoder gave up on the file.
    pub const TRANSCODING_FAILED: i64 = 7;
}

/// A stored video, with the account that owns its channel.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Video {
    /// Row id.
    pub id: i64,
    /// Version 4 UUID.
    pub uuid: String,
    /// The UUID in base58.
    pub short_uuid: String,
    /// The channel (a `Group` actor).
    pub channel_id: i64,
    /// The account owning the channel (a `Person` actor). A remote channel whose account could
    /// not be read stands for itself, so a row always has an owner to show.
    pub account_id: i64,
    /// Title, 3–120 characters.
    pub name: String,
    /// Markdown description.
    pub description: Option<String>,
    /// Markdown support text.
    pub support: Option<String>,
    /// Category id.
    pub category: Option<i64>,
    /// Licence id.
    pub licence: Option<i64>,
    /// Language code.
    pub language: Option<String>,
    /// See [`privacy`].
    pub privacy: i64,
    /// Not safe for work.
    pub nsfw: i64,
    /// 1 enabled, 2 disabled, 3 requires approval.
    pub comments_policy: i64,
    /// Whether files may be downloaded.
    pub download_enabled: i64,
    /// Whether publication waits for transcoding.
    pub wait_transcoding: i64,
    /// See [`state`] and [`constants::STATES`].
    pub state: i64,
    /// Seconds.
    pub duration: i64,
    /// Width over height, when known.
    pub aspect_ratio: Option<f64>,
    /// View count.
    pub views: i64,
    /// Likes.
    pub likes: i64,
    /// Dislikes.
    pub dislikes: i64,
    /// When the work was first published elsewhere (ms).
    pub originally_published_at: Option<i64>,
    /// When the video was published here (ms).
    pub published_at: Option<i64>,
    /// Creation (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// When the source file was last replaced (ms).
    pub input_file_updated_at: Option<i64>,
    /// The uploaded file's name.
    pub original_filename: Option<String>,
    /// The uploaded file's size in bytes.
    pub original_size: Option<i64>,
    /// Object key of the uploaded source.
    pub original_key: Option<String>,
    /// Object key of the thumbnail JPEG.
    pub thumbnail_key: Option<String>,
    /// Object key of the preview JPEG.
    pub preview_key: Option<String>,
    /// Object key of the current HLS master playlist.
    pub hls_master_key: Option<String>,
    /// Object key of the current `segments-sha256.json`.
    pub hls_sha256_key: Option<String>,
    /// Object key of the original's `.torrent`, when one was made at upload.
    pub input_torrent_key: Option<String>,
    /// The original's BitTorrent v1 info hash (hex).
    pub input_infohash: Option<String>,
    /// The original's frame width, when the upload could tell.
    pub input_width: Option<i64>,
    /// The original's frame height, when the upload could tell.
    pub input_height: Option<i64>,
    /// A remote video's ActivityPub id; `None` for the videos of this instance.
    pub ap_id: Option<String>,
    /// A remote video's thumbnail, on its origin.
    pub remote_thumbnail_url: Option<String>,
    /// A remote video's preview, on its origin.
    pub remote_preview_url: Option<String>,
}

impl Video {
    /// Whether the video lives on another server (its row is a copy of its Video object): only
    /// reading applies to it, never uploads, edits, transcoding or our storage.
    pub fn is_remote(&self) -> bool {
        self.ap_id.is_some()
    }

    /// The object keys this row references, for removal from storage.
    pub fn object_keys(&self) -> Vec<String> {
        [
            &self.original_key,
            &self.thumbnail_key,
            &self.preview_key,
            &self.hls_master_key,
            &self.hls_sha256_key,
            &self.input_torrent_key,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

/// Every column of [`Video`], from `videos v` joined with its channel `c`.
pub(crate) const VIDEO_COLUMNS: &str = "v.id, v.uuid, v.short_uuid, v.channel_id, COALESCE(c.owner_id, c.id) AS account_id, \
     v.name, v.description, v.support, v.category, v.licence, v.language, v.privacy, v.nsfw, \
     v.comments_policy, v.download_enabled, v.wait_transcoding, v.state, v.duration, v.aspect_ratio, \
     v.views, v.likes, v.dislikes, v.originally_published_at, v.published_at, v.created_at, v.updated_at, \
     v.input_file_updated_at, v.original_filename, v.original_size, v.original_key, v.thumbnail_key, \
     v.preview_key, v.hls_master_key, v.hls_sha256_key, v.input_torrent_key, v.input_infohash, v.input_width, \
     v.input_height, v.ap_id, v.remote_thumbnail_url, v.remote_preview_url";

/// A video to insert (by the upload pipeline, or by tests).
#[derive(Debug, Clone)]
pub struct NewVideo {
    /// The channel it is published in.
    pub channel_id: i64,
    /// Title.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Support text.
    pub support: Option<String>,
    /// Category id.
    pub category: Option<i64>,
    /// Licence id.
    pub licence: Option<i64>,
    /// Language code.
    pub language: Option<String>,
    /// See [`privacy`].
    pub privacy: i64,
    /// Not safe for work.
    pub nsfw: bool,
    /// 1–3.
    pub comments_policy: i64,
    /// Downloads allowed.
    pub download_enabled: bool,
    /// Publication waits for transcoding.
    pub wait_transcoding: bool,
    /// See [`state`].
    pub state: i64,
    /// Seconds.
    pub duration: i64,
    /// Width over height.
    pub aspect_ratio: Option<f64>,
    /// Tags, in order.
    pub tags: Vec<String>,
    /// Passwords, for privacy 5.
    pub passwords: Vec<String>,
    /// Original publication date (ms).
    pub originally_published_at: Option<i64>,
    /// The uploaded file's name.
    pub original_filename: Option<String>,
    /// The uploaded file's size.
    pub original_size: Option<i64>,
    /// Object key of the uploaded source.
    pub original_key: Option<String>,
}

impl NewVideo {
    /// A published public video with PeerTube's defaults, in `channel_id`.
    pub fn new(channel_id: i64, name: impl Into<String>) -> Self {
        Self {
            channel_id,
            name: name.into(),
            description: None,
            support: None,
            category: None,
            licence: None,
            language: None,
            privacy: privacy::PUBLIC,
            nsfw: false,
            comments_policy: 1,
            download_enabled: true,
            wait_transcoding: false,
            state: state::PUBLISHED,
            duration: 0,
            aspect_ratio: None,
            tags: Vec::new(),
            passwords: Vec::new(),
            originally_published_at: None,
            original_filename: None,
            original_size: None,
            original_key: None,
        }
    }
}

/// Statements that replace a video's tags and full-text row; `id_sql` selects the video id
/// (a literal parameter or a sub-select) and is bound through `id`.
fn index_statements(
    id: &SqlValue,
    id_sql: &str,
    name: &str,
    description: Option<&str>,
    tags: &[String],
) -> Vec<Statement> {
    let mut statements = vec![
        Statement {
            sql: format!("DELETE FROM video_tags WHERE video_id = {id_sql}"),
            params: vec![id.clone()],
        },
        Statement { sql: format!("DELETE FROM videos_fts WHERE rowid = {id_sql}"), params: vec![id.clone()] },
    ];
    for (position, tag) in tags.iter().enumerate() {
        statements.push(Statement {
            sql: format!(
                "INSERT OR IGNORE INTO video_tags (video_id, tag, position) VALUES ({id_sql}, ?2, ?3)"
            ),
            params: vec![id.clone(), tag.as_str().into(), i64::try_from(position).unwrap_or(0).into()],
        });
    }
    statements.push(Statement {
        sql: format!("INSERT INTO videos_fts (rowid, name, description, tags) VALUES ({id_sql}, ?2, ?3, ?4)"),
        params: vec![id.clone(), name.into(), description.unwrap_or_default().into(), tags.join(" ").into()],
    });
    statements
}

fn password_statements(id: &SqlValue, id_sql: &str, passwords: &[String], now: i64) -> Vec<Statement> {
    let mut statements = vec![Statement {
        sql: format!("DELETE FROM video_passwords WHERE video_id = {id_sql}"),
        params: vec![id.clone()],
    }];
    for password in passwords {
        statements.push(Statement {
            sql: format!(
                "INSERT OR IGNORE INTO video_passwords (video_id, password, created_at) VALUES ({id_sql}, ?2, ?3)"
            ),
            params: vec![id.clone(), password.as_str().into(), now.into()],
        });
    }
    statements
}

/// Inserts a video with its tags, passwords and index row, atomically, and reads it back.
pub async fn create(ports: &Ports<'_>, new: &NewVideo) -> Result<Video, DomainError> {
    let uuid = short_uuid::new_v4(ports.crypto)?;
    let short = short_uuid::short_uuid(&uuid)
        .ok_or_else(|| DomainError::Inconsistent(format!("generated UUID {uuid} is malformed")))?;
    let now = ports.clock.now_millis();
    // Private videos get their publication date when they first become visible.
    let published_at = (new.privacy != privacy::PRIVATE).then_some(now);
    let mut statements = vec![Statement::new(
        "INSERT INTO videos (uuid, short_uuid, channel_id, name, description, support, category, licence, \
         language, privacy, nsfw, comments_policy, download_enabled, wait_transcoding, state, duration, \
         aspect_ratio, originally_published_at, published_at, created_at, updated_at, original_filename, \
         original_size, original_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20, \
         ?21, ?22, ?23)",
    )
    .bind(uuid.as_str())
    .bind(short)
    .bind(new.channel_id)
    .bind(new.name.as_str())
    .bind(new.description.as_deref())
    .bind(new.support.as_deref())
    .bind(new.category)
    .bind(new.licence)
    .bind(new.language.as_deref())
    .bind(new.privacy)
    .bind(new.nsfw)
    .bind(new.comments_policy)
    .bind(new.download_enabled)
    .bind(new.wait_transcoding)
    .bind(new.state)
    .bind(new.duration)
    .bind(new.aspect_ratio.map_or(SqlValue::Null, SqlValue::Real))
    .bind(new.originally_published_at)
    .bind(published_at)
    .bind(now)
    .bind(new.original_filename.as_deref())
    .bind(new.original_size)
    .bind(new.original_key.as_deref())];
    let id = SqlValue::from(uuid.as_str());
    let id_sql = "(SELECT id FROM videos WHERE uuid = ?1)";
    statements.extend(index_statements(&id, id_sql, &new.name, new.description.as_deref(), &new.tags));
    if !new.passwords.is_empty() {
        statements.extend(password_statements(&id, id_sql, &new.passwords, now));
    }
    ports.sql.batch(statements).await?;
    find_by_uuid(ports.sql, &uuid)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("video {uuid} vanished after creation")))
}

async fn find_where(sql: &dyn Sql, condition: &str, value: SqlValue) -> Result<Option<Video>, DomainError> {
    Ok(sql
        .fetch_optional(Statement {
            sql: format!(
                "SELECT {VIDEO_COLUMNS} FROM videos v JOIN actors c ON c.id = v.channel_id WHERE {condition}"
            ),
            params: vec![value],
        })
        .await?)
}

/// The video with UUID `uuid`.
pub async fn find_by_uuid(sql: &dyn Sql, uuid: &str) -> Result<Option<Video>, DomainError> {
    find_where(sql, "v.uuid = ?1", uuid.into()).await
}

/// The video with row id `id`.
pub async fn find_by_id(sql: &dyn Sql, id: i64) -> Result<Option<Video>, DomainError> {
    find_where(sql, "v.id = ?1", id.into()).await
}

/// The video whose uploaded original is stored under `key`.
pub async fn find_by_original_key(sql: &dyn Sql, key: &str) -> Result<Option<Video>, DomainError> {
    find_where(sql, "v.original_key = ?1", key.into()).await
}

/// Records the original's torrent and frame size (made at upload).
pub async fn set_input_file(
    sql: &dyn Sql,
    video_id: i64,
    torrent_key: &str,
    infohash: &str,
    size: Option<(u32, u32)>,
) -> Result<(), DomainError> {
    sql.execute(
        Statement::new(
            "UPDATE videos SET input_torrent_key = ?1, input_infohash = ?2, input_width = ?3, input_height = ?4 \
             WHERE id = ?5",
        )
        .bind(torrent_key)
        .bind(infohash)
        .bind(size.map(|(w, _)| i64::from(w)))
        .bind(size.map(|(_, h)| i64::from(h)))
        .bind(video_id),
    )
    .await?;
    Ok(())
}

/// Moves a video to another state.
pub async fn set_state(ports: &Ports<'_>, video: &Video, state: i64) -> Result<(), DomainError> {
    ports
        .sql
        .execute(
            Statement::new("UPDATE videos SET state = ?1, updated_at = ?2 WHERE id = ?3")
                .bind(state)
                .bind(ports.clock.now_millis())
                .bind(video.id),
        )
        .await?;
    Ok(())
}

/// How a request names a video: PeerTube accepts the numeric id, the UUID or the short UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoRef {
    /// Row id.
    Id(i64),
    /// UUID (also what a short UUID decodes to).
    Uuid(String),
}

impl VideoRef {
    /// Parses a path segment; `None` when it is none of the three forms.
    pub fn parse(text: &str) -> Option<Self> {
        if !text.is_empty() && text.len() <= 15 && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().ok().map(Self::Id);
        }
        if short_uuid::parse_uuid(text).is_some() {
            return Some(Self::Uuid(text.to_ascii_lowercase()));
        }
        short_uuid::uuid_from_short(text).map(Self::Uuid)
    }
}

/// The video `reference` names.
pub async fn find(sql: &dyn Sql, reference: &VideoRef) -> Result<Option<Video>, DomainError> {
    match reference {
        VideoRef::Id(id) => find_where(sql, "v.id = ?1", (*id).into()).await,
        VideoRef::Uuid(uuid) => find_by_uuid(sql, uuid).await,
    }
}

/// The video's tags, in the uploader's order.
pub async fn tags_of(sql: &dyn Sql, video_id: i64) -> Result<Vec<String>, DomainError> {
    #[derive(Deserialize)]
    struct Tag {
        tag: String,
    }
    let rows: Vec<Tag> = sql
        .fetch_all(
            Statement::new("SELECT tag FROM video_tags WHERE video_id = ?1 ORDER BY position").bind(video_id),
        )
        .await?;
    Ok(rows.into_iter().map(|t| t.tag).collect())
}

/// How many passwords a video has.
pub async fn password_count(sql: &dyn Sql, video_id: i64) -> Result<i64, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let rows: Vec<Count> = sql
        .fetch_all(
            Statement::new("SELECT COUNT(*) AS n FROM video_passwords WHERE video_id = ?1").bind(video_id),
        )
        .await?;
    Ok(rows.first().map_or(0, |c| c.n))
}

/// Whether `password` is one of the video's passwords.
pub async fn password_matches(sql: &dyn Sql, video_id: i64, password: &str) -> Result<bool, DomainError> {
    let rows = sql
        .query(
            Statement::new("SELECT 1 AS x FROM video_passwords WHERE video_id = ?1 AND password = ?2")
                .bind(video_id)
                .bind(password),
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Changes to a video's metadata; `None` leaves a field as it is. For nullable fields, the
/// inner `None` clears the value.
#[derive(Debug, Clone, Default)]
pub struct VideoUpdate {
    /// New channel (one of the owner's).
    pub channel_id: Option<i64>,
    /// Title.
    pub name: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Support text.
    pub support: Option<Option<String>>,
    /// Category.
    pub category: Option<Option<i64>>,
    /// Licence.
    pub licence: Option<Option<i64>>,
    /// Language.
    pub language: Option<Option<String>>,
    /// Privacy.
    pub privacy: Option<i64>,
    /// NSFW flag.
    pub nsfw: Option<bool>,
    /// Comments policy.
    pub comments_policy: Option<i64>,
    /// Downloads allowed.
    pub download_enabled: Option<bool>,
    /// Wait for transcoding.
    pub wait_transcoding: Option<bool>,
    /// Original publication date.
    pub originally_published_at: Option<Option<i64>>,
    /// Tags (replace all).
    pub tags: Option<Vec<String>>,
    /// Passwords (replace all).
    pub passwords: Option<Vec<String>>,
}

/// Applies `change` to `video` atomically, with its tags, passwords and index row.
pub async fn update(ports: &Ports<'_>, video: &Video, change: &VideoUpdate) -> Result<(), DomainError> {
    let now = ports.clock.now_millis();
    let privacy = change.privacy.unwrap_or(video.privacy);
    // A private video gets its publication date when it first becomes visible, as in PeerTube.
    let published_at = match video.published_at {
        None if privacy != privacy::PRIVATE => Some(now),
        other => other,
    };
    let name = change.name.clone().unwrap_or_else(|| video.name.clone());
    let description = change.description.clone().unwrap_or_else(|| video.description.clone());
    let mut statements = vec![Statement::new(
        "UPDATE videos SET channel_id = ?1, name = ?2, description = ?3, support = ?4, category = ?5, \
         licence = ?6, language = ?7, privacy = ?8, nsfw = ?9, comments_policy = ?10, download_enabled = ?11, \
         wait_transcoding = ?12, originally_published_at = ?13, published_at = ?14, updated_at = ?15 \
         WHERE id = ?16",
    )
    .bind(change.channel_id.unwrap_or(video.channel_id))
    .bind(name.as_str())
    .bind(description.as_deref())
    .bind(change.support.clone().unwrap_or_else(|| video.support.clone()))
    .bind(change.category.unwrap_or(video.category))
    .bind(change.licence.unwrap_or(video.licence))
    .bind(change.language.clone().unwrap_or_else(|| video.language.clone()))
    .bind(privacy)
    .bind(change.nsfw.unwrap_or(video.nsfw != 0))
    .bind(change.comments_policy.unwrap_or(video.comments_policy))
    .bind(change.download_enabled.unwrap_or(video.download_enabled != 0))
    .bind(change.wait_transcoding.unwrap_or(video.wait_transcoding != 0))
    .bind(change.originally_published_at.unwrap_or(video.originally_published_at))
    .bind(published_at)
    .bind(now)
    .bind(video.id)];
    let tags = match &change.tags {
        Some(tags) => tags.clone(),
        None => tags_of(ports.sql, video.id).await?,
    };
    let id = SqlValue::from(video.id);
    statements.extend(index_statements(&id, "?1", &name, description.as_deref(), &tags));
    if let Some(passwords) = &change.passwords {
        statements.extend(password_statements(&id, "?1", passwords, now));
    } else if privacy != privacy::PASSWORD_PROTECTED {
        // Passwords only mean something while the video is password protected.
        statements.extend(password_statements(&id, "?1", &[], now));
    }
    ports.sql.batch(statements).await?;
    Ok(())
}

/// Deletes a video with its tags, passwords and index row, and returns the object keys the
/// row referenced, for the caller to remove from storage.
pub async fn delete(sql: &dyn Sql, video: &Video) -> Result<Vec<String>, DomainError> {
    sql.batch(vec![
        Statement::new("DELETE FROM video_tags WHERE video_id = ?1").bind(video.id),
        Statement::new("DELETE FROM video_passwords WHERE video_id = ?1").bind(video.id),
        Statement::new("DELETE FROM videos_fts WHERE rowid = ?1").bind(video.id),
        Statement::new("DELETE FROM videos WHERE id = ?1").bind(video.id),
    ])
    .await?;
    Ok(video.object_keys())
}

/// Bytes of originals uploaded by an account, all time and since `since` (PeerTube's quota
/// counts what a user sent).
pub async fn quota_used(sql: &dyn Sql, account_id: i64, since: i64) -> Result<(i64, i64), DomainError> {
    #[derive(serde::Deserialize)]
    struct Used {
        total: Option<i64>,
        daily: Option<i64>,
    }
    let used: Option<Used> = sql
        .fetch_optional(
            Statement::new(
                "SELECT SUM(v.original_size) AS total,                  SUM(CASE WHEN v.created_at >= ?2 THEN v.original_size ELSE 0 END) AS daily                  FROM videos v JOIN actors c ON c.id = v.channel_id WHERE c.owner_id = ?1",
            )
            .bind(account_id)
            .bind(since),
        )
        .await?;
    Ok(used.map_or((0, 0), |u| (u.total.unwrap_or(0), u.daily.unwrap_or(0))))
}

/// How many videos this instance hosts (NodeInfo's `localPosts`): remote copies do not count.
pub async fn count_local(sql: &dyn Sql) -> Result<i64, DomainError> {
    #[derive(serde::Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> =
        sql.fetch_optional(Statement::new("SELECT COUNT(*) AS n FROM videos WHERE ap_id IS NULL")).await?;
    Ok(row.map_or(0, |c| c.n))
}
