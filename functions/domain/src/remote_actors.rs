//! Actors of other servers, as this instance keeps them: enough to show them (name, avatar),
//! verify what they sign (their public keys) and deliver to them (their inboxes).
//!
//! Rows share the `actors` table with local actors (a comment or a rating names either), told
//! apart by `host`; a remote row has its ActivityPub id in `ap_id` and no private key.

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::actors::ActorKind;
use crate::DomainError;

/// A remote actor as stored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RemoteActor {
    /// Row id.
    pub id: i64,
    /// Person, Group or Application (other ActivityStreams actor types are kept as Person).
    pub kind: ActorKind,
    /// `preferredUsername`.
    pub username: String,
    /// The host of its id, with the port when there is one (`peertube.example:8443`).
    pub host: String,
    /// `name`, or the username when it has none.
    pub display_name: String,
    /// `summary`.
    pub summary: Option<String>,
    /// The actor's id.
    pub ap_id: String,
    /// Its own inbox.
    pub inbox_url: String,
    /// Its server's shared inbox, when it has one: deliveries go there, once per server.
    pub shared_inbox_url: Option<String>,
    /// Its followers collection.
    pub followers_url: Option<String>,
    /// SPKI PEM of its RSA key.
    pub public_key_pem: String,
    /// Its FEP-521a ed25519 key, `z6Mk...`.
    pub ed25519_public_multibase: Option<String>,
    /// Its largest avatar.
    pub avatar_url: Option<String>,
    /// For a channel (`Group`), the row of the account it names in `attributedTo`, if known.
    pub owner_id: Option<i64>,
    /// When its document was last read (ms).
    pub fetched_at: i64,
}

impl RemoteActor {
    /// Where deliveries for it go: the shared inbox when it has one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox_url.as_deref().unwrap_or(&self.inbox_url)
    }

    /// `username@host`, PeerTube's handle for it.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.host)
    }
}

/// What a fetched actor document says, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteActorDocument {
    /// Person, Group or Application.
    pub kind: ActorKind,
    /// `preferredUsername`.
    pub username: String,
    /// Host (and port) of the id.
    pub host: String,
    /// `name`.
    pub display_name: String,
    /// `summary`.
    pub summary: Option<String>,
    /// The id.
    pub ap_id: String,
    /// `inbox`.
    pub inbox_url: String,
    /// `endpoints.sharedInbox`.
    pub shared_inbox_url: Option<String>,
    /// `followers`.
    pub followers_url: Option<String>,
    /// `publicKey.publicKeyPem`.
    pub public_key_pem: String,
    /// `assertionMethod[].publicKeyMultibase` of an ed25519 Multikey.
    pub ed25519_public_multibase: Option<String>,
    /// The largest `icon`.
    pub avatar_url: Option<String>,
    /// For a channel, its account's row (stored first).
    pub owner_id: Option<i64>,
}

const SELECT: &str = "SELECT id, kind, username, host, display_name, summary, ap_id, inbox_url, \
     shared_inbox_url, followers_url, public_key_pem, ed25519_public_multibase, avatar_url, owner_id, \
     COALESCE(fetched_at, updated_at) AS fetched_at FROM actors WHERE host IS NOT NULL";

/// The remote actor whose id is `ap_id`.
pub async fn find_by_ap_id(sql: &dyn Sql, ap_id: &str) -> Result<Option<RemoteActor>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT} AND ap_id = ?1")).bind(ap_id)).await?)
}

/// The remote actor `username@host` (case-insensitive username).
pub async fn find_by_handle(
    sql: &dyn Sql,
    username: &str,
    host: &str,
) -> Result<Option<RemoteActor>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!("{SELECT} AND username = ?1 AND host = ?2")).bind(username).bind(host),
        )
        .await?)
}

/// The remote actor of row `id`.
pub async fn find_by_id(sql: &dyn Sql, id: i64) -> Result<Option<RemoteActor>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT} AND id = ?1")).bind(id)).await?)
}

/// The remote actors with the given row ids, in no particular order; unknown and local ids are
/// skipped.
pub async fn find_by_ids(sql: &dyn Sql, ids: &[i64]) -> Result<Vec<RemoteActor>, DomainError> {
    let mut actors = Vec::with_capacity(ids.len());
    // D1 binds at most 100 parameters per statement.
    for chunk in ids.chunks(100) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let mut statement = Statement::new(format!("{SELECT} AND id IN ({})", placeholders.join(", ")));
        for id in chunk {
            statement = statement.bind(*id);
        }
        actors.extend(sql.fetch_all::<RemoteActor>(statement).await?);
    }
    Ok(actors)
}

/// Records `account_id` as the account of the remote channel `channel_id` when it has none yet
/// (its account could not be read when the channel was).
pub async fn set_owner_if_unknown(
    sql: &dyn Sql,
    channel_id: i64,
    account_id: i64,
) -> Result<(), DomainError> {
    sql.execute(
        Statement::new(
            "UPDATE actors SET owner_id = ?2 WHERE id = ?1 AND host IS NOT NULL AND owner_id IS NULL",
        )
        .bind(channel_id)
        .bind(account_id),
    )
    .await?;
    Ok(())
}

/// Stores a fetched actor (new, or refreshed: keys rotate, names change) and returns its row.
///
/// Keyed by its id; a different actor that took over the same `username@host` (a server that
/// deleted and re-created an account) replaces the old row's identity.
pub async fn upsert(sql: &dyn Sql, doc: &RemoteActorDocument, now: i64) -> Result<RemoteActor, DomainError> {
    sql.batch(vec![
        // A stale row holding the handle under another id gives it up first.
        Statement::new(
            "UPDATE actors SET username = username || '#' || id WHERE host = ?1 AND username = ?2 \
             AND ap_id IS NOT ?3",
        )
        .bind(doc.host.as_str())
        .bind(doc.username.as_str())
        .bind(doc.ap_id.as_str()),
        Statement::new(
            "INSERT INTO actors (kind, username, host, display_name, summary, public_key_pem, owner_id, \
             ap_id, inbox_url, shared_inbox_url, followers_url, ed25519_public_multibase, avatar_url, \
             fetched_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?14) \
             ON CONFLICT (ap_id) WHERE ap_id IS NOT NULL DO UPDATE SET kind = excluded.kind, \
             username = excluded.username, display_name = excluded.display_name, summary = excluded.summary, \
             public_key_pem = excluded.public_key_pem, owner_id = COALESCE(excluded.owner_id, owner_id), \
             inbox_url = excluded.inbox_url, shared_inbox_url = excluded.shared_inbox_url, \
             followers_url = excluded.followers_url, \
             ed25519_public_multibase = excluded.ed25519_public_multibase, avatar_url = excluded.avatar_url, \
             fetched_at = excluded.fetched_at, updated_at = excluded.updated_at",
        )
        .bind(doc.kind.as_str())
        .bind(doc.username.as_str())
        .bind(doc.host.as_str())
        .bind(doc.display_name.as_str())
        .bind(doc.summary.clone())
        .bind(doc.public_key_pem.as_str())
        .bind(doc.owner_id)
        .bind(doc.ap_id.as_str())
        .bind(doc.inbox_url.as_str())
        .bind(doc.shared_inbox_url.clone())
        .bind(doc.followers_url.clone())
        .bind(doc.ed25519_public_multibase.clone())
        .bind(doc.avatar_url.clone())
        .bind(now),
    ])
    .await?;
    find_by_ap_id(sql, &doc.ap_id).await?.ok_or_else(|| {
        DomainError::Inconsistent(format!("remote actor {} vanished after its upsert", doc.ap_id))
    })
}

/// Removes a remote actor that deleted itself, with everything that names it (follows, its
/// comments, ratings, its channels and their videos cascade). The full-text rows of those
/// videos go in the same batch: a virtual table has no cascade.
pub async fn delete(sql: &dyn Sql, ap_id: &str) -> Result<bool, DomainError> {
    if find_by_ap_id(sql, ap_id).await?.is_none() {
        return Ok(false);
    }
    sql.batch(vec![
        Statement::new(
            "DELETE FROM videos_fts WHERE rowid IN (SELECT v.id FROM videos v JOIN actors c ON c.id = v.channel_id \
             WHERE c.host IS NOT NULL AND (c.ap_id = ?1 OR c.owner_id IN \
             (SELECT id FROM actors WHERE host IS NOT NULL AND ap_id = ?1)))",
        )
        .bind(ap_id),
        Statement::new("DELETE FROM actors WHERE host IS NOT NULL AND ap_id = ?1").bind(ap_id),
    ])
    .await?;
    Ok(true)
}
