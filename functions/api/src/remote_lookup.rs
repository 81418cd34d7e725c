//! Remote channels and accounts named in a search or a path (`name@host`, or their URL): the
//! copy stored here, or — for logged-in callers only, as PeerTube resolves remote objects in
//! search for users and not for anonymous visitors by default — resolved on demand through
//! WebFinger or the actor's URL and stored.

use edgetube_domain::actors::ActorKind;
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_federation::remote;
use serde_json::Value;
use url::Url;

use crate::context::Ctx;
use crate::{accounts, dto, Problem};

/// What a search term names, when it names something on another server.
pub(crate) enum Remote {
    /// `name@host` (a leading `@` dropped).
    Handle(String),
    /// An http(s) URL.
    Url(Url),
}

/// The remote thing `term` names, or `None` for words of a local search (or a local handle or
/// URL, which the local search answers).
pub(crate) fn parse(ctx: &Ctx<'_>, term: &str) -> Option<Remote> {
    let term = term.trim();
    if term.starts_with("http://") || term.starts_with("https://") {
        let url = Url::parse(term).ok()?;
        return (remote::host_of(&url) != ctx.config.origin.authority()).then_some(Remote::Url(url));
    }
    let handle = term.trim_start_matches('@');
    let (name, host) = handle.split_once('@')?;
    let plausible = !name.is_empty() && !host.is_empty() && !handle.contains(char::is_whitespace);
    (plausible && accounts::local_name(ctx, handle).is_none()).then(|| Remote::Handle(handle.to_owned()))
}

/// The remote actor `target` names, of `kind`, resolved and stored. `None` when it cannot be
/// resolved (unknown, unreachable, not that kind): a search then finds nothing, as PeerTube's.
pub(crate) async fn resolve(ctx: &Ctx<'_>, target: &Remote, kind: ActorKind) -> Option<RemoteActor> {
    let found = match target {
        Remote::Handle(handle) => remote::resolve_handle(ctx.ports, ctx.config, handle).await,
        Remote::Url(url) => remote::actor(ctx.ports, ctx.config, url.as_str()).await,
    };
    found.ok().filter(|actor| actor.kind == kind)
}

/// The remote actor of `kind` that `handle` (`name@host` of another server) names: the stored
/// copy, or for a logged-in caller the one resolved now. `Ok(None)` for a local handle.
pub(crate) async fn by_handle(
    ctx: &Ctx<'_>,
    handle: &str,
    kind: ActorKind,
) -> Result<Option<Option<RemoteActor>>, Problem> {
    let handle = handle.trim().trim_start_matches('@').replace("%40", "@");
    if accounts::local_name(ctx, &handle).is_some() {
        return Ok(None);
    }
    let Some((name, host)) = handle.split_once('@') else { return Ok(Some(None)) };
    let known = remote_actors::find_by_handle(ctx.ports.sql, name, host)
        .await
        .map_err(Problem::internal_from)?
        .filter(|actor| actor.kind == kind);
    if known.is_some() || ctx.optional_caller().await?.is_none() {
        return Ok(Some(known));
    }
    Ok(Some(resolve(ctx, &Remote::Handle(handle.clone()), kind).await))
}

/// The `VideoChannel` JSON of a remote channel, with its owner account when known.
pub(crate) async fn channel_json(ctx: &Ctx<'_>, channel: &RemoteActor) -> Result<Value, Problem> {
    let owner = match channel.owner_id {
        Some(owner) => {
            remote_actors::find_by_id(ctx.ports.sql, owner).await.map_err(Problem::internal_from)?
        }
        None => None,
    };
    Ok(dto::remote_channel(channel, owner.as_ref().map(dto::remote_account)))
}
