//! Signup with approval: `POST /users/registrations/request`, and the moderators'
//! `GET /users/registrations`, `POST .../{id}/accept|reject`, `DELETE .../{id}`.

use bytes::Bytes;
use edgetube_domain::registrations::{self, state, NewRegistration, Registration, RegistrationError};
use edgetube_domain::{iso8601_millis, SignupPolicy};
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::users::{CheckedCredentials, Credentials};
use crate::validate::Checks;
use crate::{pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

fn state_label(state: i64) -> &'static str {
    match state {
        state::PENDING => "Pending",
        state::REJECTED => "Rejected",
        _ => "Accepted",
    }
}

fn to_json(r: &Registration) -> Value {
    json!({
        "id": r.id,
        "state": {"id": r.state, "label": state_label(r.state)},
        "registrationReason": r.registration_reason,
        "moderationResponse": r.moderation_response,
        "username": r.username,
        "email": r.email,
        "emailVerified": false,
        "accountDisplayName": r.account_display_name.as_deref().unwrap_or(&r.username),
        "channelHandle": r.channel_name,
        "channelDisplayName": r.channel_display_name,
        "createdAt": iso8601_millis(r.created_at),
        "updatedAt": iso8601_millis(r.updated_at),
        "user": r.user_id.map(|id| json!({"id": id})),
    })
}

fn problem(e: RegistrationError) -> Problem {
    match e {
        RegistrationError::Taken(what) => Problem::new(
            StatusCode::CONFLICT,
            format!("User with this username or email already exists ({what})"),
        ),
        RegistrationError::AlreadyProcessed => {
            Problem::new(StatusCode::CONFLICT, "This registration is already accepted or rejected")
        }
        RegistrationError::Domain(e) => Problem::internal_from(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(flatten)]
    credentials: Credentials,
    registration_reason: Option<String>,
    display_name: Option<String>,
    channel: Option<Channel>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Channel {
    name: Option<String>,
    display_name: Option<String>,
}

/// `POST /api/v1/users/registrations/request`
pub async fn request(ctx: &Ctx<'_>) -> Answer {
    if ctx.config.signup != SignupPolicy::RequiresApproval {
        return Err(Problem::bad_request("Signup approval is not enabled on this instance"));
    }
    let body: Request = ctx.json()?;
    let mut checks = Checks::default();
    let CheckedCredentials { username, password, email } = body.credentials.check(&mut checks);
    let reason = body.registration_reason.unwrap_or_default();
    let (channel_name, channel_display_name) =
        body.channel.map(|c| (c.name, c.display_name)).unwrap_or((None, None));
    checks.length("registrationReason", &reason, 2, 3000, "Should have a valid registration reason");
    if let Some(name) = &channel_name {
        checks.username("channel.name", name);
    }
    checks.display_name("displayName", body.display_name.as_deref());
    checks.display_name("channel.displayName", channel_display_name.as_deref());
    checks.finish()?;
    let registration = registrations::request(
        ctx.ports,
        &NewRegistration {
            username: &username,
            email: &email,
            password: &password,
            reason: &reason,
            display_name: body.display_name.as_deref(),
            channel_name: channel_name.as_deref(),
            channel_display_name: channel_display_name.as_deref(),
        },
    )
    .await
    .map_err(problem)?;
    respond::json(&to_json(&registration))
}

/// `GET /api/v1/users/registrations` (moderators).
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    let page = pagination::page(ctx)?;
    let order = pagination::sort(ctx, &[("createdAt", "created_at"), ("state", "state")], "-createdAt")?;
    let (total, rows) = registrations::list(ctx.ports.sql, &order, page.start, page.count)
        .await
        .map_err(Problem::internal_from)?;
    respond::json(&pagination::list(total, rows.iter().map(to_json).collect()))
}

async fn find(ctx: &Ctx<'_>, id: &str) -> Result<Registration, Problem> {
    let id: i64 =
        id.parse().map_err(|_| Problem::bad_request("Incorrect request parameters: registrationId"))?;
    registrations::find(ctx.ports.sql, id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("Registration not found"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decision {
    moderation_response: Option<String>,
}

fn response_of(ctx: &Ctx<'_>) -> Result<String, Problem> {
    let body: Decision = ctx.json()?;
    let response = body.moderation_response.unwrap_or_default();
    let mut checks = Checks::default();
    checks.length("moderationResponse", &response, 1, 3000, "Should have a valid moderation response");
    checks.finish()?;
    Ok(response)
}

/// `POST /api/v1/users/registrations/{id}/accept` (moderators): creates the user.
pub async fn accept(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.moderator().await?;
    let registration = find(ctx, id).await?;
    let response = response_of(ctx)?;
    registrations::accept(ctx.ports, ctx.config, &registration, &response).await.map_err(problem)?;
    Ok(respond::no_content())
}

/// `POST /api/v1/users/registrations/{id}/reject` (moderators).
pub async fn reject(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.moderator().await?;
    let registration = find(ctx, id).await?;
    let response = response_of(ctx)?;
    registrations::reject(ctx.ports, &registration, &response).await.map_err(problem)?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/users/registrations/{id}` (moderators).
pub async fn delete(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.moderator().await?;
    let registration = find(ctx, id).await?;
    registrations::delete(ctx.ports.sql, registration.id).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}
