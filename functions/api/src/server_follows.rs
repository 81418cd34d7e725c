//! Instance follows (`/api/v1/server/following`, `/server/followers`): the instance actor
//! following other servers (so their videos come here) and other servers following it, with
//! PeerTube's manual approval of the latter (`FEDERATION_MANUAL_APPROVAL`). Moderators only.

use bytes::Bytes;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::follows::{self, Follow, FollowState};
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_domain::{iso8601_millis, INSTANCE_ACTOR_NAME};
use edgetube_federation::following::{self, Followed};
use edgetube_federation::remote;
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::{accounts, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// Servers and handles one request may follow at once (PeerTube's own form sends a few).
const MAX_TARGETS: usize = 20;

async fn instance_actor(ctx: &Ctx<'_>) -> Result<LocalActor, Problem> {
    actors::find_local_of_kind(ctx.ports.sql, ActorKind::Application, INSTANCE_ACTOR_NAME)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from("the instance actor is missing"))
}

#[derive(Deserialize)]
struct FollowRequest {
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    handles: Vec<String>,
}

/// `POST /api/v1/server/following` with `{"hosts": [...], "handles": [...]}` → 204. A host means
/// its instance actor (`peertube@host`, PeerTube's and ours).
pub async fn follow(ctx: &Ctx<'_>) -> Answer {
    ctx.moderator().await?;
    let body: FollowRequest = ctx.json()?;
    let targets: Vec<String> = body
        .hosts
        .iter()
        .map(|host| format!("{INSTANCE_ACTOR_NAME}@{}", host.trim()))
        .chain(body.handles.iter().map(|h| h.trim().trim_start_matches('@').to_owned()))
        .collect();
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(Problem::bad_request(format!("Give 1 to {MAX_TARGETS} hosts or handles to follow")));
    }
    let ours = instance_actor(ctx).await?;
    for handle in &targets {
        if handle.len() > 300 || !handle.contains('@') {
            return Err(Problem::bad_request(format!("{handle:?} is not a host or a name@host handle")));
        }
        let target = remote::resolve_handle(ctx.ports, ctx.config, handle)
            .await
            .map_err(accounts::federation_problem)?;
        following::follow(ctx.ports, ctx.config, &ours, Followed::Remote(&target))
            .await
            .map_err(accounts::federation_problem)?;
    }
    Ok(respond::no_content())
}

/// The remote actor `host_or_handle` names: a handle, or a host's instance actor.
async fn known_remote(ctx: &Ctx<'_>, host_or_handle: &str) -> Result<Option<RemoteActor>, Problem> {
    let text = host_or_handle.replace("%40", "@");
    let (name, host) = text.split_once('@').unwrap_or((INSTANCE_ACTOR_NAME, text.as_str()));
    remote_actors::find_by_handle(ctx.ports.sql, name, host).await.map_err(Problem::internal_from)
}

/// `DELETE /api/v1/server/following/{hostOrHandle}` → 204 (an Undo is sent), or 404.
pub async fn unfollow(ctx: &Ctx<'_>, host_or_handle: &str) -> Answer {
    ctx.moderator().await?;
    let ours = instance_actor(ctx).await?;
    let not_found = || Problem::not_found("Follow not found");
    let target = known_remote(ctx, host_or_handle).await?.ok_or_else(not_found)?;
    let removed = following::unfollow(ctx.ports, ctx.config, &ours, Followed::Remote(&target))
        .await
        .map_err(accounts::federation_problem)?;
    if removed {
        Ok(respond::no_content())
    } else {
        Err(not_found())
    }
}

/// PeerTube's `Actor` shape inside an `ActorFollow`.
async fn actor_json(ctx: &Ctx<'_>, id: i64) -> Result<Value, Problem> {
    if let Some(local) =
        actors::find_local_by_ids(ctx.ports.sql, &[id]).await.map_err(Problem::internal_from)?.pop()
    {
        return Ok(json!({
            "id": local.id,
            "url": ctx.config.origin.join(&local.path()),
            "name": local.username,
            "host": ctx.config.origin.authority(),
            "avatars": [],
            "followersCount": follows::count_followers(ctx.ports.sql, local.id).await.map_err(Problem::internal_from)?,
            "followingCount": follows::count_following(ctx.ports.sql, local.id).await.map_err(Problem::internal_from)?,
            "createdAt": iso8601_millis(local.created_at),
            "updatedAt": iso8601_millis(local.updated_at),
        }));
    }
    let remote = remote_actors::find_by_id(ctx.ports.sql, id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from(format!("follow names unknown actor {id}")))?;
    Ok(json!({
        "id": remote.id,
        "url": remote.ap_id,
        "name": remote.username,
        "host": remote.host,
        "avatars": [],
        "followersCount": 0,
        "followingCount": 0,
        "createdAt": iso8601_millis(remote.fetched_at),
        "updatedAt": iso8601_millis(remote.fetched_at),
    }))
}

async fn follow_json(ctx: &Ctx<'_>, follow: &Follow) -> Result<Value, Problem> {
    Ok(json!({
        "id": follow.id,
        "follower": actor_json(ctx, follow.follower_id).await?,
        "following": actor_json(ctx, follow.following_id).await?,
        // PeerTube's delivery health score; ours lives per host (federation_hosts).
        "score": 1000,
        "state": follow.state.as_str(),
        "createdAt": iso8601_millis(follow.created_at),
        "updatedAt": iso8601_millis(follow.created_at),
    }))
}

/// `GET /api/v1/server/following` → `{total, data: [ActorFollow]}`: whom the instance follows.
pub async fn following(ctx: &Ctx<'_>) -> Answer {
    follow_list(ctx, false).await
}

/// `GET /api/v1/server/followers` → who follows the instance, pending ones included.
pub async fn followers(ctx: &Ctx<'_>) -> Answer {
    follow_list(ctx, true).await
}

async fn follow_list(ctx: &Ctx<'_>, followers: bool) -> Answer {
    let ours = instance_actor(ctx).await?;
    let page = pagination::page(ctx)?;
    let (total, rows) = if followers {
        follows::list_followers(ctx.ports.sql, ours.id, page.start, page.count).await
    } else {
        follows::list_following(ctx.ports.sql, ours.id, page.start, page.count).await
    }
    .map_err(Problem::internal_from)?;
    let mut data = Vec::with_capacity(rows.len());
    for follow in &rows {
        data.push(follow_json(ctx, follow).await?);
    }
    respond::json(&pagination::list(total, data))
}

/// `POST /api/v1/server/followers/{handle}/accept` → 204; 404 when it did not ask.
pub async fn accept(ctx: &Ctx<'_>, handle: &str) -> Answer {
    ctx.moderator().await?;
    let ours = instance_actor(ctx).await?;
    let not_found = || Problem::not_found("Follower not found");
    let follower = known_remote(ctx, handle).await?.ok_or_else(not_found)?;
    let follow = follows::find(ctx.ports.sql, follower.id, ours.id).await.map_err(Problem::internal_from)?;
    if follow.as_ref().map(|f| f.state) != Some(FollowState::Pending) {
        return Err(not_found());
    }
    following::accept_follower(ctx.ports, ctx.config, &ours, &follower)
        .await
        .map_err(accounts::federation_problem)?;
    Ok(respond::no_content())
}

/// `POST /api/v1/server/followers/{handle}/reject` and `DELETE /server/followers/{handle}` →
/// 204 (a Reject is sent); 404 when there is no such follower.
pub async fn reject(ctx: &Ctx<'_>, handle: &str) -> Answer {
    ctx.moderator().await?;
    let ours = instance_actor(ctx).await?;
    let not_found = || Problem::not_found("Follower not found");
    let follower = known_remote(ctx, handle).await?.ok_or_else(not_found)?;
    let rejected = following::reject_follower(ctx.ports, ctx.config, &ours, &follower, None)
        .await
        .map_err(accounts::federation_problem)?;
    if rejected {
        Ok(respond::no_content())
    } else {
        Err(not_found())
    }
}
