//! `PUT /videos/{id}/rate` and `GET /users/me/videos/{id}/rating`.

use bytes::Bytes;
use edgetube_domain::ratings::{self, Rating};
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::validate::Checks;
use crate::videos::{check_can_see, find};
use crate::{accounts, respond, Problem};
use edgetube_federation::interactions;

type Answer = Result<Response<Bytes>, Problem>;

#[derive(Deserialize)]
struct Rate {
    rating: Option<Value>,
}

/// `PUT /api/v1/videos/{id}/rate` with `{"rating": "like" | "dislike" | "none"}` → 204.
pub async fn rate(ctx: &Ctx<'_>, id: &str) -> Answer {
    let caller = ctx.caller().await?;
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let body: Rate = ctx.json()?;
    let rating = body.rating.as_ref().and_then(Value::as_str).and_then(Rating::parse);
    let Some(rating) = rating else {
        let mut checks = Checks::default();
        checks.invalid("rating", body.rating.unwrap_or(Value::Null), "Should have a valid rate type");
        return Err(checks.finish().err().unwrap_or_else(Problem::internal));
    };
    let previous =
        ratings::of(ctx.ports.sql, video.id, caller.user.account_id).await.map_err(Problem::internal_from)?;
    ratings::rate(ctx.ports, video.id, caller.user.account_id, rating, None)
        .await
        .map_err(Problem::internal_from)?;
    let account = accounts::of_caller(ctx, &caller).await?;
    interactions::rated(ctx.ports, ctx.config, &account, &video, previous, rating)
        .await
        .map_err(accounts::federation_problem)?;
    Ok(respond::no_content())
}

/// `GET /api/v1/users/me/videos/{videoId}/rating`
pub async fn my_rating(ctx: &Ctx<'_>, id: &str) -> Answer {
    let caller = ctx.caller().await?;
    let video = find(ctx, id).await?;
    let rating =
        ratings::of(ctx.ports.sql, video.id, caller.user.account_id).await.map_err(Problem::internal_from)?;
    respond::json(&json!({"videoId": video.id, "rating": rating.as_str()}))
}
