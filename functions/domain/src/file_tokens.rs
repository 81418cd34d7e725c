//! Video file tokens: an 8-hour grant to fetch one video's media files without a bearer token,
//! as PeerTube's players pass it in `?videoFileToken=`. Stored hashed, like bearer tokens.

use edgetube_ports::{Ports, Statement};
use serde::Deserialize;

use crate::oauth::token_hash;
use crate::DomainError;
use edgetube_ports::encoding::hex;

/// PeerTube's lifetime for video file tokens.
pub const LIFETIME_MS: i64 = 8 * 3600 * 1000;

/// Issues a token for `video_id`; returns it and its expiry (ms).
pub async fn issue(ports: &Ports<'_>, video_id: i64) -> Result<(String, i64), DomainError> {
    let token = hex(&ports.crypto.random_bytes(16)?);
    let now = ports.clock.now_millis();
    let expires_at = now + LIFETIME_MS;
    ports
        .sql
        .batch(vec![
            // Expired grants are dropped whenever a new one is issued: the table stays small.
            Statement::new("DELETE FROM video_file_tokens WHERE expires_at <= ?1").bind(now),
            Statement::new(
                "INSERT INTO video_file_tokens (token_hash, video_id, expires_at) VALUES (?1, ?2, ?3)",
            )
            .bind(token_hash(&token))
            .bind(video_id)
            .bind(expires_at),
        ])
        .await?;
    Ok((token, expires_at))
}

/// Whether `token` grants access to `video_id` now.
pub async fn grants(ports: &Ports<'_>, token: &str, video_id: i64) -> Result<bool, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        expires_at: i64,
    }
    let row: Option<Row> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT expires_at FROM video_file_tokens WHERE token_hash = ?1 AND video_id = ?2",
            )
            .bind(token_hash(token))
            .bind(video_id),
        )
        .await?;
    Ok(row.is_some_and(|r| r.expires_at > ports.clock.now_millis()))
}
