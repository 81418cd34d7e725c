//! The instance's blocklists as federation honours them: nothing is accepted from, delivered to
//! or listed of a blocked server, and a blocked account's activities are dropped.

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::FederationError;

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// Whether the instance blocks `host` (`name` or `name:port`; case-insensitive).
pub async fn server_blocked(sql: &dyn Sql, host: &str) -> Result<bool, FederationError> {
    let bare = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let row: Option<Count> = sql
        .fetch_optional(
            Statement::new(
                "SELECT COUNT(*) AS n FROM server_blocks WHERE by_account_id IS NULL AND host IN (?1, ?2)",
            )
            .bind(host)
            .bind(bare),
        )
        .await?;
    Ok(row.is_some_and(|c| c.n > 0))
}

/// Whether the instance blocks the account of row `actor_id`.
pub async fn account_blocked(sql: &dyn Sql, actor_id: i64) -> Result<bool, FederationError> {
    let row: Option<Count> = sql
        .fetch_optional(
            Statement::new(
                "SELECT COUNT(*) AS n FROM account_blocks WHERE by_account_id IS NULL AND target_id = ?1",
            )
            .bind(actor_id),
        )
        .await?;
    Ok(row.is_some_and(|c| c.n > 0))
}
