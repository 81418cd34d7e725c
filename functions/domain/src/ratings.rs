//! Likes and dislikes: one rating per account and video, with the video's counters recomputed
//! in the same batch so they never drift from the ratings.

use edgetube_ports::{Ports, Sql, Statement};
use serde::Deserialize;

use crate::DomainError;

/// A rating, as PeerTube names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    /// 👍
    Like,
    /// 👎
    Dislike,
    /// No rating.
    None,
}

impl Rating {
    /// Parses PeerTube's `like`, `dislike` or `none`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "like" => Some(Self::Like),
            "dislike" => Some(Self::Dislike),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// PeerTube's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Like => "like",
            Self::Dislike => "dislike",
            Self::None => "none",
        }
    }
}

/// Sets `account_id`'s rating of `video_id`, replacing any previous one. `ap_id` is the id of
/// the remote `Like`/`Dislike` it came from (`None` for a local account's: its id is built).
pub async fn rate(
    ports: &Ports<'_>,
    video_id: i64,
    account_id: i64,
    rating: Rating,
    ap_id: Option<&str>,
) -> Result<(), DomainError> {
    let now = ports.clock.now_millis();
    // A remote video's counts are its origin's (refreshed by its Updates); ours only move them by
    // what this rating changes, as PeerTube does, until the origin's next count arrives.
    let before = of(ports.sql, video_id, account_id).await?;
    let delta = |kind: Rating| i64::from(rating == kind) - i64::from(before == kind);
    let mut statements =
        vec![Statement::new("DELETE FROM video_rates WHERE account_id = ?1 AND video_id = ?2")
            .bind(account_id)
            .bind(video_id)];
    if rating != Rating::None {
        statements.push(
            Statement::new(
                "INSERT INTO video_rates (account_id, video_id, kind, created_at, ap_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(account_id)
            .bind(video_id)
            .bind(rating.as_str())
            .bind(now)
            .bind(ap_id),
        );
    }
    statements.push(
        Statement::new(
            "UPDATE videos SET \
             likes = CASE WHEN ap_id IS NULL \
               THEN (SELECT COUNT(*) FROM video_rates WHERE video_id = ?1 AND kind = 'like') \
               ELSE MAX(0, likes + ?2) END, \
             dislikes = CASE WHEN ap_id IS NULL \
               THEN (SELECT COUNT(*) FROM video_rates WHERE video_id = ?1 AND kind = 'dislike') \
               ELSE MAX(0, dislikes + ?3) END \
             WHERE id = ?1",
        )
        .bind(video_id)
        .bind(delta(Rating::Like))
        .bind(delta(Rating::Dislike)),
    );
    ports.sql.batch(statements).await?;
    Ok(())
}

/// `account_id`'s rating of `video_id`.
pub async fn of(sql: &dyn Sql, video_id: i64, account_id: i64) -> Result<Rating, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        kind: String,
    }
    let row: Option<Row> = sql
        .fetch_optional(
            Statement::new("SELECT kind FROM video_rates WHERE account_id = ?1 AND video_id = ?2")
                .bind(account_id)
                .bind(video_id),
        )
        .await?;
    Ok(row.and_then(|r| Rating::parse(&r.kind)).unwrap_or(Rating::None))
}
