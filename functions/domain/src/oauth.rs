//! OAuth 2 clients and bearer tokens, PeerTube's way: a password grant and a refresh grant for
//! one local public client; tokens are 40 hex characters like PeerTube's, stored only as
//! SHA-256 hashes.

use edgetube_ports::{Crypto, Ports, Sql, Statement};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::DomainError;
use edgetube_ports::encoding::hex;

/// Access tokens live one day (PeerTube's `oauth2.token_lifetime.access_token`).
pub const ACCESS_TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;
/// Refresh tokens live two weeks.
pub const REFRESH_TOKEN_LIFETIME_MS: i64 = 14 * 24 * 3600 * 1000;

/// The instance's public OAuth client.
#[derive(Debug, Clone, Deserialize)]
pub struct Client {
    /// Row id.
    pub id: i64,
    /// Public client id (32 characters).
    pub client_id: String,
    /// Public client secret (32 characters).
    pub client_secret: String,
}

/// A freshly issued token pair, in clear: shown once to the client, never stored.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The bearer token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Access token expiry (ms).
    pub access_expires_at: i64,
    /// Refresh token expiry (ms).
    pub refresh_expires_at: i64,
}

/// What a valid bearer token stands for.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenOwner {
    /// The token row, so the token can be revoked.
    pub token_id: i64,
    /// The user it was issued to.
    pub user_id: i64,
    /// Access token expiry (ms).
    pub access_expires_at: i64,
}

/// Hex SHA-256 of a token, the only form stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `len` random alphanumeric characters (client ids and secrets).
fn random_alphanumeric(crypto: &dyn Crypto, len: usize) -> Result<String, DomainError> {
    // 62 does not divide 256: drop bytes at or above 248 so every character is equally likely.
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in crypto.random_bytes(len * 2)? {
            if byte < 248 && out.len() < len {
                out.push(char::from(ALPHANUMERIC[usize::from(byte) % 62]));
            }
        }
    }
    Ok(out)
}

/// `INSERT OR IGNORE` of the local client with fresh credentials (part of bootstrap).
pub fn insert_local_client_if_absent(crypto: &dyn Crypto, now: i64) -> Result<Statement, DomainError> {
    Ok(Statement::new(
        "INSERT OR IGNORE INTO oauth_clients (name, client_id, client_secret, created_at) VALUES ('local', ?1, ?2, ?3)",
    )
    .bind(random_alphanumeric(crypto, 32)?)
    .bind(random_alphanumeric(crypto, 32)?)
    .bind(now))
}

/// The local client; `Ok(None)` before bootstrap.
pub async fn local_client(sql: &dyn Sql) -> Result<Option<Client>, DomainError> {
    Ok(sql
        .fetch_optional(Statement::new(
            "SELECT id, client_id, client_secret FROM oauth_clients WHERE name = 'local'",
        ))
        .await?)
}

/// Issues a token pair to `user_id` for `client`.
pub async fn issue(ports: &Ports<'_>, client: &Client, user_id: i64) -> Result<IssuedTokens, DomainError> {
    let now = ports.clock.now_millis();
    let tokens = IssuedTokens {
        access_token: hex(&ports.crypto.random_bytes(20)?),
        refresh_token: hex(&ports.crypto.random_bytes(20)?),
        access_expires_at: now + ACCESS_TOKEN_LIFETIME_MS,
        refresh_expires_at: now + REFRESH_TOKEN_LIFETIME_MS,
    };
    ports
        .sql
        .batch(vec![
            Statement::new(
                "INSERT INTO oauth_tokens (access_token_hash, refresh_token_hash, access_expires_at, \
                 refresh_expires_at, user_id, client_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(token_hash(&tokens.access_token))
            .bind(token_hash(&tokens.refresh_token))
            .bind(tokens.access_expires_at)
            .bind(tokens.refresh_expires_at)
            .bind(user_id)
            .bind(client.id)
            .bind(now),
            Statement::new("UPDATE users SET last_login_at = ?1 WHERE id = ?2").bind(now).bind(user_id),
        ])
        .await?;
    Ok(tokens)
}

/// Outcome of presenting a bearer token.
#[derive(Debug, Clone)]
pub enum BearerCheck {
    /// Valid: the owner.
    Valid(TokenOwner),
    /// Known but past its expiry.
    Expired,
    /// Unknown or revoked.
    Invalid,
}

/// Looks up the owner of an access token.
pub async fn check_access_token(ports: &Ports<'_>, token: &str) -> Result<BearerCheck, DomainError> {
    let owner: Option<TokenOwner> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT id AS token_id, user_id, access_expires_at FROM oauth_tokens WHERE access_token_hash = ?1",
            )
            .bind(token_hash(token)),
        )
        .await?;
    Ok(match owner {
        None => BearerCheck::Invalid,
        Some(owner) if owner.access_expires_at <= ports.clock.now_millis() => BearerCheck::Expired,
        Some(owner) => BearerCheck::Valid(owner),
    })
}

/// Exchanges a refresh token for a new pair, revoking the old one. `Ok(None)` when the refresh
/// token is unknown, expired or issued to another client.
pub async fn refresh(
    ports: &Ports<'_>,
    client: &Client,
    refresh_token: &str,
) -> Result<Option<IssuedTokens>, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        user_id: i64,
        client_id: i64,
        refresh_expires_at: i64,
    }
    let row: Option<Row> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "SELECT id, user_id, client_id, refresh_expires_at FROM oauth_tokens WHERE refresh_token_hash = ?1",
            )
            .bind(token_hash(refresh_token)),
        )
        .await?;
    let Some(row) =
        row.filter(|r| r.client_id == client.id && r.refresh_expires_at > ports.clock.now_millis())
    else {
        return Ok(None);
    };
    // Deleting first makes a refresh token single-use even when two refreshes race.
    if ports.sql.execute(Statement::new("DELETE FROM oauth_tokens WHERE id = ?1").bind(row.id)).await? == 0 {
        return Ok(None);
    }
    Ok(Some(issue(ports, client, row.user_id).await?))
}

/// Revokes one token (logout).
pub async fn revoke(sql: &dyn Sql, token_id: i64) -> Result<(), DomainError> {
    sql.execute(Statement::new("DELETE FROM oauth_tokens WHERE id = ?1").bind(token_id)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgetube_native::NativeCrypto;

    #[test]
    fn client_credentials_are_alphanumeric_and_random() {
        let a = random_alphanumeric(&NativeCrypto, 32).unwrap();
        let b = random_alphanumeric(&NativeCrypto, 32).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
