//! Accounts: `GET /accounts/{name}` and the account's channels, plus the handle parsing and
//! account JSON that the channel endpoints share.

use bytes::Bytes;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::{remote_actors, users};
use http::Response;
use serde_json::Value;

use crate::context::Ctx;
use crate::{channels, dto, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// The local actor name in `handle` (`name` or `name@host`, `@` possibly percent-encoded), or
/// `None` when the handle names another host: remote actors are not fetched yet.
pub(crate) fn local_name(ctx: &Ctx<'_>, handle: &str) -> Option<String> {
    let handle = handle.replace("%40", "@");
    match handle.rsplit_once('@') {
        None => Some(handle),
        Some((name, host)) if host.eq_ignore_ascii_case(&ctx.config.origin.authority()) => {
            Some(name.to_owned())
        }
        Some(_) => None,
    }
}

/// The id of the actor of `kind` a handle names, local (`name`, `name@ourhost`) or remote
/// (`name@host`, known here already: nothing is fetched), for the video lists that accept both.
pub(crate) async fn any_actor_id(
    ctx: &Ctx<'_>,
    handle: &str,
    kind: ActorKind,
) -> Result<Option<i64>, Problem> {
    let sql = ctx.ports.sql;
    if let Some(name) = local_name(ctx, handle) {
        let actor = actors::find_local(sql, &name).await.map_err(Problem::internal_from)?;
        // The instance actor (an `Application`) has an account's routes.
        let matches = |a: &LocalActor| (a.kind == ActorKind::Group) == (kind == ActorKind::Group);
        return Ok(actor.filter(matches).map(|a| a.id));
    }
    let handle = handle.replace("%40", "@");
    let Some((name, host)) = handle.rsplit_once('@') else { return Ok(None) };
    let actor = remote_actors::find_by_handle(sql, name, host).await.map_err(Problem::internal_from)?;
    Ok(actor.filter(|a| (a.kind == ActorKind::Group) == (kind == ActorKind::Group)).map(|a| a.id))
}

/// The local account (a `Person`, or the instance's `Application`) for `handle`, or 404.
pub(crate) async fn find(ctx: &Ctx<'_>, handle: &str) -> Result<LocalActor, Problem> {
    let not_found = || Problem::not_found("Account not found");
    let name = local_name(ctx, handle).ok_or_else(not_found)?;
    actors::find_local(ctx.ports.sql, &name)
        .await
        .map_err(Problem::internal_from)?
        .filter(|actor| actor.kind != ActorKind::Group)
        .ok_or_else(not_found)
}

/// An `Account`, with `userId` when a local user logs in as it.
pub(crate) async fn account_json(ctx: &Ctx<'_>, account: &LocalActor) -> Result<Value, Problem> {
    let user = users::find_by_account(ctx.ports.sql, account.id).await.map_err(Problem::internal_from)?;
    Ok(dto::account(&ctx.config.origin, account, user.map(|u| u.id)))
}

/// `GET /api/v1/accounts/{name}`
pub async fn get(ctx: &Ctx<'_>, handle: &str) -> Answer {
    if let Some(remote) = crate::remote_lookup::by_handle(ctx, handle, ActorKind::Person).await? {
        let account = remote.ok_or_else(|| Problem::not_found("Account not found"))?;
        return respond::json(&crate::dto::remote_account(&account));
    }
    let account = find(ctx, handle).await?;
    respond::json(&account_json(ctx, &account).await?)
}

/// `GET /api/v1/accounts/{name}/video-channels`
pub async fn video_channels(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let account = find(ctx, handle).await?;
    channels::list_page(ctx, &edgetube_domain::channels::Filter::OwnedBy(account.id), "-createdAt").await
}

/// `GET /api/v1/accounts/{name}/videos`: the videos of the account's channels, for a local
/// account or a remote one known here.
pub async fn videos(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let id = any_actor_id(ctx, handle, ActorKind::Person)
        .await?
        .ok_or_else(|| Problem::not_found("Account not found"))?;
    crate::videos::list_videos(ctx, crate::videos::Scope::Account(id)).await
}

/// The local account of the logged-in `caller`.
pub(crate) async fn of_caller(ctx: &Ctx<'_>, caller: &crate::context::Caller) -> Result<LocalActor, Problem> {
    actors::find_local_by_ids(ctx.ports.sql, &[caller.user.account_id])
        .await
        .map_err(Problem::internal_from)?
        .pop()
        .ok_or_else(|| Problem::internal_from("the caller's account is missing"))
}

/// A federation failure as the API reports it: another server's answer or a URL we will not
/// fetch is a 400 naming it (PeerTube answers an unresolvable handle so); a port that failed is
/// a 503 to retry (what was stored stays; sending again is safe); anything else is internal.
pub(crate) fn federation_problem(error: edgetube_federation::FederationError) -> Problem {
    use edgetube_federation::FederationError;
    match error {
        FederationError::Remote { .. } | FederationError::Policy(_) => {
            Problem::bad_request(error.to_string())
        }
        e if e.is_transient() => {
            Problem::new(http::StatusCode::SERVICE_UNAVAILABLE, format!("Try again later: {e}"))
        }
        e => Problem::internal_from(e),
    }
}
