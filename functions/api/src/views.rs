//! `POST /videos/{id}/views`: counted once per viewer per hour, aggregated before it reaches SQL.

use bytes::Bytes;
use edgetube_domain::views::{viewer_key, VIEW_WINDOW_SECONDS};
use http::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::context::Ctx;
use crate::validate::Checks;
use crate::videos::{check_can_see, find};
use crate::{rate_limit, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct View {
    current_time: Option<Value>,
    view_event: Option<Value>,
}

/// `POST /api/v1/videos/{id}/views` with `{currentTime, viewEvent?}` → 204.
pub async fn add(ctx: &Ctx<'_>, id: &str) -> Answer {
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let body: View = ctx.json()?;
    let mut checks = Checks::default();
    if !body.current_time.as_ref().and_then(Value::as_f64).is_some_and(|t| t >= 0.0) {
        checks.invalid(
            "currentTime",
            body.current_time.clone().unwrap_or(Value::Null),
            "Should have a valid current time",
        );
    }
    if body.view_event.as_ref().is_some_and(|e| e.as_str() != Some("seek")) {
        checks.invalid(
            "viewEvent",
            body.view_event.clone().unwrap_or(Value::Null),
            "Should have a valid view event",
        );
    }
    checks.finish()?;
    if video.is_remote() {
        // Its count is its origin's, refreshed with each copy we receive; a local view would be
        // overwritten. (Sending PeerTube's `View` to the origin is for later.)
        return Ok(respond::no_content());
    }
    let account = ctx.optional_caller().await?.map(|c| c.user.account_id);
    let key = viewer_key(
        video.id,
        account,
        rate_limit::client_address(ctx.request),
        ctx.header("user-agent").unwrap_or_default(),
    );
    // A counter that is down loses a view, never the request.
    let _ = ctx.ports.views.record(video.id, &key, VIEW_WINDOW_SECONDS, ctx.ports.clock.now_millis()).await;
    Ok(respond::no_content())
}
