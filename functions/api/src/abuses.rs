//! Abuse reports for moderators, in PeerTube's admin shape: `GET /api/v1/abuses` (newest first,
//! paged) and `PUT /api/v1/abuses/{id}` (accept or reject, with a moderation comment). Reports
//! arrive from other servers as `Flag`s (see `edgetube_federation::apply`).

use bytes::Bytes;
use edgetube_domain::iso8601_millis;
use edgetube_ports::Statement;
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::validate::Checks;
use crate::{pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// PeerTube's abuse states: (id, stored name, label).
const STATES: [(i64, &str, &str); 3] =
    [(1, "pending", "Pending"), (2, "rejected", "Rejected"), (3, "accepted", "Accepted")];

#[derive(Deserialize)]
struct Row {
    id: i64,
    reason: String,
    predefined_reasons: String,
    state: String,
    moderation_comment: Option<String>,
    reporter_ap_id: String,
    reporter_name: Option<String>,
    reporter_host: Option<String>,
    reporter_display_name: Option<String>,
    video_id: Option<i64>,
    video_uuid: Option<String>,
    video_name: Option<String>,
    comment_id: Option<i64>,
    account_id: Option<i64>,
    account_name: Option<String>,
    account_display_name: Option<String>,
    start_at: Option<i64>,
    end_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

fn state_json(state: &str) -> Value {
    let (id, _, label) = STATES.iter().find(|(_, name, _)| *name == state).copied().unwrap_or(STATES[0]);
    json!({"id": id, "label": label})
}

fn abuse_json(r: Row) -> Value {
    let reasons: Value = serde_json::from_str(&r.predefined_reasons).unwrap_or_else(|_| json!([]));
    json!({
        "id": r.id,
        "reason": r.reason,
        "predefinedReasons": reasons,
        "reporterAccount": {
            "url": r.reporter_ap_id,
            "name": r.reporter_name,
            "host": r.reporter_host,
            "displayName": r.reporter_display_name,
        },
        "state": state_json(&r.state),
        "moderationComment": r.moderation_comment,
        "video": r.video_id.filter(|_| r.comment_id.is_none()).map(|id| json!({
            "id": id, "uuid": r.video_uuid, "name": r.video_name,
            "startAt": r.start_at, "endAt": r.end_at, "deleted": r.video_uuid.is_none(),
        })),
        "comment": r.comment_id.map(|id| json!({
            "id": id, "video": {"id": r.video_id, "uuid": r.video_uuid, "name": r.video_name},
        })),
        "flaggedAccount": r.account_id.map(|id| json!({
            "id": id, "name": r.account_name, "displayName": r.account_display_name,
        })),
        "createdAt": iso8601_millis(r.created_at),
        "updatedAt": iso8601_millis(r.updated_at),
    })
}

/// `GET /api/v1/abuses` → `{total, data}`, moderators only.
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    let page = pagination::page(ctx)?;
    let total: Option<Count> = ctx
        .ports
        .sql
        .fetch_optional(Statement::new("SELECT COUNT(*) AS n FROM abuses"))
        .await
        .map_err(Problem::internal_from)?;
    let rows: Vec<Row> = ctx
        .ports
        .sql
        .fetch_all(
            Statement::new(
                "SELECT a.id, a.reason, a.predefined_reasons, a.state, a.moderation_comment, a.reporter_ap_id, \
                 r.username AS reporter_name, r.host AS reporter_host, r.display_name AS reporter_display_name, \
                 a.video_id, v.uuid AS video_uuid, v.name AS video_name, a.comment_id, a.account_id, \
                 f.username AS account_name, f.display_name AS account_display_name, a.start_at, a.end_at, \
                 a.created_at, a.updated_at \
                 FROM abuses a LEFT JOIN actors r ON r.id = a.reporter_actor_id \
                 LEFT JOIN videos v ON v.id = a.video_id LEFT JOIN actors f ON f.id = a.account_id \
                 ORDER BY a.id DESC LIMIT ?1 OFFSET ?2",
            )
            .bind(page.count)
            .bind(page.start),
        )
        .await
        .map_err(Problem::internal_from)?;
    respond::json(&pagination::list(total.map_or(0, |c| c.n), rows.into_iter().map(abuse_json).collect()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    state: Option<Value>,
    moderation_comment: Option<String>,
}

/// `PUT /api/v1/abuses/{id}` with `{state?, moderationComment?}` → 204, or 404.
pub async fn update(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.moderator().await?;
    let id: i64 = id.parse().map_err(|_| Problem::not_found("Abuse not found"))?;
    let body: Change = ctx.json()?;
    let state = match &body.state {
        None => None,
        Some(value) => {
            let found = value.as_i64().and_then(|n| STATES.iter().find(|(s, _, _)| *s == n));
            let Some((_, name, _)) = found else {
                let mut checks = Checks::default();
                checks.invalid("state", value.clone(), "Should have a valid abuse state");
                return Err(checks.finish().err().unwrap_or_else(Problem::internal));
            };
            Some(*name)
        }
    };
    let changed = ctx
        .ports
        .sql
        .execute(
            Statement::new(
                "UPDATE abuses SET state = COALESCE(?2, state), \
                 moderation_comment = COALESCE(?3, moderation_comment), updated_at = ?4 WHERE id = ?1",
            )
            .bind(id)
            .bind(state)
            .bind(body.moderation_comment)
            .bind(ctx.ports.clock.now_millis()),
        )
        .await
        .map_err(Problem::internal_from)?;
    if changed == 0 {
        return Err(Problem::not_found("Abuse not found"));
    }
    Ok(respond::no_content())
}
