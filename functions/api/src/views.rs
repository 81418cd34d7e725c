//! `POST /videos/{id}/views`: counted once per viewer per hour, aggregated before it reaches SQL;
//! a remote video's view is told to its origin instead.

use bytes::Bytes;
use edgetube_domain::views::{viewer_key, VIEW_WINDOW_SECONDS};
use edgetube_federation::interactions;
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
    let account = ctx.optional_caller().await?.map(|c| c.user.account_id);
    let key = viewer_key(
        video.id,
        account,
        rate_limit::client_address(ctx.request),
        ctx.header("user-agent").unwrap_or_default(),
    );
    let now = ctx.ports.clock.now_millis();
    if video.is_remote() {
        // Its count is its origin's (a local count would be overwritten by the next copy), so
        // the origin hears a View instead, once per viewer per hour as a local view counts. The
        // dedupe lives in KV, not the view counter, whose counts would land on the copy's row;
        // KV may forget or lag, which sends a View too many at worst.
        let seen = format!("views:sent:{key}");
        if matches!(ctx.ports.kv.get(&seen).await, Ok(None)) {
            let _ = ctx.ports.kv.put(&seen, b"1", Some(u64::from(VIEW_WINDOW_SECONDS))).await;
            // As below, a lost view never fails the request.
            let _ = interactions::viewed(ctx.ports, ctx.config, &video).await;
        }
        return Ok(respond::no_content());
    }
    // A counter that is down loses a view, never the request.
    let _ = ctx.ports.views.record(video.id, &key, VIEW_WINDOW_SECONDS, now).await;
    Ok(respond::no_content())
}
