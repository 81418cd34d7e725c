//! `GET /api/v1/users/scoped-tokens` → `{feedToken}` and `POST` (renews it): the token of the
//! caller's subscriptions feed (`/feeds/subscriptions.*?accountId=&token=`, `edgetube-syndication`).

use bytes::Bytes;
use edgetube_domain::feed_tokens;
use http::Response;
use serde_json::json;

use crate::context::Ctx;
use crate::{respond, Problem};

/// `GET /api/v1/users/scoped-tokens`: the caller's feed token, made on first request.
pub async fn get(ctx: &Ctx<'_>) -> Result<Response<Bytes>, Problem> {
    let caller = ctx.caller().await?;
    let token =
        feed_tokens::get_or_create(ctx.ports, caller.user.id).await.map_err(Problem::internal_from)?;
    respond::json(&json!({"feedToken": token}))
}

/// `POST /api/v1/users/scoped-tokens`: a new feed token; the old one stops working at once.
pub async fn renew(ctx: &Ctx<'_>) -> Result<Response<Bytes>, Problem> {
    let caller = ctx.caller().await?;
    let token = feed_tokens::renew(ctx.ports, caller.user.id).await.map_err(Problem::internal_from)?;
    respond::json(&json!({"feedToken": token}))
}
