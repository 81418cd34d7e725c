//! The collections of one of our videos, as PeerTube serves them under its id: `likes` and
//! `dislikes` (the rating activities' ids), `announces` (the `shares` of the Video object: the
//! Announce ids) and `comments` (every comment's id, replies included, oldest first). Paged
//! like the actors' collections ([`crate::collection`]).

use edgetube_domain::videos::{urls, Video};
use edgetube_domain::InstanceConfig;
use edgetube_ports::{Ports, Statement};
use serde::Deserialize;
use serde_json::Value;

use crate::collection::{offset, PAGE_SIZE};
use crate::FederationError;

/// Which collection of a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCollection {
    /// `likes`.
    Likes,
    /// `dislikes`.
    Dislikes,
    /// `announces` (the Video's `shares`).
    Shares,
    /// `comments`.
    Comments,
}

impl VideoCollection {
    /// The collection a path segment after the video's id names.
    pub fn parse(segment: &str) -> Option<Self> {
        match segment {
            "likes" => Some(Self::Likes),
            "dislikes" => Some(Self::Dislikes),
            "announces" => Some(Self::Shares),
            "comments" => Some(Self::Comments),
            _ => None,
        }
    }

    /// The path segment.
    pub fn segment(self) -> &'static str {
        match self {
            Self::Likes => "likes",
            Self::Dislikes => "dislikes",
            Self::Shares => "announces",
            Self::Comments => "comments",
        }
    }
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// The total of `which` of `video`, and the items of `page` (none without a page).
pub async fn items(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
    which: VideoCollection,
    page: Option<u64>,
) -> Result<(u64, Vec<Value>), FederationError> {
    let start = page.map_or(0, offset) as i64;
    let count = if page.is_some() { PAGE_SIZE as i64 } else { 0 };
    let (total, items) = match which {
        VideoCollection::Likes => ratings(ports, config, video, "like", start, count).await?,
        VideoCollection::Dislikes => ratings(ports, config, video, "dislike", start, count).await?,
        VideoCollection::Shares => shares(ports, video.id, start, count).await?,
        VideoCollection::Comments => comments(ports, config, video, start, count).await?,
    };
    Ok((u64::try_from(total).unwrap_or(0), items))
}

async fn ratings(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
    kind: &str,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Value>), FederationError> {
    #[derive(Deserialize)]
    struct Row {
        ap_id: Option<String>,
        username: String,
        host: Option<String>,
    }
    let total: Option<Count> = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT COUNT(*) AS n FROM video_rates WHERE video_id = ?1 AND kind = ?2")
                .bind(video.id)
                .bind(kind),
        )
        .await?;
    let rows: Vec<Row> = ports
        .sql
        .fetch_all(
            Statement::new(
                "SELECT r.ap_id, a.username, a.host FROM video_rates r JOIN actors a ON a.id = r.account_id \
                 WHERE r.video_id = ?1 AND r.kind = ?2 ORDER BY r.created_at, r.rowid LIMIT ?3 OFFSET ?4",
            )
            .bind(video.id)
            .bind(kind)
            .bind(count)
            .bind(start),
        )
        .await?;
    let items = rows
        .into_iter()
        .filter_map(|row| match (row.ap_id, row.host) {
            (Some(id), _) => Some(id),
            // Ours: the id our Like was sent with (`interactions`).
            (None, None) => {
                Some(config.origin.join(&format!("/accounts/{}/{kind}s/{}", row.username, video.id)))
            }
            // A remote rating stored before its activity id was kept: nothing to name it by.
            (None, Some(_)) => None,
        })
        .map(Value::String)
        .collect();
    Ok((total.map_or(0, |c| c.n), items))
}

async fn shares(
    ports: &Ports<'_>,
    video_id: i64,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Value>), FederationError> {
    #[derive(Deserialize)]
    struct Row {
        ap_id: String,
    }
    let total: Option<Count> = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT COUNT(*) AS n FROM video_shares WHERE video_id = ?1").bind(video_id),
        )
        .await?;
    let rows: Vec<Row> = ports
        .sql
        .fetch_all(
            Statement::new(
                "SELECT ap_id FROM video_shares WHERE video_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
            )
            .bind(video_id)
            .bind(count)
            .bind(start),
        )
        .await?;
    Ok((total.map_or(0, |c| c.n), rows.into_iter().map(|r| Value::String(r.ap_id)).collect()))
}

/// Comments held for the video owner's approval are not public yet, so not listed.
async fn comments(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    video: &Video,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Value>), FederationError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        ap_id: Option<String>,
    }
    let total: Option<Count> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT COUNT(*) AS n FROM video_comments WHERE video_id = ?1 AND held_for_review = 0",
            )
            .bind(video.id),
        )
        .await?;
    let rows: Vec<Row> = ports
        .sql
        .fetch_all(
            Statement::new(
                "SELECT id, ap_id FROM video_comments WHERE video_id = ?1 AND held_for_review = 0 \
                 ORDER BY created_at, id LIMIT ?2 OFFSET ?3",
            )
            .bind(video.id)
            .bind(count)
            .bind(start),
        )
        .await?;
    let watch = urls::watch_url(&config.origin, &video.uuid);
    let items = rows
        .into_iter()
        .map(|row| Value::String(row.ap_id.unwrap_or_else(|| format!("{watch}/comments/{}", row.id))))
        .collect();
    Ok((total.map_or(0, |c| c.n), items))
}
