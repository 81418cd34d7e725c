//! Blocklists: the instance's (`/api/v1/server/blocklist/{servers,accounts}`, moderators only)
//! and each user's own (`/api/v1/users/me/blocklist/{servers,accounts}`).
//!
//! A server or account the instance blocks is not heard (inbox), not delivered to, its follows
//! end, and its videos and comments leave every listing. One a user blocks leaves only what that
//! user is shown (`edgetube_domain::blocks`), as PeerTube's account-level mutes do.

use bytes::Bytes;
use edgetube_domain::actors::{self, LocalActor};
use edgetube_domain::{iso8601_millis, remote_actors, INSTANCE_ACTOR_NAME};
use edgetube_ports::Statement;
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::{dto, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// Whose blocklist a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The instance's (moderators).
    Instance,
    /// The calling user's own.
    Me,
}

/// The owner's account, as `byAccount` shows it, and its id in `by_account_id` (`None`: the
/// instance's rows).
struct By {
    actor: LocalActor,
    account_id: Option<i64>,
}

impl By {
    async fn of(ctx: &Ctx<'_>, owner: Owner) -> Result<Self, Problem> {
        match owner {
            Owner::Instance => {
                ctx.moderator().await?;
                let actor = actors::find_local(ctx.ports.sql, INSTANCE_ACTOR_NAME)
                    .await
                    .map_err(Problem::internal_from)?
                    .ok_or_else(|| Problem::internal_from("the instance actor is missing"))?;
                Ok(Self { actor, account_id: None })
            }
            Owner::Me => {
                let caller = ctx.caller().await?;
                let actor = actors::find_local_by_ids(ctx.ports.sql, &[caller.user.account_id])
                    .await
                    .map_err(Problem::internal_from)?
                    .pop()
                    .ok_or_else(|| Problem::internal_from("the caller's account is missing"))?;
                Ok(Self { actor, account_id: Some(caller.user.account_id) })
            }
        }
    }

    fn json(&self, ctx: &Ctx<'_>) -> Value {
        dto::account(&ctx.config.origin, &self.actor, None)
    }
}

#[derive(Deserialize)]
struct ServerBlock {
    host: Option<String>,
}

#[derive(Deserialize)]
struct AccountBlock {
    #[serde(rename = "accountName")]
    account_name: Option<String>,
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

/// `POST .../blocklist/servers` with `{"host": "..."}` → 204. For the instance, follows with
/// the server's actors end here at once.
pub async fn block_server(ctx: &Ctx<'_>, owner: Owner) -> Answer {
    let by = By::of(ctx, owner).await?;
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
    let mut statements = vec![Statement::new(
        "INSERT OR IGNORE INTO server_blocks (by_account_id, host, created_at) VALUES (?1, ?2, ?3)",
    )
    .bind(by.account_id)
    .bind(host.as_str())
    .bind(now)];
    if owner == Owner::Instance {
        statements.push(
            Statement::new(
                "DELETE FROM actor_follows WHERE follower_id IN (SELECT id FROM actors WHERE host = ?1) \
                 OR following_id IN (SELECT id FROM actors WHERE host = ?1)",
            )
            .bind(host.as_str()),
        );
    }
    ctx.ports.sql.batch(statements).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `DELETE .../blocklist/servers/{host}` → 204, or 404.
pub async fn unblock_server(ctx: &Ctx<'_>, owner: Owner, host: &str) -> Answer {
    let by = By::of(ctx, owner).await?;
    let removed = ctx
        .ports
        .sql
        .execute(
            Statement::new("DELETE FROM server_blocks WHERE by_account_id IS ?1 AND host = ?2")
                .bind(by.account_id)
                .bind(host),
        )
        .await
        .map_err(Problem::internal_from)?;
    if removed > 0 {
        Ok(respond::no_content())
    } else {
        Err(Problem::not_found("Server block not found"))
    }
}

/// `GET .../blocklist/servers` → `{total, data: [{byAccount, blockedServer, createdAt}]}`.
pub async fn servers(ctx: &Ctx<'_>, owner: Owner) -> Answer {
    let by = By::of(ctx, owner).await?;
    #[derive(Deserialize)]
    struct Row {
        host: String,
        created_at: i64,
    }
    let (total, rows) = page::<Row>(ctx, &by, "server_blocks", "host, created_at").await?;
    let by_json = by.json(ctx);
    let data: Vec<Value> = rows
        .into_iter()
        .map(|r| json!({"byAccount": by_json, "blockedServer": {"host": r.host}, "createdAt": iso8601_millis(r.created_at)}))
        .collect();
    respond::json(&pagination::list(total, data))
}

/// The account `name@host` (a remote one) or, for a user's own list, `name` (a local one)
/// names; `None` when there is none.
async fn target(ctx: &Ctx<'_>, owner: Owner, name: &str) -> Result<Option<i64>, Problem> {
    let name = name.trim().trim_start_matches('@');
    match name.split_once('@') {
        Some((user, host)) if host == ctx.config.origin.authority() => {
            if owner == Owner::Me {
                local_account(ctx, user).await
            } else {
                Ok(None)
            }
        }
        Some((user, host)) => Ok(remote_actors::find_by_handle(ctx.ports.sql, user, host)
            .await
            .map_err(Problem::internal_from)?
            .map(|a| a.id)),
        None if owner == Owner::Me && !name.is_empty() => local_account(ctx, name).await,
        None => Ok(None),
    }
}

async fn local_account(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, Problem> {
    Ok(actors::find_local(ctx.ports.sql, name).await.map_err(Problem::internal_from)?.map(|a| a.id))
}

/// `POST .../blocklist/accounts` with `{"accountName": "name@host"}` → 204.
pub async fn block_account(ctx: &Ctx<'_>, owner: Owner) -> Answer {
    let by = By::of(ctx, owner).await?;
    let body: AccountBlock = ctx.json()?;
    let name = body.account_name.unwrap_or_default();
    let invalid = |why: &str| {
        Problem::bad_request("Incorrect request parameters: accountName").with_invalid_param(
            "accountName",
            json!(name),
            why,
            "body",
        )
    };
    let target = target(ctx, owner, &name)
        .await?
        .ok_or_else(|| invalid("Should have a known account name (name@host)"))?;
    if Some(target) == by.account_id {
        return Err(Problem::bad_request("You cannot block yourself"));
    }
    let now = ctx.ports.clock.now_millis();
    let mut statements = vec![Statement::new(
        "INSERT OR IGNORE INTO account_blocks (by_account_id, target_id, created_at) VALUES (?1, ?2, ?3)",
    )
    .bind(by.account_id)
    .bind(target)
    .bind(now)];
    if owner == Owner::Instance {
        statements.push(
            Statement::new("DELETE FROM actor_follows WHERE follower_id = ?1 OR following_id = ?1")
                .bind(target),
        );
    }
    ctx.ports.sql.batch(statements).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `DELETE .../blocklist/accounts/{name@host}` → 204, or 404.
pub async fn unblock_account(ctx: &Ctx<'_>, owner: Owner, handle: &str) -> Answer {
    let by = By::of(ctx, owner).await?;
    let handle = handle.replace("%40", "@");
    let not_found = || Problem::not_found("Account block not found");
    let target = target(ctx, owner, &handle).await?.ok_or_else(not_found)?;
    let removed = ctx
        .ports
        .sql
        .execute(
            Statement::new("DELETE FROM account_blocks WHERE by_account_id IS ?1 AND target_id = ?2")
                .bind(by.account_id)
                .bind(target),
        )
        .await
        .map_err(Problem::internal_from)?;
    if removed > 0 {
        Ok(respond::no_content())
    } else {
        Err(not_found())
    }
}

/// `GET .../blocklist/accounts` → `{total, data: [{byAccount, blockedAccount, createdAt}]}`.
pub async fn accounts_list(ctx: &Ctx<'_>, owner: Owner) -> Answer {
    let by = By::of(ctx, owner).await?;
    #[derive(Deserialize)]
    struct Row {
        target_id: i64,
        created_at: i64,
    }
    let (total, rows) = page::<Row>(ctx, &by, "account_blocks", "target_id, created_at").await?;
    let by_json = by.json(ctx);
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        let sql = ctx.ports.sql;
        let blocked =
            match remote_actors::find_by_id(sql, row.target_id).await.map_err(Problem::internal_from)? {
                Some(remote) => dto::remote_account(&remote),
                None => match actors::find_local_by_ids(sql, &[row.target_id])
                    .await
                    .map_err(Problem::internal_from)?
                    .pop()
                {
                    Some(local) => dto::account(&ctx.config.origin, &local, None),
                    None => continue,
                },
            };
        data.push(json!({"byAccount": by_json, "blockedAccount": blocked, "createdAt": iso8601_millis(row.created_at)}));
    }
    respond::json(&pagination::list(total, data))
}

/// A page of the owner's rows of blocklist `table` (newest first) and their total.
async fn page<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    by: &By,
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
        .fetch_optional(
            Statement::new(format!("SELECT COUNT(*) AS n FROM {table} WHERE by_account_id IS ?1"))
                .bind(by.account_id),
        )
        .await
        .map_err(Problem::internal_from)?;
    let rows = ctx
        .ports
        .sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {columns} FROM {table} WHERE by_account_id IS ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3"
            ))
            .bind(by.account_id)
            .bind(page.count)
            .bind(page.start),
        )
        .await
        .map_err(Problem::internal_from)?;
    Ok((total.map_or(0, |c| c.n), rows))
}
