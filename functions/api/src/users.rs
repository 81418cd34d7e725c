//! Users: `users/me`, registration, and the administrators' user management.

use bytes::Bytes;
use edgetube_domain::users::{self, CreateUserError, NewUser, Password, Role, User};
use edgetube_domain::{actors, iso8601_millis, SignupPolicy};
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::context::Ctx;
use crate::validate::Checks;
use crate::{dto, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// Preferences `PUT /users/me` may change, with PeerTube's defaults.
const PREFERENCE_DEFAULTS: [(&str, Value); 9] = [
    ("theme", Value::Null),
    ("nsfwPolicy", Value::Null),
    ("p2pEnabled", Value::Bool(true)),
    ("videosHistoryEnabled", Value::Bool(true)),
    ("autoPlayVideo", Value::Bool(true)),
    ("autoPlayNextVideo", Value::Bool(false)),
    ("autoPlayNextVideoPlaylist", Value::Bool(true)),
    ("videoLanguages", Value::Null),
    ("emailPublic", Value::Bool(false)),
];

fn preferences(user: &User) -> Map<String, Value> {
    let stored: Map<String, Value> = serde_json::from_str(&user.preferences).unwrap_or_default();
    PREFERENCE_DEFAULTS
        .iter()
        .map(|(key, default)| {
            let value = stored.get(*key).cloned().unwrap_or_else(|| match *key {
                "theme" => json!("instance-default"),
                "nsfwPolicy" => json!("display"),
                _ => default.clone(),
            });
            ((*key).to_owned(), value)
        })
        .collect()
}

async fn account_of(ctx: &Ctx<'_>, user: &User) -> Result<(Value, Vec<Value>), Problem> {
    let account = actors::find_local(ctx.ports.sql, &user.username)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from(format!("user {} has no account", user.username)))?;
    let channels = actors::channels_of(ctx.ports.sql, account.id).await.map_err(Problem::internal_from)?;
    let origin = &ctx.config.origin;
    Ok((
        dto::account(origin, &account, Some(user.id)),
        channels.iter().map(|c| dto::channel(origin, c, None)).collect(),
    ))
}

/// A `User` as PeerTube's `GET /users/me` and the admin endpoints show it.
pub async fn user_json(ctx: &Ctx<'_>, user: &User) -> Result<Value, Problem> {
    let (account, channels) = account_of(ctx, user).await?;
    let role = user.role();
    let mut value = json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "pendingEmail": null,
        "emailVerified": true,
    });
    let object = value.as_object_mut().ok_or_else(Problem::internal)?;
    object.extend(preferences(user));
    object.extend(
        json!({
            "role": {"id": role as i64, "label": role.label()},
            "videoQuota": user.video_quota,
            "videoQuotaDaily": user.video_quota_daily,
            "noInstanceConfigWarningModal": true,
            "noWelcomeModal": true,
            "noAccountSetupWarningModal": true,
            "blocked": user.blocked != 0,
            "blockedReason": user.blocked_reason,
            "account": account,
            "notificationSettings": {},
            "videoChannels": channels,
            "createdAt": iso8601_millis(user.created_at),
            "pluginAuth": null,
            "lastLoginDate": user.last_login_at.map(iso8601_millis),
            "twoFactorEnabled": false,
            "adminFlags": 0,
            "specialPlaylists": [],
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    Ok(value)
}

/// PeerTube's rules for the preferences a user sets.
fn preference_is_valid(key: &str, value: &Value) -> bool {
    match key {
        "nsfwPolicy" => matches!(value.as_str(), Some("display" | "blur" | "do_not_list")),
        "theme" => value.as_str().is_some_and(|t| !t.is_empty() && t.len() <= 50),
        "videoLanguages" => {
            value.is_null()
                || value.as_array().is_some_and(|langs| {
                    langs.len() <= 20
                        && langs.iter().all(|l| l.as_str().is_some_and(|l| (2..=8).contains(&l.len())))
                })
        }
        _ => value.is_boolean(),
    }
}

/// `GET /api/v1/users/me`
pub async fn me(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    respond::json(&user_json(ctx, &caller.user).await?)
}

/// `GET /api/v1/users/me/video-quota-used`
pub async fn quota_used(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let day_ago = ctx.ports.clock.now_millis() - 24 * 3600 * 1000;
    let (used, daily) = edgetube_domain::videos::quota_used(ctx.ports.sql, caller.user.account_id, day_ago)
        .await
        .map_err(Problem::internal_from)?;
    respond::json(&json!({"videoQuotaUsed": used, "videoQuotaUsedDaily": daily}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateMe {
    display_name: Option<String>,
    description: Option<String>,
    password: Option<String>,
    current_password: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// `PUT /api/v1/users/me`
pub async fn update_me(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let body: UpdateMe = ctx.json()?;
    let mut checks = Checks::default();
    if let Some(name) = &body.display_name {
        checks.length("displayName", name, 1, 120, "Should have a valid display name");
    }
    if let Some(description) = &body.description {
        checks.length("description", description, 3, 1000, "Should have a valid account description");
    }
    if let Some(password) = &body.password {
        checks.length("password", password, 6, 255, "Should have a valid password");
    }
    let mut stored = preferences(&caller.user);
    for (key, value) in body.rest {
        if !PREFERENCE_DEFAULTS.iter().any(|(k, _)| *k == key) {
            continue;
        }
        if preference_is_valid(&key, &value) {
            stored.insert(key, value);
        } else {
            checks.invalid(&key, value, &format!("Should have a valid {key}"));
        }
    }
    checks.finish()?;

    if let Some(password) = &body.password {
        let current = body.current_password.as_deref().unwrap_or_default();
        let matches = users::password_matches(ctx.ports, caller.user.id, current)
            .await
            .map_err(Problem::internal_from)?;
        if !matches {
            return Err(Problem::new(StatusCode::UNAUTHORIZED, "currentPassword is invalid."));
        }
        users::set_password(ctx.ports, caller.user.id, password, users::Sessions::EndOthers)
            .await
            .map_err(Problem::internal_from)?;
    }
    users::update_profile(
        ctx.ports,
        &caller.user,
        body.display_name.as_deref(),
        body.description.as_deref(),
        &Value::Object(stored).to_string(),
    )
    .await
    .map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// What every way of creating a user starts from (signup, admin creation, signup requests).
#[derive(Deserialize)]
pub(crate) struct Credentials {
    username: Option<String>,
    password: Option<String>,
    email: Option<String>,
}

/// [`Credentials`] that passed PeerTube's checks.
pub(crate) struct CheckedCredentials {
    pub username: String,
    pub password: String,
    pub email: String,
}

impl Credentials {
    /// Unpacks the fields, adding each refusal to `checks`.
    pub(crate) fn check(self, checks: &mut Checks) -> CheckedCredentials {
        let fields = CheckedCredentials {
            username: self.username.unwrap_or_default(),
            password: self.password.unwrap_or_default(),
            email: self.email.unwrap_or_default(),
        };
        checks.username("username", &fields.username);
        checks.length("password", &fields.password, 6, 255, "Should have a valid password");
        checks.email("email", &fields.email);
        fields
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Registration {
    #[serde(flatten)]
    credentials: Credentials,
    display_name: Option<String>,
    channel: Option<ChannelName>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelName {
    name: Option<String>,
    display_name: Option<String>,
}

fn created(result: Result<User, CreateUserError>) -> Result<User, Problem> {
    result.map_err(|e| match e {
        CreateUserError::Taken(what) => Problem::new(
            StatusCode::CONFLICT,
            format!("User with this username or email already exists ({what})"),
        ),
        CreateUserError::Domain(e) => Problem::internal_from(e),
    })
}

/// `POST /api/v1/users/register`, open only when the instance allows signups.
pub async fn register(ctx: &Ctx<'_>) -> Answer {
    match ctx.config.signup {
        SignupPolicy::Open => {}
        SignupPolicy::Closed => {
            return Err(Problem::new(StatusCode::FORBIDDEN, "User registration is not enabled."))
        }
        SignupPolicy::RequiresApproval => {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "Signup requires approval: send a request to /api/v1/users/registrations/request",
            ))
        }
    }
    let body: Registration = ctx.json()?;
    let mut checks = Checks::default();
    let CheckedCredentials { username, password, email } = body.credentials.check(&mut checks);
    let (channel_name, channel_display) =
        body.channel.map(|c| (c.name, c.display_name)).unwrap_or((None, None));
    if let Some(name) = &channel_name {
        checks.username("channel.name", name);
    }
    checks.display_name("displayName", body.display_name.as_deref());
    checks.display_name("channel.displayName", channel_display.as_deref());
    checks.finish()?;
    created(
        users::create(
            ctx.ports,
            ctx.config,
            &NewUser {
                username: &username,
                email: &email,
                password: Password::Clear(&password),
                role: Role::User,
                display_name: body.display_name.as_deref(),
                channel_name: channel_name.as_deref(),
                channel_display_name: channel_display.as_deref(),
                video_quota: -1,
                video_quota_daily: -1,
            },
        )
        .await,
    )?;
    Ok(respond::no_content())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminCreate {
    #[serde(flatten)]
    credentials: Credentials,
    role: Option<i64>,
    video_quota: Option<i64>,
    video_quota_daily: Option<i64>,
    channel_name: Option<String>,
}

/// `POST /api/v1/users` (administrators).
pub async fn create(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.admin().await?;
    let body: AdminCreate = ctx.json()?;
    let mut checks = Checks::default();
    let CheckedCredentials { username, password, email } = body.credentials.check(&mut checks);
    let role = body.role.and_then(Role::from_id);
    if role.is_none() {
        checks.invalid("role", json!(body.role), "Should have a valid role");
    }
    if let Some(name) = &body.channel_name {
        checks.username("channelName", name);
    }
    check_quota(&mut checks, "videoQuota", body.video_quota);
    check_quota(&mut checks, "videoQuotaDaily", body.video_quota_daily);
    checks.finish()?;
    let role = role.unwrap_or(Role::User);
    if role == Role::Administrator && caller.user.role() != Role::Administrator {
        return Err(Problem::new(StatusCode::FORBIDDEN, "Cannot create an administrator"));
    }
    let user = created(
        users::create(
            ctx.ports,
            ctx.config,
            &NewUser {
                username: &username,
                email: &email,
                password: Password::Clear(&password),
                role,
                display_name: None,
                channel_name: body.channel_name.as_deref(),
                channel_display_name: None,
                video_quota: body.video_quota.unwrap_or(-1),
                video_quota_daily: body.video_quota_daily.unwrap_or(-1),
            },
        )
        .await,
    )?;
    respond::json(&json!({"user": {"id": user.id, "account": {"id": user.account_id}}}))
}

/// `GET /api/v1/users` (moderators).
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    let page = pagination::page(ctx)?;
    let order = pagination::sort(
        ctx,
        &[
            ("id", "id"),
            ("username", "username"),
            ("createdAt", "created_at"),
            ("lastLoginDate", "last_login_at"),
        ],
        "-createdAt",
    )?;
    let (total, rows) =
        users::list(ctx.ports.sql, &order, page.start, page.count).await.map_err(Problem::internal_from)?;
    let mut data = Vec::with_capacity(rows.len());
    for user in &rows {
        data.push(user_json(ctx, user).await?);
    }
    respond::json(&pagination::list(total, data))
}

async fn user_by_id(ctx: &Ctx<'_>, id: &str) -> Result<User, Problem> {
    let id: i64 = id.parse().map_err(|_| Problem::bad_request("Incorrect request parameters: id"))?;
    users::find_by_id(ctx.ports.sql, id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("User not found"))
}

/// `GET /api/v1/users/{id}` (moderators).
pub async fn get(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.moderator().await?;
    let user = user_by_id(ctx, id).await?;
    respond::json(&user_json(ctx, &user).await?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminUpdate {
    email: Option<String>,
    password: Option<String>,
    role: Option<i64>,
    video_quota: Option<i64>,
    video_quota_daily: Option<i64>,
}

/// `PUT /api/v1/users/{id}` (administrators).
pub async fn update(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.admin().await?;
    let user = user_by_id(ctx, id).await?;
    let body: AdminUpdate = ctx.json()?;
    let mut checks = Checks::default();
    if let Some(email) = &body.email {
        checks.email("email", email);
    }
    if let Some(password) = &body.password {
        checks.length("password", password, 6, 255, "Should have a valid password");
    }
    if body.role.is_some_and(|r| Role::from_id(r).is_none()) {
        checks.invalid("role", json!(body.role), "Should have a valid role");
    }
    check_quota(&mut checks, "videoQuota", body.video_quota);
    check_quota(&mut checks, "videoQuotaDaily", body.video_quota_daily);
    checks.finish()?;
    if user.username == edgetube_domain::ADMIN_USERNAME && body.role.is_some_and(|r| r != user.role) {
        return Err(Problem::bad_request("Cannot change root role."));
    }
    if let Some(password) = &body.password {
        users::set_password(ctx.ports, user.id, password, users::Sessions::Keep)
            .await
            .map_err(Problem::internal_from)?;
    }
    users::update_admin_fields(
        ctx.ports.sql,
        &user,
        body.email.as_deref(),
        body.role,
        body.video_quota,
        body.video_quota_daily,
    )
    .await
    .map_err(|e| match e {
        edgetube_domain::DomainError::Port(edgetube_ports::PortError::Conflict { .. }) => {
            Problem::new(StatusCode::CONFLICT, "User with this email already exists")
        }
        e => Problem::internal_from(e),
    })?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/users/{id}` (administrators; never the bootstrapped `root`).
pub async fn delete(ctx: &Ctx<'_>, id: &str) -> Answer {
    let caller = ctx.admin().await?;
    let user = user_by_id(ctx, id).await?;
    if user.username == edgetube_domain::ADMIN_USERNAME || user.id == caller.user.id {
        return Err(Problem::new(StatusCode::BAD_REQUEST, "Cannot remove the root user or yourself"));
    }
    // The account and its channels tell their remote followers first, while their keys exist.
    let mut leaving =
        actors::find_local_by_ids(ctx.ports.sql, &[user.account_id]).await.map_err(Problem::internal_from)?;
    leaving
        .extend(actors::channels_of(ctx.ports.sql, user.account_id).await.map_err(Problem::internal_from)?);
    edgetube_federation::departure::actors_leaving(ctx.ports, ctx.config, &leaving)
        .await
        .map_err(crate::videos::unannounced)?;
    users::delete(ctx.ports.sql, &user).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// A quota is -1 (unlimited) or a byte count, as PeerTube bounds it, and at most 2^53 - 1: D1
/// returns numbers as JavaScript doubles, so a larger one would come back as a float that no
/// later read of the user accepts (schemathesis once stored -1.06e17 and broke 14 routes).
fn check_quota(checks: &mut Checks, name: &str, quota: Option<i64>) {
    const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
    if quota.is_some_and(|q| !(-1..=MAX_SAFE_INTEGER).contains(&q)) {
        checks.invalid(name, json!(quota), "Should have a valid video quota");
    }
}
