//! Signup requests on instances whose signup requires approval: a request keeps the would-be
//! user's details (password already hashed) until a moderator accepts it, which creates the
//! user, or rejects it.

use edgetube_ports::{PortError, Ports, Sql, Statement};
use serde::Deserialize;

use crate::users::{self, CreateUserError, NewUser, Password, Role};
use crate::{actors, password, DomainError, InstanceConfig};

/// PeerTube's `UserRegistrationState`.
pub mod state {
    /// Waiting for a moderator.
    pub const PENDING: i64 = 1;
    /// Refused.
    pub const REJECTED: i64 = 2;
    /// Turned into a user.
    pub const ACCEPTED: i64 = 3;
}

/// A stored request.
#[derive(Debug, Clone, Deserialize)]
pub struct Registration {
    /// Row id.
    pub id: i64,
    /// Requested username.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Why the person wants an account.
    pub registration_reason: String,
    /// Requested display name.
    pub account_display_name: Option<String>,
    /// Requested default channel name.
    pub channel_name: Option<String>,
    /// Requested default channel display name.
    pub channel_display_name: Option<String>,
    /// See [`state`].
    pub state: i64,
    /// The moderator's answer.
    pub moderation_response: Option<String>,
    /// The user created on acceptance.
    pub user_id: Option<i64>,
    /// Creation (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

const SELECT: &str = "SELECT id, username, email, registration_reason, account_display_name, channel_name, \
     channel_display_name, state, moderation_response, user_id, created_at, updated_at FROM user_registrations";

/// A request to store.
pub struct NewRegistration<'a> {
    /// Requested username.
    pub username: &'a str,
    /// E-mail.
    pub email: &'a str,
    /// Clear password, hashed here.
    pub password: &'a str,
    /// Why.
    pub reason: &'a str,
    /// Display name.
    pub display_name: Option<&'a str>,
    /// Default channel name.
    pub channel_name: Option<&'a str>,
    /// Default channel display name.
    pub channel_display_name: Option<&'a str>,
}

/// Why a request cannot be stored or accepted.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The name or e-mail is used by a user, an actor or another pending request.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// The request was already accepted or rejected.
    #[error("the registration was already processed")]
    AlreadyProcessed,
    /// Something failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<PortError> for RegistrationError {
    fn from(e: PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// Stores a pending request.
pub async fn request(
    ports: &Ports<'_>,
    new: &NewRegistration<'_>,
) -> Result<Registration, RegistrationError> {
    for name in [Some(new.username), new.channel_name].into_iter().flatten() {
        if actors::find_local(ports.sql, name).await?.is_some() {
            return Err(RegistrationError::Taken("username"));
        }
    }
    if users::find_by_login_exists(ports.sql, new.email).await? {
        return Err(RegistrationError::Taken("email"));
    }
    let hash = password::hash(ports.crypto, new.password).await?;
    let now = ports.clock.now_millis();
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let inserted: Result<Option<Id>, PortError> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "INSERT INTO user_registrations (username, email, password_hash, registration_reason, \
                 account_display_name, channel_name, channel_display_name, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
            )
            .bind(new.username)
            .bind(new.email)
            .bind(hash)
            .bind(new.reason)
            .bind(new.display_name)
            .bind(new.channel_name)
            .bind(new.channel_display_name)
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok(Some(row)) => row.id,
        Ok(None) => {
            return Err(DomainError::Inconsistent("INSERT ... RETURNING returned no row".into()).into())
        }
        Err(PortError::Conflict { .. }) => return Err(RegistrationError::Taken("username or email")),
        Err(e) => return Err(e.into()),
    };
    find(ports.sql, id)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("registration {id} vanished")).into())
}

/// The request `id`.
pub async fn find(sql: &dyn Sql, id: i64) -> Result<Option<Registration>, DomainError> {
    Ok(sql.fetch_optional(Statement::new(format!("{SELECT} WHERE id = ?1")).bind(id)).await?)
}

/// A page of requests, newest first, and how many there are.
pub async fn list(
    sql: &dyn Sql,
    order_by: &str,
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Registration>), DomainError> {
    let page = sql
        .fetch_all(
            Statement::new(format!("{SELECT} ORDER BY {order_by}, id LIMIT ?1 OFFSET ?2"))
                .bind(count)
                .bind(start),
        )
        .await?;
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let total: Option<Count> =
        sql.fetch_optional(Statement::new("SELECT COUNT(*) AS n FROM user_registrations")).await?;
    Ok((total.map_or(0, |c| c.n), page))
}

/// Accepts a pending request: creates the user with the stored password hash.
pub async fn accept(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    registration: &Registration,
    response: &str,
) -> Result<(), RegistrationError> {
    if registration.state != state::PENDING {
        return Err(RegistrationError::AlreadyProcessed);
    }
    #[derive(Deserialize)]
    struct Hash {
        password_hash: String,
    }
    let hash: Option<Hash> = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT password_hash FROM user_registrations WHERE id = ?1")
                .bind(registration.id),
        )
        .await?;
    let hash = hash.ok_or_else(|| DomainError::Inconsistent("registration without a password".into()))?;
    let user = users::create(
        ports,
        config,
        &NewUser {
            username: &registration.username,
            email: &registration.email,
            password: Password::Hashed(&hash.password_hash),
            role: Role::User,
            display_name: registration.account_display_name.as_deref(),
            channel_name: registration.channel_name.as_deref(),
            channel_display_name: registration.channel_display_name.as_deref(),
            video_quota: -1,
            video_quota_daily: -1,
        },
    )
    .await
    .map_err(|e| match e {
        CreateUserError::Taken(what) => RegistrationError::Taken(what),
        CreateUserError::Domain(e) => RegistrationError::Domain(e),
    })?;
    ports
        .sql
        .execute(
            Statement::new(
                "UPDATE user_registrations SET state = ?2, moderation_response = ?3, user_id = ?4, updated_at = ?5, \
                 password_hash = '' WHERE id = ?1",
            )
            .bind(registration.id)
            .bind(state::ACCEPTED)
            .bind(response)
            .bind(user.id)
            .bind(ports.clock.now_millis()),
        )
        .await?;
    Ok(())
}

/// Rejects a pending request.
pub async fn reject(
    ports: &Ports<'_>,
    registration: &Registration,
    response: &str,
) -> Result<(), RegistrationError> {
    if registration.state != state::PENDING {
        return Err(RegistrationError::AlreadyProcessed);
    }
    ports
        .sql
        .execute(
            Statement::new(
                "UPDATE user_registrations SET state = ?2, moderation_response = ?3, updated_at = ?4, password_hash = '' \
                 WHERE id = ?1",
            )
            .bind(registration.id)
            .bind(state::REJECTED)
            .bind(response)
            .bind(ports.clock.now_millis()),
        )
        .await?;
    Ok(())
}

/// Deletes a request, whatever its state.
pub async fn delete(sql: &dyn Sql, id: i64) -> Result<(), DomainError> {
    sql.execute(Statement::new("DELETE FROM user_registrations WHERE id = ?1").bind(id)).await?;
    Ok(())
}
