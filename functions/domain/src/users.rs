//! Users: the people who log in, each with one `Person` account.

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::DomainError;

/// PeerTube's `UserRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including instance configuration.
    Administrator = 0,
    /// Moderation.
    Moderator = 1,
    /// Uploads and comments.
    User = 2,
}

/// A stored user, without the password hash.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name, equal to the account's username.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// `Role` as its PeerTube number.
    pub role: i64,
    /// The account actor's id.
    pub account_id: i64,
}

/// How many users exist.
pub async fn count(sql: &dyn Sql) -> Result<i64, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let rows: Vec<Count> = sql.fetch_all(Statement::new("SELECT COUNT(*) AS n FROM users")).await?;
    Ok(rows.first().map_or(0, |c| c.n))
}

/// The user named `username` (case-insensitive).
pub async fn find(sql: &dyn Sql, username: &str) -> Result<Option<User>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new("SELECT id, username, email, role, account_id FROM users WHERE username = ?1")
                .bind(username),
        )
        .await?)
}

/// `INSERT OR IGNORE` of a user whose account actor `username` already exists or is inserted
/// earlier in the same batch.
pub fn insert_if_absent(username: &str, email: &str, password_hash: &str, role: Role, now: i64) -> Statement {
    Statement::new(
        "INSERT OR IGNORE INTO users (username, email, password_hash, role, account_id, created_at) \
         SELECT ?1, ?2, ?3, ?4, id, ?5 FROM actors WHERE host IS NULL AND username = ?1 AND kind = 'Person'",
    )
    .bind(username)
    .bind(email)
    .bind(password_hash)
    .bind(role as i64)
    .bind(now)
}
