//! Actors of this instance: the `Application` instance actor, `Person` accounts and `Group`
//! channels, and the SQL that stores them.

use edgetube_ports::{Sql, Statement};
use serde::Deserialize;

use crate::DomainError;

/// What kind of ActivityPub actor a row is; the strings are the ActivityStreams types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ActorKind {
    /// The instance actor (`/accounts/peertube`).
    Application,
    /// An account (`/accounts/<name>`).
    Person,
    /// A channel (`/video-channels/<name>`).
    Group,
}

impl ActorKind {
    /// The ActivityStreams type name, also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "Application",
            Self::Person => "Person",
            Self::Group => "Group",
        }
    }

    /// The path prefix PeerTube uses for this kind of actor.
    pub fn path_prefix(self) -> &'static str {
        match self {
            Self::Application | Self::Person => "/accounts/",
            Self::Group => "/video-channels/",
        }
    }
}

/// A local actor as stored, without its private key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LocalActor {
    /// Row id (also the channel id or account id in the REST API).
    pub id: i64,
    /// Application, Person or Group.
    pub kind: ActorKind,
    /// The preferred username; unique per instance, case-insensitively, across kinds.
    pub username: String,
    /// The display name.
    pub display_name: String,
    /// Free-text description (markdown).
    pub summary: Option<String>,
    /// Support text (channels).
    pub support: Option<String>,
    /// SPKI PEM of the actor's RSA key.
    pub public_key_pem: String,
    /// For a channel: the username of the account that owns it.
    pub owner_username: Option<String>,
    /// Creation time, milliseconds since the epoch.
    pub created_at: i64,
    /// Last change, milliseconds since the epoch.
    pub updated_at: i64,
}

impl LocalActor {
    /// The actor's id URL path, e.g. `/video-channels/root_channel`.
    pub fn path(&self) -> String {
        format!("{}{}", self.kind.path_prefix(), self.username)
    }
}

/// The columns of [`LocalActor`], from `actors a` joined to its owner `o`, restricted to this
/// instance; callers append `AND ...` conditions.
pub(crate) const SELECT_LOCAL: &str =
    "SELECT a.id, a.kind, a.username, a.display_name, a.summary, a.support, \
     a.public_key_pem, o.username AS owner_username, a.created_at, a.updated_at \
     FROM actors a LEFT JOIN actors o ON o.id = a.owner_id WHERE a.host IS NULL";

/// The local actor named `username` (any kind, case-insensitive); `Ok(None)` when there is none.
pub async fn find_local(sql: &dyn Sql, username: &str) -> Result<Option<LocalActor>, DomainError> {
    Ok(sql
        .fetch_optional(Statement::new(format!("{SELECT_LOCAL} AND a.username = ?1")).bind(username))
        .await?)
}

/// The local actor named `username` if it is of `kind`.
pub async fn find_local_of_kind(
    sql: &dyn Sql,
    kind: ActorKind,
    username: &str,
) -> Result<Option<LocalActor>, DomainError> {
    Ok(find_local(sql, username).await?.filter(|actor| actor.kind == kind))
}

/// The channels owned by the account `account_id`, oldest first.
pub async fn channels_of(sql: &dyn Sql, account_id: i64) -> Result<Vec<LocalActor>, DomainError> {
    Ok(sql
        .fetch_all(
            Statement::new(format!("{SELECT_LOCAL} AND a.owner_id = ?1 ORDER BY a.id")).bind(account_id),
        )
        .await?)
}

/// The local actors with the given row ids, in no particular order; unknown ids are skipped.
pub async fn find_local_by_ids(sql: &dyn Sql, ids: &[i64]) -> Result<Vec<LocalActor>, DomainError> {
    let mut actors = Vec::with_capacity(ids.len());
    // D1 binds at most 100 parameters per statement.
    for chunk in ids.chunks(100) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let mut statement =
            Statement::new(format!("{SELECT_LOCAL} AND a.id IN ({})", placeholders.join(", ")));
        for id in chunk {
            statement = statement.bind(*id);
        }
        actors.extend(sql.fetch_all::<LocalActor>(statement).await?);
    }
    Ok(actors)
}

/// A local actor to insert.
pub struct NewLocalActor<'a> {
    /// Application, Person or Group.
    pub kind: ActorKind,
    /// The unique username.
    pub username: &'a str,
    /// The display name.
    pub display_name: &'a str,
    /// For a channel, the owning account's username.
    pub owner_username: Option<&'a str>,
    /// SPKI PEM.
    pub public_key_pem: &'a str,
    /// The sealed private key.
    pub private_key_sealed: &'a str,
    /// Creation time (ms).
    pub now: i64,
}

/// `INSERT OR IGNORE` of a local actor: a no-op when the username is taken, so concurrent
/// first starts converge on whichever insert landed first.
pub fn insert_local_if_absent(actor: &NewLocalActor<'_>) -> Statement {
    insert_local_with("INSERT OR IGNORE", actor)
}

/// `INSERT` of a local actor: a taken username is a conflict.
pub fn insert_local(actor: &NewLocalActor<'_>) -> Statement {
    insert_local_with("INSERT", actor)
}

fn insert_local_with(verb: &str, actor: &NewLocalActor<'_>) -> Statement {
    Statement::new(format!(
        "{verb} INTO actors (kind, username, host, display_name, public_key_pem, private_key_sealed, \
         owner_id, created_at, updated_at) \
         VALUES (?1, ?2, NULL, ?3, ?4, ?5, \
         (SELECT id FROM actors WHERE host IS NULL AND username = ?6), ?7, ?7)"
    ))
    .bind(actor.kind.as_str())
    .bind(actor.username)
    .bind(actor.display_name)
    .bind(actor.public_key_pem)
    .bind(actor.private_key_sealed)
    .bind(actor.owner_username)
    .bind(actor.now)
}

/// What signs for a local actor: its username (the sealing's associated data) and sealed keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SealedKeys {
    /// The actor's username.
    pub username: String,
    /// Application, Person or Group.
    pub kind: ActorKind,
    /// The sealed PKCS#8 RSA key.
    pub private_key_sealed: String,
    /// The sealed 32-byte ed25519 seed, once made.
    pub ed25519_private_sealed: Option<String>,
    /// Its public half, `z6Mk...`, once made.
    pub ed25519_public_multibase: Option<String>,
}

/// The sealed keys of the local actor of row `id`.
pub async fn sealed_keys(sql: &dyn Sql, id: i64) -> Result<Option<SealedKeys>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(
                "SELECT username, kind, private_key_sealed, ed25519_private_sealed, ed25519_public_multibase \
                 FROM actors WHERE host IS NULL AND id = ?1",
            )
            .bind(id),
        )
        .await?)
}

/// Stores a local actor's ed25519 key unless it already has one (two first uses racing keep the
/// first); `true` when this one was stored.
pub async fn set_ed25519_if_absent(
    sql: &dyn Sql,
    id: i64,
    sealed_seed: &str,
    public_multibase: &str,
) -> Result<bool, DomainError> {
    Ok(sql
        .execute(
            Statement::new(
                "UPDATE actors SET ed25519_private_sealed = ?2, ed25519_public_multibase = ?3 \
                 WHERE id = ?1 AND host IS NULL AND ed25519_private_sealed IS NULL",
            )
            .bind(id)
            .bind(sealed_seed)
            .bind(public_multibase),
        )
        .await?
        > 0)
}
