//! Video channels: local `Group` actors owned by accounts, and the SQL behind the channel API
//! (create with its own key, list, search, update, delete).
//!
//! Channels share the actors table, and so the one case-insensitive name space, with accounts.

use edgetube_ports::{PortError, Ports, Sql, SqlValue, Statement};
use serde::Deserialize;

use crate::actors::{self, ActorKind, LocalActor, NewLocalActor, SELECT_LOCAL};
use crate::keys::{generate_actor_key, KeyVault};
use crate::{DomainError, InstanceConfig};

/// How many channels one account may own (PeerTube's default `video_channels.max_per_user`).
pub const MAX_CHANNELS_PER_ACCOUNT: i64 = 20;

/// An ORDER BY expression ranking search hits on `?1` (the search term): exact names first,
/// then names that start with the term, then the rest.
pub const SEARCH_RELEVANCE: &str = "(CASE \
     WHEN lower(a.username) = lower(?1) OR lower(a.display_name) = lower(?1) THEN 2 \
     WHEN instr(lower(a.username), lower(?1)) = 1 OR instr(lower(a.display_name), lower(?1)) = 1 THEN 1 \
     ELSE 0 END)";

/// Why a channel operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// An account or channel already has this name.
    #[error("the name {0} is already taken by an account or a channel")]
    Taken(String),
    /// The owner already has [`MAX_CHANNELS_PER_ACCOUNT`] channels.
    #[error("an account cannot own more than {MAX_CHANNELS_PER_ACCOUNT} channels")]
    TooMany,
    /// Deleting would leave the owner without a channel.
    #[error("cannot remove the last channel of an account")]
    LastChannel,
    /// Something failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<PortError> for ChannelError {
    fn from(e: PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// A channel to create.
pub struct NewChannel<'a> {
    /// The immutable actor name.
    pub name: &'a str,
    /// The display name.
    pub display_name: &'a str,
    /// Description (markdown).
    pub description: Option<&'a str>,
    /// Support text.
    pub support: Option<&'a str>,
}

/// What to change on a channel; `None` keeps a field, `Some(None)` clears a nullable one.
#[derive(Default)]
pub struct ChannelUpdate<'a> {
    /// New display name.
    pub display_name: Option<&'a str>,
    /// New description, or `Some(None)` to remove it.
    pub description: Option<Option<&'a str>>,
    /// New support text, or `Some(None)` to remove it.
    pub support: Option<Option<&'a str>>,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// The local channel named `name` (case-insensitive).
pub async fn find(sql: &dyn Sql, name: &str) -> Result<Option<LocalActor>, DomainError> {
    actors::find_local_of_kind(sql, ActorKind::Group, name).await
}

/// How many channels the account `account_id` owns.
pub async fn count_owned(sql: &dyn Sql, account_id: i64) -> Result<i64, DomainError> {
    let rows: Vec<Count> = sql
        .fetch_all(
            Statement::new(
                "SELECT COUNT(*) AS n FROM actors WHERE host IS NULL AND kind = 'Group' AND owner_id = ?1",
            )
            .bind(account_id),
        )
        .await?;
    Ok(rows.first().map_or(0, |c| c.n))
}

/// Creates a channel owned by the local account `owner`, with its own RSA key, so that it is an
/// ActivityPub actor from the start.
pub async fn create(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    owner: &LocalActor,
    new: &NewChannel<'_>,
) -> Result<LocalActor, ChannelError> {
    if actors::find_local(ports.sql, new.name).await?.is_some() {
        return Err(ChannelError::Taken(new.name.to_owned()));
    }
    // Checked before the insert rather than inside it: D1 cannot abort a batch on a condition,
    // and two simultaneous creations overshooting the limit by one is harmless.
    if count_owned(ports.sql, owner.id).await? >= MAX_CHANNELS_PER_ACCOUNT {
        return Err(ChannelError::TooMany);
    }
    let vault = KeyVault::new(&config.key_encryption_secret);
    let key = generate_actor_key(ports.crypto, &vault, new.name).await?;
    let now = ports.clock.now_millis();
    let result = ports
        .sql
        .batch(vec![
            actors::insert_local(&NewLocalActor {
                kind: ActorKind::Group,
                username: new.name,
                display_name: new.display_name,
                owner_username: Some(&owner.username),
                public_key_pem: &key.public_key_pem,
                private_key_sealed: &key.private_key_sealed,
                now,
            }),
            Statement::new(
                "UPDATE actors SET summary = ?1, support = ?2 WHERE host IS NULL AND username = ?3",
            )
            .bind(new.description)
            .bind(new.support)
            .bind(new.name),
        ])
        .await;
    match result {
        Ok(()) => {}
        // Another request took the name between the check and the batch.
        Err(PortError::Conflict { .. }) => return Err(ChannelError::Taken(new.name.to_owned())),
        Err(e) => return Err(e.into()),
    }
    find(ports.sql, new.name).await?.ok_or_else(|| {
        DomainError::Inconsistent(format!("channel {} vanished after creation", new.name)).into()
    })
}

/// Applies `change` to the channel `channel_id` and bumps its `updated_at`.
pub async fn update(
    ports: &Ports<'_>,
    channel_id: i64,
    change: &ChannelUpdate<'_>,
) -> Result<(), DomainError> {
    let mut sets = vec!["updated_at = ?1".to_owned()];
    let mut params = vec![SqlValue::from(ports.clock.now_millis())];
    let mut set = |column: &str, value: SqlValue| {
        params.push(value);
        sets.push(format!("{column} = ?{}", params.len()));
    };
    if let Some(name) = change.display_name {
        set("display_name", name.into());
    }
    if let Some(description) = change.description {
        set("summary", description.into());
    }
    if let Some(support) = change.support {
        set("support", support.into());
    }
    params.push(channel_id.into());
    let sql = format!(
        "UPDATE actors SET {} WHERE id = ?{} AND host IS NULL AND kind = 'Group'",
        sets.join(", "),
        params.len()
    );
    ports.sql.execute(Statement { sql, params }).await?;
    Ok(())
}

/// Deletes the channel `channel_id` of the account `owner_id`, unless it is the account's last
/// one. The check and the delete are one statement, so two concurrent deletes cannot leave the
/// account with no channel.
pub async fn delete(sql: &dyn Sql, channel_id: i64, owner_id: i64) -> Result<(), ChannelError> {
    let deleted = sql
        .execute(
            Statement::new(
                "DELETE FROM actors WHERE id = ?1 AND host IS NULL AND kind = 'Group' AND \
                 (SELECT COUNT(*) FROM actors WHERE host IS NULL AND kind = 'Group' AND owner_id = ?2) > 1",
            )
            .bind(channel_id)
            .bind(owner_id),
        )
        .await?;
    if deleted == 0 {
        return Err(ChannelError::LastChannel);
    }
    Ok(())
}

/// Which channels a list covers.
pub enum Filter<'a> {
    /// Every local channel.
    All,
    /// The channels of one account.
    OwnedBy(i64),
    /// Channels whose name or display name contains the term, case-insensitively. `instr` on
    /// `lower()` rather than `LIKE`, so `%` and `_` in a search are plain characters.
    Matching(&'a str),
}

/// A page of local channels and the total count, ordered by `order_by` (a trusted expression
/// over `a.*`, which may use [`SEARCH_RELEVANCE`] for a [`Filter::Matching`] list).
pub async fn list(
    sql: &dyn Sql,
    filter: &Filter<'_>,
    order_by: &str,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<LocalActor>), DomainError> {
    let (condition, params): (&str, Vec<SqlValue>) = match filter {
        Filter::All => ("", Vec::new()),
        Filter::OwnedBy(id) => (" AND a.owner_id = ?1", vec![(*id).into()]),
        Filter::Matching(term) => (
            " AND (instr(lower(a.username), lower(?1)) > 0 OR instr(lower(a.display_name), lower(?1)) > 0)",
            vec![(*term).into()],
        ),
    };
    let base = format!("{SELECT_LOCAL} AND a.kind = 'Group'{condition}");
    let total: Vec<Count> = sql
        .fetch_all(Statement { sql: format!("SELECT COUNT(*) AS n FROM ({base})"), params: params.clone() })
        .await?;
    let n = params.len();
    let mut page_params = params;
    page_params.push(count.into());
    page_params.push(start.into());
    let rows = sql
        .fetch_all(Statement {
            sql: format!("{base} ORDER BY {order_by} LIMIT ?{} OFFSET ?{}", n + 1, n + 2),
            params: page_params,
        })
        .await?;
    Ok((total.first().map_or(0, |c| c.n), rows))
}
