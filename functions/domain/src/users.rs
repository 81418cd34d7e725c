//! Users: the people who log in, each with one `Person` account and at least one channel.

use edgetube_ports::{Ports, Sql, Statement};
use serde::Deserialize;

use crate::actors::{self, ActorKind, NewLocalActor};
use crate::keys::{generate_actor_key, KeyVault};
use crate::{password, DomainError, InstanceConfig};

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

impl Role {
    /// The role with PeerTube's number `id`.
    pub fn from_id(id: i64) -> Option<Self> {
        match id {
            0 => Some(Self::Administrator),
            1 => Some(Self::Moderator),
            2 => Some(Self::User),
            _ => None,
        }
    }

    /// PeerTube's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator",
            Self::Moderator => "Moderator",
            Self::User => "User",
        }
    }
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
    /// Bytes the user may upload in total (-1: unlimited).
    pub video_quota: i64,
    /// Bytes per day (-1: unlimited).
    pub video_quota_daily: i64,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last successful login (ms).
    pub last_login_at: Option<i64>,
    /// PeerTube preferences as a JSON object.
    pub preferences: String,
    /// Whether an admin blocked the user.
    pub blocked: i64,
    /// Why.
    pub blocked_reason: Option<String>,
}

impl User {
    /// The role, defaulting to the least privileged on a bad stored value.
    pub fn role(&self) -> Role {
        Role::from_id(self.role).unwrap_or(Role::User)
    }

    /// Whether the user moderates or administers.
    pub fn is_moderator(&self) -> bool {
        matches!(self.role(), Role::Administrator | Role::Moderator)
    }
}

const SELECT_USER: &str = "SELECT id, username, email, role, account_id, video_quota, video_quota_daily, \
     created_at, last_login_at, preferences, blocked, blocked_reason FROM users";

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
        .fetch_optional(Statement::new(format!("{SELECT_USER} WHERE username = ?1")).bind(username))
        .await?)
}

/// The user with row id `id`.
pub async fn find_by_id(sql: &dyn Sql, id: i64) -> Result<Option<User>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT_USER} WHERE id = ?1")).bind(id)).await?)
}

/// The user whose account actor is `account_id`.
pub async fn find_by_account(sql: &dyn Sql, account_id: i64) -> Result<Option<User>, DomainError> {
    Ok(sql
        .fetch_optional(Statement::new(format!("{SELECT_USER} WHERE account_id = ?1")).bind(account_id))
        .await?)
}

/// A page of users, oldest first or as `order_by` says (a trusted column expression).
pub async fn list(
    sql: &dyn Sql,
    order_by: &str,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<User>), DomainError> {
    let users = sql
        .fetch_all(
            Statement::new(format!("{SELECT_USER} ORDER BY {order_by} LIMIT ?1 OFFSET ?2"))
                .bind(count)
                .bind(start),
        )
        .await?;
    Ok((self::count(sql).await?, users))
}

/// The user who logs in as `login` (username or e-mail) with `password`; `Ok(None)` for wrong
/// credentials, an unknown user or a blocked one.
pub async fn authenticate(
    ports: &Ports<'_>,
    login: &str,
    password: &str,
) -> Result<Option<User>, DomainError> {
    #[derive(Deserialize)]
    struct Hash {
        id: i64,
        password_hash: String,
    }
    let row: Option<Hash> = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT id, password_hash FROM users WHERE username = ?1 OR email = ?1 LIMIT 1")
                .bind(login),
        )
        .await?;
    // Every outcome costs one password derivation (an unknown login too, and a blocked user's
    // is checked before the block), so the time taken does not tell which accounts exist.
    let Some(row) = row else {
        password::verify_absent(ports.crypto, password).await?;
        return Ok(None);
    };
    if !password::verify(ports.crypto, password, &row.password_hash).await? {
        return Ok(None);
    }
    Ok(find_by_id(ports.sql, row.id).await?.filter(|u| u.blocked == 0))
}

/// Whether `password` is the user's current password.
pub async fn password_matches(ports: &Ports<'_>, user_id: i64, password: &str) -> Result<bool, DomainError> {
    #[derive(Deserialize)]
    struct Hash {
        password_hash: String,
    }
    let row: Option<Hash> = ports
        .sql
        .fetch_optional(Statement::new("SELECT password_hash FROM users WHERE id = ?1").bind(user_id))
        .await?;
    match row {
        Some(row) => password::verify(ports.crypto, password, &row.password_hash).await,
        None => Ok(false),
    }
}

/// What a password change does to the user's open sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// The user changed it: every token issued before is revoked.
    EndOthers,
    /// An administrator set it: sessions stay (PeerTube does not log the user out either).
    Keep,
}

/// Replaces a user's password.
pub async fn set_password(
    ports: &Ports<'_>,
    user_id: i64,
    password: &str,
    sessions: Sessions,
) -> Result<(), DomainError> {
    let hash = password::hash(ports.crypto, password).await?;
    let mut statements =
        vec![Statement::new("UPDATE users SET password_hash = ?1 WHERE id = ?2").bind(hash).bind(user_id)];
    if sessions == Sessions::EndOthers {
        statements.push(Statement::new("DELETE FROM oauth_tokens WHERE user_id = ?1").bind(user_id));
    }
    ports.sql.batch(statements).await?;
    Ok(())
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

/// A user to create, with the default channel PeerTube gives every new user.
pub struct NewUser<'a> {
    /// Login and account name.
    pub username: &'a str,
    /// E-mail address.
    pub email: &'a str,
    /// The password, in clear (hashed here) or already hashed (an accepted registration).
    pub password: Password<'a>,
    /// Role.
    pub role: Role,
    /// Account display name (defaults to the username).
    pub display_name: Option<&'a str>,
    /// Default channel name (defaults to `<username>_channel`).
    pub channel_name: Option<&'a str>,
    /// Default channel display name.
    pub channel_display_name: Option<&'a str>,
    /// Quota in bytes (-1 unlimited).
    pub video_quota: i64,
    /// Daily quota in bytes (-1 unlimited).
    pub video_quota_daily: i64,
}

/// A new user's password.
#[derive(Clone, Copy)]
pub enum Password<'a> {
    /// As the user typed it.
    Clear(&'a str),
    /// A stored hash, as `password::hash` wrote it.
    Hashed(&'a str),
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// The username, channel name or e-mail is already used by an account or channel.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// Something failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// Creates a user, its account and its default channel, atomically.
pub async fn create(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    new: &NewUser<'_>,
) -> Result<User, CreateUserError> {
    let default_channel = format!("{}_channel", new.username);
    let channel_name = new.channel_name.unwrap_or(&default_channel);
    if channel_name.eq_ignore_ascii_case(new.username) {
        return Err(CreateUserError::Taken("channel name"));
    }
    for (name, what) in [(new.username, "username"), (channel_name, "channel name")] {
        if actors::find_local(ports.sql, name).await?.is_some() {
            return Err(CreateUserError::Taken(what));
        }
    }
    if find_by_login_exists(ports.sql, new.email).await? {
        return Err(CreateUserError::Taken("email"));
    }
    let vault = KeyVault::new(&config.key_encryption_secret);
    let account_key = generate_actor_key(ports.crypto, &vault, new.username).await?;
    let channel_key = generate_actor_key(ports.crypto, &vault, channel_name).await?;
    let password_hash = match new.password {
        Password::Clear(clear) => password::hash(ports.crypto, clear).await?,
        Password::Hashed(hash) => hash.to_owned(),
    };
    let now = ports.clock.now_millis();
    let channel_display =
        new.channel_display_name.map_or_else(|| format!("Main {} channel", new.username), str::to_owned);
    let result = ports
        .sql
        .batch(vec![
            actors::insert_local(&NewLocalActor {
                kind: ActorKind::Person,
                username: new.username,
                display_name: new.display_name.unwrap_or(new.username),
                owner_username: None,
                public_key_pem: &account_key.public_key_pem,
                private_key_sealed: &account_key.private_key_sealed,
                now,
            }),
            actors::insert_local(&NewLocalActor {
                kind: ActorKind::Group,
                username: channel_name,
                display_name: &channel_display,
                owner_username: Some(new.username),
                public_key_pem: &channel_key.public_key_pem,
                private_key_sealed: &channel_key.private_key_sealed,
                now,
            }),
            Statement::new(
                "INSERT INTO users (username, email, password_hash, role, account_id, video_quota, video_quota_daily, created_at) \
                 SELECT ?1, ?2, ?3, ?4, id, ?5, ?6, ?7 FROM actors WHERE host IS NULL AND username = ?1 AND kind = 'Person'",
            )
            .bind(new.username)
            .bind(new.email)
            .bind(password_hash)
            .bind(new.role as i64)
            .bind(new.video_quota)
            .bind(new.video_quota_daily)
            .bind(now),
        ])
        .await;
    match result {
        Ok(()) => {}
        // A concurrent registration took a name between the checks and the batch.
        Err(edgetube_ports::PortError::Conflict { .. }) => return Err(CreateUserError::Taken("username")),
        Err(e) => return Err(DomainError::from(e).into()),
    }
    find(ports.sql, new.username).await?.ok_or_else(|| {
        DomainError::Inconsistent(format!("user {} vanished after creation", new.username)).into()
    })
}

pub(crate) async fn find_by_login_exists(sql: &dyn Sql, email: &str) -> Result<bool, DomainError> {
    let rows = sql.query(Statement::new("SELECT 1 AS x FROM users WHERE email = ?1").bind(email)).await?;
    Ok(!rows.is_empty())
}

/// Deletes a user with its account, channels and tokens.
pub async fn delete(sql: &dyn Sql, user: &User) -> Result<(), DomainError> {
    sql.batch(vec![
        Statement::new("DELETE FROM users WHERE id = ?1").bind(user.id),
        Statement::new("DELETE FROM actors WHERE owner_id = ?1").bind(user.account_id),
        Statement::new("DELETE FROM actors WHERE id = ?1").bind(user.account_id),
    ])
    .await?;
    Ok(())
}

/// Updates what a user may change about themselves: the account's display name and
/// description, and the preferences JSON.
pub async fn update_profile(
    ports: &Ports<'_>,
    user: &User,
    display_name: Option<&str>,
    description: Option<&str>,
    preferences: &str,
) -> Result<(), DomainError> {
    let now = ports.clock.now_millis();
    ports
        .sql
        .batch(vec![
            Statement::new("UPDATE users SET preferences = ?1 WHERE id = ?2").bind(preferences).bind(user.id),
            Statement::new(
                "UPDATE actors SET display_name = COALESCE(?1, display_name), summary = COALESCE(?2, summary), \
                 updated_at = ?3 WHERE id = ?4",
            )
            .bind(display_name)
            .bind(description)
            .bind(now)
            .bind(user.account_id),
        ])
        .await?;
    Ok(())
}

/// Updates what administrators may change about a user.
pub async fn update_admin_fields(
    sql: &dyn Sql,
    user: &User,
    email: Option<&str>,
    role: Option<i64>,
    video_quota: Option<i64>,
    video_quota_daily: Option<i64>,
) -> Result<(), DomainError> {
    sql.execute(
        Statement::new(
            "UPDATE users SET email = COALESCE(?1, email), role = COALESCE(?2, role), \
             video_quota = COALESCE(?3, video_quota), video_quota_daily = COALESCE(?4, video_quota_daily) WHERE id = ?5",
        )
        .bind(email)
        .bind(role)
        .bind(video_quota)
        .bind(video_quota_daily)
        .bind(user.id),
    )
    .await?;
    Ok(())
}

/// User ids of the local accounts among `account_ids`, by account id.
pub async fn ids_by_account(
    sql: &dyn Sql,
    account_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        account_id: i64,
    }
    let mut found = std::collections::HashMap::new();
    // D1 binds at most 100 parameters per statement.
    for chunk in account_ids.chunks(100) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let mut statement = Statement::new(format!(
            "SELECT id, account_id FROM users WHERE account_id IN ({})",
            placeholders.join(", ")
        ));
        for id in chunk {
            statement = statement.bind(*id);
        }
        for row in sql.fetch_all::<Row>(statement).await? {
            found.insert(row.account_id, row.id);
        }
    }
    Ok(found)
}

/// Users who logged in since `since` (ms), as PeerTube counts active users for NodeInfo.
pub async fn count_active_since(sql: &dyn Sql, since: i64) -> Result<i64, DomainError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let row: Option<Count> = sql
        .fetch_optional(
            Statement::new("SELECT COUNT(*) AS n FROM users WHERE last_login_at >= ?1").bind(since),
        )
        .await?;
    Ok(row.map_or(0, |c| c.n))
}
