//! Feed tokens: PeerTube's `feedToken`, one per user, the secret of the user's subscriptions
//! feed URL. A version 4 UUID as PeerTube makes them; made on first read, replaced on renewal.

use edgetube_ports::{Ports, Sql, Statement};
use serde::Deserialize;

use crate::videos::short_uuid;
use crate::DomainError;

#[derive(Deserialize)]
struct Row {
    token: String,
}

async fn stored(sql: &dyn Sql, user_id: i64) -> Result<Option<String>, DomainError> {
    let row: Option<Row> = sql
        .fetch_optional(Statement::new("SELECT token FROM user_feed_tokens WHERE user_id = ?1").bind(user_id))
        .await?;
    Ok(row.map(|r| r.token))
}

/// The user's feed token, made now if the user has none yet.
pub async fn get_or_create(ports: &Ports<'_>, user_id: i64) -> Result<String, DomainError> {
    if let Some(token) = stored(ports.sql, user_id).await? {
        return Ok(token);
    }
    let token = short_uuid::new_v4(ports.crypto)?;
    // Two first reads at once: the first insert wins and both answer the stored token.
    ports
        .sql
        .execute(
            Statement::new(
                "INSERT INTO user_feed_tokens (user_id, token, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(token.clone())
            .bind(ports.clock.now_millis()),
        )
        .await?;
    Ok(stored(ports.sql, user_id).await?.unwrap_or(token))
}

/// Replaces the user's feed token with a new one, which it returns; the old one stops working.
pub async fn renew(ports: &Ports<'_>, user_id: i64) -> Result<String, DomainError> {
    let token = short_uuid::new_v4(ports.crypto)?;
    ports
        .sql
        .execute(
            Statement::new(
                "INSERT INTO user_feed_tokens (user_id, token, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (user_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at",
            )
            .bind(user_id)
            .bind(token.clone())
            .bind(ports.clock.now_millis()),
        )
        .await?;
    Ok(token)
}

/// Whether `token` is the feed token of `user_id`. A user who never read a token has none, so
/// nothing matches.
pub async fn matches(sql: &dyn Sql, user_id: i64, token: &str) -> Result<bool, DomainError> {
    Ok(stored(sql, user_id).await?.is_some_and(|stored| stored == token))
}
