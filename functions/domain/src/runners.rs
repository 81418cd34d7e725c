//! Transcoding runners, as in PeerTube's remote-runner model: an administrator hands out
//! registration tokens (`ptrrt-…`); a runner trades one for its runner token (`ptrt-…`), stored
//! only as a hash, and names itself with it on every call.

use edgetube_ports::{Ports, Sql, Statement};
use serde::{Deserialize, Serialize};

use crate::oauth::token_hash;
use crate::{DomainError, InstanceConfig};

/// A registered runner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Runner {
    /// Row id.
    pub id: i64,
    /// The name it registered with.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Last call it made (ms).
    pub last_contact: i64,
    /// Registration (ms).
    pub created_at: i64,
}

/// A registration token as administrators list it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RegistrationToken {
    /// Row id.
    pub id: i64,
    /// `ptrrt-<uuid>`.
    pub token: String,
    /// Creation (ms).
    pub created_at: i64,
    /// Runners registered with it.
    pub registered_runners_count: i64,
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// A fresh `<prefix><uuid>` token.
pub(crate) fn new_token(ports: &Ports<'_>, prefix: &str) -> Result<String, DomainError> {
    Ok(format!("{prefix}{}", uuid_text(&ports.crypto.random_bytes(16)?)))
}

/// Creates a registration token.
pub async fn generate_registration_token(ports: &Ports<'_>) -> Result<String, DomainError> {
    let token = new_token(ports, "ptrrt-")?;
    ports
        .sql
        .execute(
            Statement::new("INSERT INTO runner_registration_tokens (token, created_at) VALUES (?1, ?2)")
                .bind(token.as_str())
                .bind(ports.clock.now_millis()),
        )
        .await?;
    Ok(token)
}

/// Every registration token, newest first.
pub async fn registration_tokens(sql: &dyn Sql) -> Result<Vec<RegistrationToken>, DomainError> {
    Ok(sql
        .fetch_all(Statement::new(
            "SELECT t.id, t.token, t.created_at, \
             (SELECT COUNT(*) FROM runners r WHERE r.registration_token_id = t.id) AS registered_runners_count \
             FROM runner_registration_tokens t ORDER BY t.id DESC",
        ))
        .await?)
}

/// Deletes a registration token and the runners registered with it; `false` if unknown.
pub async fn delete_registration_token(sql: &dyn Sql, id: i64) -> Result<bool, DomainError> {
    sql.execute(Statement::new("DELETE FROM runners WHERE registration_token_id = ?1").bind(id)).await?;
    Ok(sql.execute(Statement::new("DELETE FROM runner_registration_tokens WHERE id = ?1").bind(id)).await?
        == 1)
}

/// Registers a runner; `Ok(None)` when the registration token is unknown.
pub async fn register(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    registration_token: &str,
    name: &str,
    description: Option<&str>,
) -> Result<Option<(i64, String)>, DomainError> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let stored: Option<Id> = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT id FROM runner_registration_tokens WHERE token = ?1")
                .bind(registration_token),
        )
        .await?;
    let configured = config
        .media
        .runner_registration_token
        .as_deref()
        .is_some_and(|t| token_hash(t) == token_hash(registration_token));
    if stored.is_none() && !configured {
        return Ok(None);
    }
    let runner_token = new_token(ports, "ptrt-")?;
    let now = ports.clock.now_millis();
    ports
        .sql
        .execute(
            Statement::new(
                "INSERT INTO runners (name, description, token_hash, registration_token_id, last_contact, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )
            .bind(name)
            .bind(description)
            .bind(token_hash(&runner_token))
            .bind(stored.map(|s| s.id))
            .bind(now),
        )
        .await?;
    let runner = authenticate(ports, &runner_token)
        .await?
        .ok_or_else(|| DomainError::Inconsistent("a registered runner vanished".into()))?;
    Ok(Some((runner.id, runner_token)))
}

/// The runner a runner token names, whose last contact becomes now.
pub async fn authenticate(ports: &Ports<'_>, runner_token: &str) -> Result<Option<Runner>, DomainError> {
    let hash = token_hash(runner_token);
    ports
        .sql
        .execute(
            Statement::new("UPDATE runners SET last_contact = ?1 WHERE token_hash = ?2")
                .bind(ports.clock.now_millis())
                .bind(hash.as_str()),
        )
        .await?;
    Ok(ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT id, name, description, last_contact, created_at FROM runners WHERE token_hash = ?1",
            )
            .bind(hash),
        )
        .await?)
}

/// Every runner, newest first.
pub async fn list(sql: &dyn Sql) -> Result<Vec<Runner>, DomainError> {
    Ok(sql
        .fetch_all(Statement::new(
            "SELECT id, name, description, last_contact, created_at FROM runners ORDER BY id DESC",
        ))
        .await?)
}

/// Removes a runner; its processing jobs go back to pending at the next request (they stop
/// receiving heartbeats). `false` if unknown.
pub async fn remove(sql: &dyn Sql, id: i64) -> Result<bool, DomainError> {
    Ok(sql.execute(Statement::new("DELETE FROM runners WHERE id = ?1").bind(id)).await? == 1)
}
