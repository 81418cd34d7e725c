//! Announces (shares) of a video: the ones our channel and instance actor send with a new
//! video, and remote actors' Announces of our videos. Kept so the video's `shares` collection
//! lists them, as PeerTube's does; each is one row per Announce id.

use edgetube_ports::{Sql, Statement};

use crate::DomainError;

/// Records that `actor_id` announced `video_id` with the activity `ap_id` (again: nothing).
pub async fn record(
    sql: &dyn Sql,
    video_id: i64,
    actor_id: i64,
    ap_id: &str,
    now: i64,
) -> Result<(), DomainError> {
    sql.execute(
        Statement::new(
            "INSERT INTO video_shares (video_id, actor_id, ap_id, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (ap_id) DO NOTHING",
        )
        .bind(video_id)
        .bind(actor_id)
        .bind(ap_id)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// Forgets the Announce `ap_id`, if `actor_id` made it (an Undo); whether there was one.
pub async fn remove(sql: &dyn Sql, ap_id: &str, actor_id: i64) -> Result<bool, DomainError> {
    let removed = sql
        .execute(
            Statement::new("DELETE FROM video_shares WHERE ap_id = ?1 AND actor_id = ?2")
                .bind(ap_id)
                .bind(actor_id),
        )
        .await?;
    Ok(removed > 0)
}
