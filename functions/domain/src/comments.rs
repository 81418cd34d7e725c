//! Video comments: threads (a first comment and every reply below it) and soft deletion.
//!
//! A thread's first comment has `thread_id` NULL; replies carry their thread's first comment id,
//! so one indexed query loads a whole thread. A deleted comment that has replies stays as a
//! tombstone (`isDeleted`, empty text) to keep the tree, as PeerTube does.

use edgetube_ports::{Ports, Sql, Statement};
use serde::Deserialize;

use crate::{blocks, DomainError};

/// A stored comment.
#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    /// Row id.
    pub id: i64,
    /// The video.
    pub video_id: i64,
    /// The author's account actor id.
    pub account_id: i64,
    /// The thread's first comment (itself for a first comment).
    pub thread: i64,
    /// The comment answered, if any.
    pub in_reply_to_id: Option<i64>,
    /// Markdown text (empty once deleted).
    pub text: String,
    /// Waiting for the video owner's approval.
    pub held_for_review: i64,
    /// Creation (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// Deletion (ms).
    pub deleted_at: Option<i64>,
    /// Replies in the thread below a first comment (0 for replies).
    pub total_replies: i64,
    /// Of those, replies written by the video's owner.
    pub total_replies_from_video_author: i64,
    /// A remote comment's ActivityPub id; `None` for ours (theirs is derived from the video).
    pub ap_id: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.video_id, c.account_id, COALESCE(c.thread_id, c.id) AS thread, c.in_reply_to_id, \
     CASE WHEN c.deleted_at IS NULL THEN c.text ELSE '' END AS text, c.held_for_review, c.created_at, c.updated_at, \
     c.deleted_at, c.ap_id, \
     (SELECT COUNT(*) FROM video_comments r WHERE r.thread_id = c.id AND r.deleted_at IS NULL) AS total_replies, \
     (SELECT COUNT(*) FROM video_comments r WHERE r.thread_id = c.id AND r.deleted_at IS NULL AND r.account_id = \
        (SELECT ch.owner_id FROM videos v JOIN actors ch ON ch.id = v.channel_id WHERE v.id = c.video_id)) \
       AS total_replies_from_video_author \
     FROM video_comments c";

/// Posts a first comment on `video_id`.
pub async fn create_thread(
    ports: &Ports<'_>,
    video_id: i64,
    account_id: i64,
    text: &str,
    held_for_review: bool,
) -> Result<Comment, DomainError> {
    insert(ports, video_id, account_id, None, text, held_for_review).await
}

/// Replies to `parent`.
pub async fn reply(
    ports: &Ports<'_>,
    parent: &Comment,
    account_id: i64,
    text: &str,
    held: bool,
) -> Result<Comment, DomainError> {
    insert(ports, parent.video_id, account_id, Some(parent), text, held).await
}

async fn insert(
    ports: &Ports<'_>,
    video_id: i64,
    account_id: i64,
    parent: Option<&Comment>,
    text: &str,
    held: bool,
) -> Result<Comment, DomainError> {
    let now = ports.clock.now_millis();
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    // RETURNING gives the new id in one round trip on D1 and SQLite alike.
    let row: Option<Id> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "INSERT INTO video_comments (video_id, account_id, thread_id, in_reply_to_id, text, held_for_review, \
                 created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
            )
            .bind(video_id)
            .bind(account_id)
            .bind(parent.map(|p| p.thread))
            .bind(parent.map(|p| p.id))
            .bind(text)
            .bind(held)
            .bind(now),
        )
        .await?;
    let id = row.ok_or_else(|| DomainError::Inconsistent("INSERT ... RETURNING returned no row".into()))?.id;
    find(ports.sql, video_id, id)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("comment {id} vanished")))
}

/// The comment `id` of `video_id`, deleted or not.
pub async fn find(sql: &dyn Sql, video_id: i64, id: i64) -> Result<Option<Comment>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!("{SELECT} WHERE c.video_id = ?1 AND c.id = ?2")).bind(video_id).bind(id),
        )
        .await?)
}

/// Who may see comments held for review besides their author: the video's owner account.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// The viewer's account, if logged in.
    pub account_id: Option<i64>,
    /// Whether the viewer owns the video or moderates (sees every held comment).
    pub sees_all: bool,
}

/// The visibility rule, with the viewer bound as `?2` (sees all, 0/1) and `?3` (account id, -1
/// for nobody): held comments only for those who may see them, and nothing by an author the
/// instance or the viewer blocked.
fn visible() -> String {
    format!(
        "(c.held_for_review = 0 OR ?2 = 1 OR c.account_id = ?3) AND NOT {}",
        blocks::hidden("c.account_id", "?3")
    )
}

fn for_viewer(sql: String, video_id: i64, viewer: Viewer) -> Statement {
    Statement::new(sql).bind(video_id).bind(viewer.sees_all).bind(viewer.account_id.unwrap_or(-1))
}

/// A page of threads of `video_id`, ordered by `order_by` (a trusted expression), and the totals
/// PeerTube reports: threads, and comments that are not deleted.
pub async fn threads(
    sql: &dyn Sql,
    video_id: i64,
    viewer: Viewer,
    order_by: &str,
    start: i64,
    count: i64,
) -> Result<(i64, i64, Vec<Comment>), DomainError> {
    let visible = visible();
    let page: Vec<Comment> = sql
        .fetch_all(
            for_viewer(
                format!(
                    "{SELECT} WHERE c.video_id = ?1 AND c.thread_id IS NULL AND {visible} \
                     ORDER BY {order_by}, c.id LIMIT ?4 OFFSET ?5"
                ),
                video_id,
                viewer,
            )
            .bind(count)
            .bind(start),
        )
        .await?;
    #[derive(Deserialize)]
    struct Totals {
        threads: i64,
        not_deleted: i64,
    }
    let totals: Option<Totals> = sql
        .fetch_optional(for_viewer(
            format!(
                "SELECT COALESCE(SUM(c.thread_id IS NULL), 0) AS threads, \
                 COALESCE(SUM(c.deleted_at IS NULL), 0) AS not_deleted \
                 FROM video_comments c WHERE c.video_id = ?1 AND {visible}"
            ),
            video_id,
            viewer,
        ))
        .await?;
    let totals = totals.unwrap_or(Totals { threads: 0, not_deleted: 0 });
    Ok((totals.threads, totals.not_deleted, page))
}

/// Every comment of the thread `thread_id`, first comment first, in creation order.
pub async fn thread(
    sql: &dyn Sql,
    video_id: i64,
    thread_id: i64,
    viewer: Viewer,
) -> Result<Vec<Comment>, DomainError> {
    let visible = visible();
    Ok(sql
        .fetch_all(
            for_viewer(
                format!(
                    "{SELECT} WHERE c.video_id = ?1 AND (c.id = ?4 OR c.thread_id = ?4) AND {visible} \
                     ORDER BY c.created_at, c.id"
                ),
                video_id,
                viewer,
            )
            .bind(thread_id),
        )
        .await?)
}

/// Deletes a comment: a tombstone when it has replies, gone otherwise.
pub async fn delete(ports: &Ports<'_>, comment: &Comment) -> Result<(), DomainError> {
    let now = ports.clock.now_millis();
    ports
        .sql
        .batch(vec![
            Statement::new(
                "DELETE FROM video_comments WHERE id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM video_comments r WHERE r.in_reply_to_id = ?1)",
            )
            .bind(comment.id),
            Statement::new(
                "UPDATE video_comments SET deleted_at = ?2, text = '', updated_at = ?2 WHERE id = ?1",
            )
            .bind(comment.id)
            .bind(now),
        ])
        .await?;
    Ok(())
}

/// A comment received from another server, to store.
pub struct RemoteComment<'a> {
    /// The video it is on.
    pub video_id: i64,
    /// Its author (a remote actor row).
    pub account_id: i64,
    /// The comment it answers, if any (else it starts a thread).
    pub parent: Option<&'a Comment>,
    /// Its text (markdown, or plain text made from HTML).
    pub text: &'a str,
    /// Its ActivityPub id.
    pub ap_id: &'a str,
    /// When it was published (ms).
    pub published: i64,
}

/// Stores a remote comment, or updates its text when its id is known (an `Update{Note}` or the
/// same `Create` delivered twice). Returns its row.
pub async fn upsert_remote(ports: &Ports<'_>, comment: &RemoteComment<'_>) -> Result<Comment, DomainError> {
    let now = ports.clock.now_millis();
    ports
        .sql
        .execute(
            Statement::new(
                "INSERT INTO video_comments (video_id, account_id, thread_id, in_reply_to_id, text, held_for_review, \
                 created_at, updated_at, ap_id) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8) \
                 ON CONFLICT (ap_id) WHERE ap_id IS NOT NULL DO UPDATE SET text = excluded.text, \
                 updated_at = excluded.updated_at WHERE video_comments.deleted_at IS NULL",
            )
            .bind(comment.video_id)
            .bind(comment.account_id)
            .bind(comment.parent.map(|p| p.thread))
            .bind(comment.parent.map(|p| p.id))
            .bind(comment.text)
            .bind(comment.published)
            .bind(now)
            .bind(comment.ap_id),
        )
        .await?;
    find_by_ap_id(ports.sql, comment.ap_id)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("comment {} vanished", comment.ap_id)))
}

/// The comment whose ActivityPub id is `ap_id` (remote comments only).
pub async fn find_by_ap_id(sql: &dyn Sql, ap_id: &str) -> Result<Option<Comment>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT} WHERE c.ap_id = ?1")).bind(ap_id)).await?)
}

/// The comment `id`, on any video.
pub async fn find_any(sql: &dyn Sql, id: i64) -> Result<Option<Comment>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT} WHERE c.id = ?1")).bind(id)).await?)
}

/// How many local comments exist (NodeInfo's `localComments`).
pub async fn count_local(sql: &dyn Sql) -> Result<i64, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = sql
        .fetch_optional(Statement::new(
            "SELECT COUNT(*) AS n FROM video_comments c JOIN actors a ON a.id = c.account_id \
             WHERE a.host IS NULL AND c.deleted_at IS NULL",
        ))
        .await?;
    Ok(row.map_or(0, |c| c.n))
}
