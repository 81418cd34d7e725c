//! Follows between actors, local or remote on either side: who receives an actor's activities,
//! and whose activities this instance receives.
//!
//! A follow starts `pending` and becomes `accepted` when the followed side accepts it (at once
//! for our own actors, unless the instance approves instance follows by hand; on a remote
//! server's Accept otherwise). The Follow activity's id is kept: Accept, Reject and Undo name it.

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::DomainError;

/// A follow's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowState {
    /// Asked, not yet accepted.
    Pending,
    /// In effect: activities flow.
    Accepted,
}

impl FollowState {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
        }
    }
}

/// A follow as stored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Follow {
    /// Row id.
    pub id: i64,
    /// The follower's actor row.
    pub follower_id: i64,
    /// The followed actor's row.
    pub following_id: i64,
    /// Pending or accepted.
    pub state: FollowState,
    /// The Follow activity's id.
    pub ap_id: String,
    /// When it was asked (ms).
    pub created_at: i64,
}

const SELECT: &str = "SELECT id, follower_id, following_id, state, ap_id, created_at FROM actor_follows";

/// Records that `follower_id` asked to follow `following_id` with the Follow `ap_id`.
///
/// Asking again (a retried Follow, a new Follow id) keeps an accepted follow accepted and takes
/// the newest id, since the next Undo will name that one.
pub fn upsert(follower_id: i64, following_id: i64, state: FollowState, ap_id: &str, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO actor_follows (follower_id, following_id, state, ap_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (follower_id, following_id) DO UPDATE SET \
         ap_id = excluded.ap_id, updated_at = excluded.updated_at, \
         state = CASE WHEN actor_follows.state = 'accepted' THEN 'accepted' ELSE excluded.state END",
    )
    .bind(follower_id)
    .bind(following_id)
    .bind(state.as_str())
    .bind(ap_id)
    .bind(now)
}

/// The follow of `follower_id` to `following_id`.
pub async fn find(sql: &dyn Sql, follower_id: i64, following_id: i64) -> Result<Option<Follow>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!("{SELECT} WHERE follower_id = ?1 AND following_id = ?2"))
                .bind(follower_id)
                .bind(following_id),
        )
        .await?)
}

/// The follow made by the Follow activity `ap_id`.
pub async fn find_by_ap_id(sql: &dyn Sql, ap_id: &str) -> Result<Option<Follow>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT} WHERE ap_id = ?1")).bind(ap_id)).await?)
}

/// Marks a follow accepted; `false` when there is no such follow.
pub async fn accept(sql: &dyn Sql, follow_id: i64, now: i64) -> Result<bool, DomainError> {
    Ok(sql
        .execute(
            Statement::new("UPDATE actor_follows SET state = 'accepted', updated_at = ?2 WHERE id = ?1")
                .bind(follow_id)
                .bind(now),
        )
        .await?
        > 0)
}

/// Removes the follow of `follower_id` to `following_id`; `false` when there was none.
pub async fn remove(sql: &dyn Sql, follower_id: i64, following_id: i64) -> Result<bool, DomainError> {
    Ok(sql
        .execute(
            Statement::new("DELETE FROM actor_follows WHERE follower_id = ?1 AND following_id = ?2")
                .bind(follower_id)
                .bind(following_id),
        )
        .await?
        > 0)
}

/// The distinct inboxes of the remote actors with an accepted follow of any of `following_ids`,
/// shared inboxes where they have one: where one activity of theirs goes, each server once.
pub async fn follower_inboxes(sql: &dyn Sql, following_ids: &[i64]) -> Result<Vec<String>, DomainError> {
    #[derive(Deserialize)]
    struct Inbox {
        inbox: String,
    }
    let mut inboxes: Vec<String> = Vec::new();
    // D1 binds at most 100 parameters per statement.
    for chunk in following_ids.chunks(100) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let mut statement = Statement::new(format!(
            "SELECT DISTINCT COALESCE(a.shared_inbox_url, a.inbox_url) AS inbox FROM actor_follows f \
             JOIN actors a ON a.id = f.follower_id \
             WHERE f.state = 'accepted' AND a.host IS NOT NULL AND a.inbox_url IS NOT NULL \
             AND f.following_id IN ({}) ORDER BY inbox",
            placeholders.join(", ")
        ));
        for id in chunk {
            statement = statement.bind(*id);
        }
        inboxes.extend(sql.fetch_all::<Inbox>(statement).await?.into_iter().map(|i| i.inbox));
    }
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// Whether an actor of this instance follows (accepted) one of `following_ids`, or, with
/// `instance_host`, whether our instance actor follows the instance actor of that host: what
/// makes a remote server's videos welcome here. At most 90 ids are looked at (D1 binds 100
/// parameters; callers name an actor, its channel and little more).
pub async fn followed_here(
    sql: &dyn Sql,
    following_ids: &[i64],
    instance_host: Option<&str>,
) -> Result<bool, DomainError> {
    let ids = &following_ids[..following_ids.len().min(90)];
    let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("?{i}")).collect();
    let by_id = if ids.is_empty() {
        "0".to_owned()
    } else {
        format!("f.following_id IN ({})", placeholders.join(", "))
    };
    let mut statement = Statement::new(format!(
        "SELECT 1 AS x FROM actor_follows f JOIN actors l ON l.id = f.follower_id \
         JOIN actors r ON r.id = f.following_id \
         WHERE f.state = 'accepted' AND l.host IS NULL AND ({by_id} \
         OR (?1 IS NOT NULL AND l.kind = 'Application' AND r.kind = 'Application' AND r.host = ?1)) LIMIT 1"
    ))
    .bind(instance_host);
    for id in ids {
        statement = statement.bind(*id);
    }
    Ok(!sql.query(statement).await?.is_empty())
}

/// How many accepted followers `following_id` has.
pub async fn count_followers(sql: &dyn Sql, following_id: i64) -> Result<i64, DomainError> {
    count(sql, "following_id", following_id).await
}

/// How many actors `follower_id` follows (accepted).
pub async fn count_following(sql: &dyn Sql, follower_id: i64) -> Result<i64, DomainError> {
    count(sql, "follower_id", follower_id).await
}

async fn count(sql: &dyn Sql, column: &str, id: i64) -> Result<i64, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = sql
        .fetch_optional(
            Statement::new(format!(
                "SELECT COUNT(*) AS n FROM actor_follows WHERE {column} = ?1 AND state = 'accepted'"
            ))
            .bind(id),
        )
        .await?;
    Ok(row.map_or(0, |c| c.n))
}

/// The follows `follower_id` made (any state), newest first, a page of them; and their total.
pub async fn list_following(
    sql: &dyn Sql,
    follower_id: i64,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Follow>), DomainError> {
    list(sql, "follower_id", follower_id, start, count).await
}

/// The follows of `following_id` (any state), newest first, a page of them; and their total.
pub async fn list_followers(
    sql: &dyn Sql,
    following_id: i64,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Follow>), DomainError> {
    list(sql, "following_id", following_id, start, count).await
}

async fn list(
    sql: &dyn Sql,
    column: &str,
    id: i64,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Follow>), DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let total: Option<Count> = sql
        .fetch_optional(
            Statement::new(format!("SELECT COUNT(*) AS n FROM actor_follows WHERE {column} = ?1")).bind(id),
        )
        .await?;
    let rows = sql
        .fetch_all(
            Statement::new(format!(
                "{SELECT} WHERE {column} = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
            ))
            .bind(id)
            .bind(count)
            .bind(start),
        )
        .await?;
    Ok((total.map_or(0, |c| c.n), rows))
}

/// One side of a follow as collections list it: a remote actor's id, or a local actor's kind and
/// name (its id is the instance's origin and path).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Party {
    /// The remote actor's id; `None` for a local actor.
    pub ap_id: Option<String>,
    /// Its kind.
    pub kind: crate::actors::ActorKind,
    /// Its username.
    pub username: String,
}

/// A page of the accepted followers of `id` (`followers = true`) or of whom `id` follows,
/// oldest first, as collections page them.
pub async fn parties(
    sql: &dyn Sql,
    id: i64,
    followers: bool,
    start: i64,
    count: i64,
) -> Result<Vec<Party>, DomainError> {
    let (mine, other) =
        if followers { ("following_id", "follower_id") } else { ("follower_id", "following_id") };
    Ok(sql
        .fetch_all(
            Statement::new(format!(
                "SELECT a.ap_id, a.kind, a.username FROM actor_follows f JOIN actors a ON a.id = f.{other} \
                 WHERE f.{mine} = ?1 AND f.state = 'accepted' ORDER BY f.id LIMIT ?2 OFFSET ?3"
            ))
            .bind(id)
            .bind(count)
            .bind(start),
        )
        .await?)
}
