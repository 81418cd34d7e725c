//! Keys of local actors deleted while their `Delete` is being delivered: other servers check
//! that activity's signature against the actor's key, so the sealed key outlives the actor row
//! (whose deletion takes its videos, comments and follows with it) for as long as deliveries are
//! retried, then [`purge`] removes it.

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::actors::SealedKeys;
use crate::DomainError;

/// How long a departed actor's key is kept: longer than the delivery retry schedule (a day).
pub const KEEP_MS: i64 = 3 * 24 * 3600 * 1000;

/// Copies the keys of local actor `actor_id` aside; the departed row's id, `None` when there is
/// no such local actor.
pub async fn keep(sql: &dyn Sql, actor_id: i64, now: i64) -> Result<Option<i64>, DomainError> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let row: Option<Id> = sql
        .fetch_optional(
            Statement::new(
                "INSERT INTO departed_actors (kind, username, private_key_sealed, departed_at) \
                 SELECT kind, username, private_key_sealed, ?2 FROM actors WHERE id = ?1 AND host IS NULL \
                 RETURNING id",
            )
            .bind(actor_id)
            .bind(now),
        )
        .await?;
    Ok(row.map(|r| r.id))
}

/// The keys of departed actor `id` (no ed25519 key: its Delete already carries its proof).
pub async fn sealed_keys(sql: &dyn Sql, id: i64) -> Result<Option<SealedKeys>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(
                "SELECT username, kind, private_key_sealed, NULL AS ed25519_private_sealed, \
                 NULL AS ed25519_public_multibase FROM departed_actors WHERE id = ?1",
            )
            .bind(id),
        )
        .await?)
}

/// Forgets the keys of actors departed more than [`KEEP_MS`] before `now`, with their Deletes'
/// outbox rows; how many.
pub async fn purge(sql: &dyn Sql, now: i64) -> Result<u64, DomainError> {
    Ok(sql
        .execute(Statement::new("DELETE FROM departed_actors WHERE departed_at < ?1").bind(now - KEEP_MS))
        .await?)
}
