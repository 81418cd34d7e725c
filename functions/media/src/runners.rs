//! Transcoding runners, as in PeerTube's remote-runner model: an administrator hands out
//! registration tokens (`ptrrt-…`); a runner trades one for its runner token (`ptrt-…`), stored
//! only as a hash, and names itself with it on every call.

use edgetube_ports::{Ports, Sql, Statement};
use serde::{Deserialize, Serialize};

use edgetube_domain::oauth::token_hash;
use edgetube_domain::{DomainError, InstanceConfig};
use edgetube_ports::encoding::hex;

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
    let hex = hex(bytes);
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

/// How stale a runner's recorded last contact may get before a call refreshes it (ms).
///
/// Runners poll every few seconds and heartbeat their job; writing `last_contact` on each call
/// would make every poll a D1 write (billed and rate-limited) for a value administrators read
/// to the minute. Once a minute is precise enough and bounds the writes per runner.
pub const LAST_CONTACT_PRECISION_MS: i64 = 60_000;

/// The runner a runner token names. Only a known runner costs a write, and at most one per
/// [`LAST_CONTACT_PRECISION_MS`]: an unknown (guessed) token is one read, nothing more.
pub async fn authenticate(ports: &Ports<'_>, runner_token: &str) -> Result<Option<Runner>, DomainError> {
    let found: Option<Runner> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT id, name, description, last_contact, created_at FROM runners WHERE token_hash = ?1",
            )
            .bind(token_hash(runner_token)),
        )
        .await?;
    let Some(mut runner) = found else { return Ok(None) };
    let now = ports.clock.now_millis();
    if now - runner.last_contact >= LAST_CONTACT_PRECISION_MS {
        // Conditional, so that concurrent calls of one runner write once between them.
        ports
            .sql
            .execute(
                Statement::new("UPDATE runners SET last_contact = ?1 WHERE id = ?2 AND last_contact < ?3")
                    .bind(now)
                    .bind(runner.id)
                    .bind(now - LAST_CONTACT_PRECISION_MS + 1),
            )
            .await?;
        runner.last_contact = now;
    }
    Ok(Some(runner))
}

/// Every runner, newest first.
pub async fn list(sql: &dyn Sql) -> Result<Vec<Runner>, DomainError> {
    Ok(sql
        .fetch_all(Statement::new(
            "SELECT id, name, description, last_contact, created_at FROM runners ORDER BY id DESC",
        ))
        .await?)
}

/// Removes a runner; its processing jobs stop receiving heartbeats, so other runners take them
/// over once they are stale (and the housekeeping gives them back). `false` if unknown.
pub async fn remove(sql: &dyn Sql, id: i64) -> Result<bool, DomainError> {
    Ok(sql.execute(Statement::new("DELETE FROM runners WHERE id = ?1").bind(id)).await? == 1)
}
