//! A user's subscriptions (`/api/v1/users/me/subscriptions...`): channels (and accounts) their
//! account follows, local or on other servers. A remote subscription is a Follow sent from the
//! user's account; it counts once the channel's server accepts it.

use std::collections::BTreeMap;

use bytes::Bytes;
use edgetube_domain::actors::{self, LocalActor};
use edgetube_domain::follows::{self, FollowState};
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_federation::following::{self, Followed};
use edgetube_federation::remote;
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::channels::Owners;
use crate::context::Ctx;
use crate::{accounts, dto, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// A subscription's target: one of ours or a remote actor.
enum Target {
    Local(LocalActor),
    Remote(RemoteActor),
}

impl Target {
    fn followed(&self) -> Followed<'_> {
        match self {
            Self::Local(actor) => Followed::Local(actor),
            Self::Remote(actor) => Followed::Remote(actor),
        }
    }
}

/// The local actor or the (resolved, stored) remote actor `handle` names (`name`, `name@host`).
async fn resolve(ctx: &Ctx<'_>, handle: &str) -> Result<Target, Problem> {
    let handle = handle.trim().trim_start_matches('@');
    if let Some(name) = accounts::local_name(ctx, handle) {
        return actors::find_local(ctx.ports.sql, &name)
            .await
            .map_err(Problem::internal_from)?
            .map(Target::Local)
            .ok_or_else(|| Problem::not_found(format!("No channel or account named {name} here")));
    }
    remote::resolve_handle(ctx.ports, ctx.config, handle)
        .await
        .map(Target::Remote)
        .map_err(accounts::federation_problem)
}

/// The stored target of `handle`, without fetching anything.
async fn known(ctx: &Ctx<'_>, handle: &str) -> Result<Option<Target>, Problem> {
    let handle = handle.trim().trim_start_matches('@').replace("%40", "@");
    if let Some(name) = accounts::local_name(ctx, &handle) {
        return Ok(actors::find_local(ctx.ports.sql, &name)
            .await
            .map_err(Problem::internal_from)?
            .map(Target::Local));
    }
    let Some((name, host)) = handle.split_once('@') else { return Ok(None) };
    Ok(remote_actors::find_by_handle(ctx.ports.sql, name, host)
        .await
        .map_err(Problem::internal_from)?
        .map(Target::Remote))
}

async fn my_account(ctx: &Ctx<'_>) -> Result<LocalActor, Problem> {
    let caller = ctx.caller().await?;
    let found = actors::find_local_by_ids(ctx.ports.sql, &[caller.user.account_id])
        .await
        .map_err(Problem::internal_from)?;
    found.into_iter().next().ok_or_else(|| Problem::internal_from("the caller's account is missing"))
}

#[derive(Deserialize)]
struct Subscribe {
    uri: Option<String>,
}

/// `POST /api/v1/users/me/subscriptions` with `{"uri": "name@host"}` → 204.
pub async fn subscribe(ctx: &Ctx<'_>) -> Answer {
    let account = my_account(ctx).await?;
    let body: Subscribe = ctx.json()?;
    let uri = body.uri.filter(|u| !u.trim().is_empty() && u.len() <= 1000).ok_or_else(|| {
        Problem::bad_request("Incorrect request parameters: uri").with_invalid_param(
            "uri",
            json!(null),
            "Should have a valid uri",
            "body",
        )
    })?;
    let target = resolve(ctx, &uri).await?;
    if matches!(&target, Target::Local(local) if local.id == account.id) {
        return Err(Problem::bad_request("You cannot subscribe to yourself"));
    }
    following::follow(ctx.ports, ctx.config, &account, target.followed())
        .await
        .map_err(accounts::federation_problem)?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/users/me/subscriptions/{handle}` → 204, or 404 when not subscribed.
pub async fn unsubscribe(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let account = my_account(ctx).await?;
    let not_found = || Problem::not_found("Subscription not found");
    let target = known(ctx, handle).await?.ok_or_else(not_found)?;
    let removed = following::unfollow(ctx.ports, ctx.config, &account, target.followed())
        .await
        .map_err(accounts::federation_problem)?;
    if removed {
        Ok(respond::no_content())
    } else {
        Err(not_found())
    }
}

/// The JSON of a followed actor (a channel as PeerTube lists subscriptions).
async fn target_json(ctx: &Ctx<'_>, owners: &mut Owners, id: i64) -> Result<Option<Value>, Problem> {
    if let Some(local) =
        actors::find_local_by_ids(ctx.ports.sql, &[id]).await.map_err(Problem::internal_from)?.pop()
    {
        return Ok(Some(if local.owner_username.is_some() {
            owners.channel_json(ctx, &local).await?
        } else {
            dto::account(&ctx.config.origin, &local, None)
        }));
    }
    let Some(remote) = remote_actors::find_by_id(ctx.ports.sql, id).await.map_err(Problem::internal_from)?
    else {
        return Ok(None);
    };
    let owner = match remote.owner_id {
        Some(owner) => {
            remote_actors::find_by_id(ctx.ports.sql, owner).await.map_err(Problem::internal_from)?
        }
        None => None,
    };
    Ok(Some(dto::remote_channel(&remote, owner.as_ref().map(dto::remote_account))))
}

/// `GET /api/v1/users/me/subscriptions` → `{total, data: [VideoChannel]}` (accepted ones and
/// those still awaiting their Accept, as PeerTube lists them).
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    let account = my_account(ctx).await?;
    let page = pagination::page(ctx)?;
    let (total, rows) = follows::list_following(ctx.ports.sql, account.id, page.start, page.count)
        .await
        .map_err(Problem::internal_from)?;
    let mut owners = Owners::default();
    let mut data = Vec::with_capacity(rows.len());
    for follow in &rows {
        if let Some(json) = target_json(ctx, &mut owners, follow.following_id).await? {
            data.push(json);
        }
    }
    respond::json(&pagination::list(total, data))
}

/// `GET /api/v1/users/me/subscriptions/{handle}` → the channel, or 404 when not subscribed.
pub async fn get(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let account = my_account(ctx).await?;
    let not_found = || Problem::not_found("Subscription not found");
    let target = known(ctx, handle).await?.ok_or_else(not_found)?;
    let id = match &target {
        Target::Local(actor) => actor.id,
        Target::Remote(actor) => actor.id,
    };
    follows::find(ctx.ports.sql, account.id, id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(not_found)?;
    let json = target_json(ctx, &mut Owners::default(), id).await?.ok_or_else(not_found)?;
    respond::json(&json)
}

/// `GET /api/v1/users/me/subscriptions/exist?uris=a@h&uris=b@h` → `{"a@h": true, "b@h": false}`
/// (true once accepted).
pub async fn exist(ctx: &Ctx<'_>) -> Answer {
    let account = my_account(ctx).await?;
    let uris = ctx.query_all("uris");
    if uris.is_empty() || uris.len() > 100 {
        return Err(Problem::bad_request("Incorrect request parameters: uris").with_invalid_param(
            "uris",
            json!(uris),
            "Should have a valid array of uris (1 to 100)",
            "query",
        ));
    }
    let mut answer = BTreeMap::new();
    for uri in uris {
        let subscribed = match known(ctx, &uri).await? {
            Some(target) => {
                let id = match &target {
                    Target::Local(actor) => actor.id,
                    Target::Remote(actor) => actor.id,
                };
                follows::find(ctx.ports.sql, account.id, id)
                    .await
                    .map_err(Problem::internal_from)?
                    .is_some_and(|f| f.state == FollowState::Accepted)
            }
            None => false,
        };
        answer.insert(uri, subscribed);
    }
    respond::json(&answer)
}
