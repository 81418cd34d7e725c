//! The instance's blocklists (`/api/v1/server/blocklist/{servers,accounts}`, moderators only):
//! a blocked server or account is not heard (inbox), not delivered to, and its follows end.

use bytes::Bytes;
use edgetube_domain::{actors, iso8601_millis, remote_actors, INSTANCE_ACTOR_NAME};
use edgetube_ports::Statement;
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::{dto, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

#[derive(Deserialize)]
struct ServerBlock {
    host: Option<String>,
}

#[derive(Deserialize)]
struct AccountBlock {
    #[serde(rename = "accountName")]
    account_name: Option<String>,
}

async fn instance_account(ctx: &Ctx<'_>) -> Result<Value, Problem> {
    let actor = actors::find_local(ctx.ports.sql, INSTANCE_ACTOR_NAME)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from("the instance actor is missing"))?;
    Ok(dto::account(&ctx.config.origin, &actor, None))
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

/// `POST /api/v1/server/blocklist/servers` with `{"host": "..."}` → 204. Follows with the
/// server's actors end here at once.
pub async fn block_server(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    let body: ServerBlock = ctx.json()?;
    let host =
        body.host.map(|h| h.trim().to_ascii_lowercase()).filter(|h| valid_host(h)).ok_or_else(|| {
            Problem::bad_request("Incorrect request parameters: host").with_invalid_param(
                "host",
                json!(null),
                "Should have a valid host",
                "body",
            )
        })?;
    if host == ctx.config.origin.authority() || host == ctx.config.origin.host() {
        return Err(Problem::bad_request("You cannot block your own server"));
    }
    let now = ctx.ports.clock.now_millis();
    ctx.ports
        .sql
        .batch(vec![
            Statement::new(
                "INSERT OR IGNORE INTO server_blocks (by_account_id, host, created_at) VALUES (NULL, ?1, ?2)",
            )
            .bind(host.as_str())
            .bind(now),
            Statement::new(
                "DELETE FROM actor_follows WHERE follower_id IN (SELECT id FROM actors WHERE host = ?1) \
                 OR following_id IN (SELECT id FROM actors WHERE host = ?1)",
            )
            .bind(host.as_str()),
        ])
        .await
        .map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/server/blocklist/servers/{host}` → 204, or 404.
pub async fn unblock_server(ctx: &Ctx<'_>, host: &str) -> Answer {
    ctx.moderator().await?;
    let removed = ctx
        .ports
        .sql
        .execute(
            Statement::new("DELETE FROM server_blocks WHERE by_account_id IS NULL AND host = ?1").bind(host),
        )
        .await
        .map_err(Problem::internal_from)?;
    if removed > 0 {
        Ok(respond::no_content())
    } else {
        Err(Problem::not_found("Server block not found"))
    }
}

/// `GET /api/v1/server/blocklist/servers` → `{total, data: [{byAccount, blockedServer, createdAt}]}`.
pub async fn servers(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    #[derive(Deserialize)]
    struct Row {
        host: String,
        created_at: i64,
    }
    let (total, rows) = instance_page::<Row>(ctx, "server_blocks", "host, created_at").await?;
    let by = instance_account(ctx).await?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|r| json!({"byAccount": by, "blockedServer": {"host": r.host}, "createdAt": iso8601_millis(r.created_at)}))
        .collect();
    respond::json(&pagination::list(total, data))
}

/// `POST /api/v1/server/blocklist/accounts` with `{"accountName": "name@host"}` → 204.
pub async fn block_account(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    let body: AccountBlock = ctx.json()?;
    let name = body.account_name.unwrap_or_default();
    let invalid = || {
        Problem::bad_request("Incorrect request parameters: accountName").with_invalid_param(
            "accountName",
            json!(name),
            "Should have a known remote account name (name@host)",
            "body",
        )
    };
    let (user, host) = name.trim().trim_start_matches('@').split_once('@').ok_or_else(invalid)?;
    let target = remote_actors::find_by_handle(ctx.ports.sql, user, host)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(invalid)?;
    let now = ctx.ports.clock.now_millis();
    ctx.ports
        .sql
        .batch(vec![
            Statement::new("INSERT OR IGNORE INTO account_blocks (by_account_id, target_id, created_at) VALUES (NULL, ?1, ?2)")
                .bind(target.id)
                .bind(now),
            Statement::new("DELETE FROM actor_follows WHERE follower_id = ?1 OR following_id = ?1").bind(target.id),
        ])
        .await
        .map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/server/blocklist/accounts/{name@host}` → 204, or 404.
pub async fn unblock_account(ctx: &Ctx<'_>, handle: &str) -> Answer {
    ctx.moderator().await?;
    let handle = handle.replace("%40", "@");
    let not_found = || Problem::not_found("Account block not found");
    let (user, host) = handle.split_once('@').ok_or_else(not_found)?;
    let target = remote_actors::find_by_handle(ctx.ports.sql, user, host)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(not_found)?;
    let removed = ctx
        .ports
        .sql
        .execute(
            Statement::new("DELETE FROM account_blocks WHERE by_account_id IS NULL AND target_id = ?1")
                .bind(target.id),
        )
        .await
        .map_err(Problem::internal_from)?;
    if removed > 0 {
        Ok(respond::no_content())
    } else {
        Err(not_found())
    }
}

/// `GET /api/v1/server/blocklist/accounts` → `{total, data: [{byAccount, blockedAccount, createdAt}]}`.
pub async fn accounts_list(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    #[derive(Deserialize)]
    struct Row {
        target_id: i64,
        created_at: i64,
    }
    let (total, rows) = instance_page::<Row>(ctx, "account_blocks", "target_id, created_at").await?;
    let by = instance_account(ctx).await?;
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(target) =
            remote_actors::find_by_id(ctx.ports.sql, row.target_id).await.map_err(Problem::internal_from)?
        {
            data.push(json!({"byAccount": by, "blockedAccount": dto::remote_account(&target), "createdAt": iso8601_millis(row.created_at)}));
        }
    }
    respond::json(&pagination::list(total, data))
}

/// A page of the instance's own rows of blocklist `table` (newest first) and their total.
async fn instance_page<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    table: &str,
    columns: &str,
) -> Result<(i64, Vec<T>), Problem> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let page = pagination::page(ctx)?;
    let total: Option<Count> = ctx
        .ports
        .sql
        .fetch_optional(Statement::new(format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE by_account_id IS NULL"
        )))
        .await
        .map_err(Problem::internal_from)?;
    let rows = ctx
        .ports
        .sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {columns} FROM {table} WHERE by_account_id IS NULL ORDER BY id DESC LIMIT ?1 OFFSET ?2"
            ))
            .bind(page.count)
            .bind(page.start),
        )
        .await
        .map_err(Problem::internal_from)?;
    Ok((total.map_or(0, |c| c.n), rows))
}
