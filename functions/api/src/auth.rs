//! OAuth: `GET /oauth-clients/local`, `POST /users/token`, `POST /users/revoke-token`.

use bytes::Bytes;
use edgetube_domain::oauth::{self, Client, IssuedTokens};
use edgetube_domain::users;
use http::{header, Response, StatusCode};
use serde_json::json;

use crate::context::Ctx;
use crate::{respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// `GET /api/v1/oauth-clients/local`: the public client, only to requests addressed to this
/// instance's own host (PeerTube refuses others with 403).
pub async fn local_client(ctx: &Ctx<'_>) -> Answer {
    let host = ctx.header("host").unwrap_or_default();
    if !host.eq_ignore_ascii_case(&ctx.config.origin.authority()) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            format!("Getting client tokens for host {host} is forbidden"),
        ));
    }
    let client = oauth::local_client(ctx.ports.sql)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("No local client"))?;
    respond::json(&json!({"client_id": client.client_id, "client_secret": client.client_secret}))
}

fn oauth_error(status: StatusCode, code: &'static str, detail: &str) -> Problem {
    Problem::new(status, detail).with_code(code)
}

fn token_response(ctx: &Ctx<'_>, tokens: &IssuedTokens) -> Answer {
    let now = ctx.ports.clock.now_millis();
    let mut response = respond::json(&json!({
        "token_type": "Bearer",
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": (tokens.access_expires_at - now) / 1000,
        "refresh_token_expires_in": (tokens.refresh_expires_at - now) / 1000,
    }))?;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `POST /api/v1/users/token`: the password and refresh-token grants.
pub async fn token(ctx: &Ctx<'_>) -> Answer {
    let form = ctx.form()?;
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let client = oauth::local_client(ctx.ports.sql).await.map_err(Problem::internal_from)?;
    let client: Client = match (client, field("client_id"), field("client_secret")) {
        (Some(client), Some(id), Some(secret))
            if client.client_id == id && client.client_secret == secret =>
        {
            client
        }
        _ => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "Invalid client: client is invalid",
            ))
        }
    };
    match field("grant_type") {
        Some("password") => {
            let (Some(username), Some(password)) = (field("username"), field("password")) else {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing parameter: `username` and `password` are required",
                ));
            };
            let user =
                users::authenticate(ctx.ports, username, password).await.map_err(Problem::internal_from)?;
            let Some(user) = user else {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid grant: user credentials are invalid",
                ));
            };
            let tokens = oauth::issue(ctx.ports, &client, user.id).await.map_err(Problem::internal_from)?;
            token_response(ctx, &tokens)
        }
        Some("refresh_token") => {
            let Some(refresh_token) = field("refresh_token") else {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing parameter: `refresh_token`",
                ));
            };
            match oauth::refresh(ctx.ports, &client, refresh_token).await.map_err(Problem::internal_from)? {
                Some(tokens) => token_response(ctx, &tokens),
                None => Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid grant: refresh token is invalid",
                )),
            }
        }
        _ => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type: `grant_type` is invalid",
        )),
    }
}

/// `POST /api/v1/users/revoke-token`: logout, revoking the token used.
pub async fn revoke(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    oauth::revoke(ctx.ports.sql, caller.token_id).await.map_err(Problem::internal_from)?;
    respond::json(&json!({}))
}
