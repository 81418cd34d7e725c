//! `/feeds/videos.<fmt>` and `/feeds/subscriptions.<fmt>`: PeerTube's video feeds.
//!
//! Like PeerTube's: the 20 newest (by `sort`, default `-publishedAt`) public, published videos;
//! the instance feed lists its local videos and those of the servers, accounts and channels the
//! instance follows (`Scope::LocalOrFollowedBy`), an account or channel feed that actor's
//! (`accountId`/`accountName`, `videoChannelId`/`videoChannelName`, local or remote), and the
//! subscriptions feed what the user with the feed token follows. `nsfw` and `isLocal` filter as
//! in lists. Answers are cacheable for 15 minutes, PeerTube's feed cache lifetime.

use bytes::Bytes;
use edgetube_api::{pagination, Ctx, Problem};
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::remote_actors::{self, RemoteActor};
use edgetube_domain::videos::{self, privacy, Scope, VideoQuery};
use edgetube_domain::{feed_tokens, users, INSTANCE_ACTOR_NAME};
use http::{header, Response, StatusCode};
use serde_json::json;

use crate::format::{self, FeedFormat};
use crate::items::{self, actor_page};
use crate::links;
use crate::model::{Feed, Person};
use crate::{atom_feed, json_feed, rss_feed};

/// PeerTube's `feeds.videos.count`.
pub const FEED_SIZE: i64 = 20;

/// PeerTube's `Cache-Control` on feeds (`ROUTE_CACHE_LIFETIME.FEEDS`, 15 minutes).
pub const CACHE_CONTROL: &str = "max-age=900";

type Answer = Result<Response<Bytes>, Problem>;

/// An account or channel named by a feed's query.
enum Actor {
    Local(LocalActor),
    Remote(RemoteActor),
}

impl Actor {
    fn id(&self) -> i64 {
        match self {
            Self::Local(a) => a.id,
            Self::Remote(a) => a.id,
        }
    }

    fn display_name(&self) -> &str {
        match self {
            Self::Local(a) => &a.display_name,
            Self::Remote(a) => &a.display_name,
        }
    }

    fn description(&self) -> &str {
        match self {
            Self::Local(a) => a.summary.as_deref(),
            Self::Remote(a) => a.summary.as_deref(),
        }
        .unwrap_or_default()
    }

    fn image(&self) -> Option<String> {
        match self {
            Self::Local(_) => None,
            Self::Remote(a) => a.avatar_url.clone(),
        }
    }

    fn page(&self, ctx: &Ctx<'_>, prefix: &str) -> String {
        let origin = &ctx.config.origin;
        match self {
            Self::Local(a) => actor_page(origin, prefix, &a.username, &origin.authority()),
            Self::Remote(a) => actor_page(origin, prefix, &a.username, &a.host),
        }
    }
}

fn invalid(name: &str, value: &str, message: &str) -> Problem {
    Problem::bad_request(format!("Incorrect request parameters: {name}")).with_invalid_param(
        name,
        json!(value),
        message,
        "query",
    )
}

fn query_id(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, Problem> {
    let Some(raw) = ctx.query(name) else { return Ok(None) };
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(Some(id)),
        _ => Err(invalid(name, &raw, "Invalid value")),
    }
}

/// The account or channel (`kind`) of row `id`, local or remote.
async fn actor_by_id(ctx: &Ctx<'_>, kind: ActorKind, id: i64) -> Result<Option<Actor>, Problem> {
    let sql = ctx.ports.sql;
    let local = actors::find_local_by_ids(sql, &[id]).await.map_err(Problem::internal_from)?;
    if let Some(actor) = local.into_iter().find(|a| a.kind == kind) {
        return Ok(Some(Actor::Local(actor)));
    }
    let remote = remote_actors::find_by_id(sql, id).await.map_err(Problem::internal_from)?;
    Ok(remote.filter(|a| a.kind == kind).map(Actor::Remote))
}

/// The account or channel (`kind`) a handle names: `name` or `name@host`.
async fn actor_by_handle(ctx: &Ctx<'_>, kind: ActorKind, handle: &str) -> Result<Option<Actor>, Problem> {
    let sql = ctx.ports.sql;
    let (name, host) = handle.split_once('@').map_or((handle, None), |(name, host)| (name, Some(host)));
    if name.is_empty() {
        return Ok(None);
    }
    match host.filter(|host| *host != ctx.config.origin.authority()) {
        Some(host) => {
            let remote =
                remote_actors::find_by_handle(sql, name, host).await.map_err(Problem::internal_from)?;
            Ok(remote.filter(|a| a.kind == kind).map(Actor::Remote))
        }
        None => {
            let local = actors::find_local_of_kind(sql, kind, name).await.map_err(Problem::internal_from)?;
            Ok(local.map(Actor::Local))
        }
    }
}

/// Whether `account` owns `channel`.
fn owns(account: &Actor, channel: &Actor) -> bool {
    match (account, channel) {
        (Actor::Local(a), Actor::Local(c)) => c.owner_username.as_deref() == Some(a.username.as_str()),
        (Actor::Remote(a), Actor::Remote(c)) => c.owner_id == Some(a.id),
        _ => false,
    }
}

/// The actor a pair of feed parameters names (`accountId`/`accountName`, ...), or 404.
async fn named_actor(
    ctx: &Ctx<'_>,
    kind: ActorKind,
    (id_param, name_param): (&str, &str),
    not_found: &str,
) -> Result<Option<Actor>, Problem> {
    let mut found = None;
    if let Some(id) = query_id(ctx, id_param)? {
        found = Some(actor_by_id(ctx, kind, id).await?.ok_or_else(|| Problem::not_found(not_found))?);
    }
    if let Some(handle) = ctx.query(name_param) {
        found =
            Some(actor_by_handle(ctx, kind, &handle).await?.ok_or_else(|| Problem::not_found(not_found))?);
    }
    Ok(found)
}

/// The list every video feed shares: public, published, blocks hidden, PeerTube's sorts and
/// `nsfw`/`isLocal` filters.
fn base_query(ctx: &Ctx<'_>, scope: Scope) -> Result<VideoQuery, Problem> {
    let nsfw = match ctx.query("nsfw").as_deref() {
        None | Some("both") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => return Err(invalid("nsfw", other, "Should have a valid NSFW attribute")),
    };
    let is_local = match ctx.query("isLocal").as_deref() {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(other) => return Err(invalid("isLocal", other, "Should have a valid isLocal boolean")),
    };
    Ok(VideoQuery {
        scope,
        privacies: vec![privacy::PUBLIC],
        published_only: true,
        hide_blocked: true,
        nsfw,
        is_local,
        order_by: pagination::sort(ctx, edgetube_api::videos::SORTS, "-publishedAt")?,
        start: 0,
        count: FEED_SIZE,
        skip_count: true,
        ..VideoQuery::default()
    })
}

/// The request's query string, `?...` or empty, for the feed's links to itself.
fn query_string(ctx: &Ctx<'_>) -> String {
    ctx.request.uri().query().map(|q| format!("?{q}")).unwrap_or_default()
}

fn feed_shell(ctx: &Ctx<'_>, title: String, description: String, link: String) -> Feed {
    let origin = ctx.config.origin.as_str();
    Feed {
        title,
        description,
        link,
        image_url: None,
        author: None,
        links: links::with_query(&ctx.config.origin, "videos", &query_string(ctx)),
        // PeerTube's generator line: readers show it, none parses it.
        generator: format!("PeerTube - {origin}"),
        copyright: format!(
            "All rights reserved, unless otherwise specified in the terms specified at {origin}/about \
             and potential licenses granted by each content's rightholder."
        ),
        updated_ms: ctx.ports.clock.now_millis(),
        items: Vec::new(),
    }
}

/// The feed of an account (`prefix` `a`) or channel (`c`): named, described and credited as it.
fn actor_feed(ctx: &Ctx<'_>, actor: &Actor, prefix: &str) -> Feed {
    let link = actor.page(ctx, prefix);
    let mut feed =
        feed_shell(ctx, actor.display_name().to_owned(), actor.description().to_owned(), link.clone());
    feed.author = Some(Person { name: actor.display_name().to_owned(), link });
    feed.image_url = actor.image();
    feed
}

/// The format asked for and the `Content-Type` to answer with, checked before anything is
/// looked up, as PeerTube's validators run first.
struct Negotiated {
    format: FeedFormat,
    content_type: &'static str,
}

fn negotiate(ctx: &Ctx<'_>, extension: &str) -> Result<Negotiated, Problem> {
    let requested = format::requested(extension, ctx.query("format").as_deref())?;
    let content_type = format::negotiate(ctx.header("accept"), requested.content_types)?;
    Ok(Negotiated { format: requested.format, content_type })
}

async fn fill_and_send(ctx: &Ctx<'_>, mut feed: Feed, query: &VideoQuery, negotiated: Negotiated) -> Answer {
    let (_, rows) = videos::list(ctx.ports.sql, query).await.map_err(Problem::internal_from)?;
    feed.items = items::of_videos(ctx, &rows).await?;
    if let Some(newest) = feed.items.iter().map(|i| i.date_ms).max() {
        feed.updated_ms = newest;
    }
    let body = match negotiated.format {
        FeedFormat::Rss => rss_feed::render(&feed),
        FeedFormat::Atom => atom_feed::render(&feed),
        FeedFormat::Json => json_feed::render(&feed),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, format!("{}; charset=utf-8", negotiated.content_type))
        .header(header::CACHE_CONTROL, CACHE_CONTROL)
        .body(Bytes::from(body))
        .map_err(Problem::internal_from)
}

/// `GET /feeds/videos.<extension>`
pub async fn videos(ctx: &Ctx<'_>, extension: &str) -> Answer {
    let negotiated = negotiate(ctx, extension)?;
    let account =
        named_actor(ctx, ActorKind::Person, ("accountId", "accountName"), "Account not found").await?;
    let channel =
        named_actor(ctx, ActorKind::Group, ("videoChannelId", "videoChannelName"), "Video channel not found")
            .await?;
    let (feed, scope) = match (&channel, &account) {
        (Some(channel), _) => (actor_feed(ctx, channel, "c"), Scope::Channel(channel.id())),
        (None, Some(account)) => (actor_feed(ctx, account, "a"), Scope::Account(account.id())),
        (None, None) => {
            let instance =
                actors::find_local_of_kind(ctx.ports.sql, ActorKind::Application, INSTANCE_ACTOR_NAME)
                    .await
                    .map_err(Problem::internal_from)?
                    .ok_or_else(|| Problem::internal_from("the instance actor is missing"))?;
            let origin = ctx.config.origin.as_str().to_owned();
            let feed = feed_shell(ctx, ctx.config.name.clone(), ctx.config.description.clone(), origin);
            (feed, Scope::LocalOrFollowedBy(instance.id))
        }
    };
    let mut query = base_query(ctx, scope)?;
    // Both named: PeerTube filters by both, so a channel of another account lists nothing.
    if let (Some(channel), Some(account)) = (&channel, &account) {
        if !owns(account, channel) {
            query.count = 0;
        }
    }
    fill_and_send(ctx, feed, &query, negotiated).await
}

/// `GET /feeds/subscriptions.<extension>?accountId=&token=`: the videos of what a local
/// account follows, for whoever holds the user's feed token.
pub async fn subscriptions(ctx: &Ctx<'_>, extension: &str) -> Answer {
    let negotiated = negotiate(ctx, extension)?;
    let account_id = query_id(ctx, "accountId")?.ok_or_else(|| invalid("accountId", "", "Invalid value"))?;
    let token = ctx.query("token").ok_or_else(|| invalid("token", "", "Invalid value"))?;
    let account = match actor_by_id(ctx, ActorKind::Person, account_id).await? {
        Some(Actor::Local(account)) => account,
        _ => return Err(Problem::not_found("Account not found")),
    };
    let user = users::find_by_account(ctx.ports.sql, account.id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("Account not found"))?;
    if !feed_tokens::matches(ctx.ports.sql, user.id, &token).await.map_err(Problem::internal_from)? {
        return Err(Problem::new(StatusCode::FORBIDDEN, "User and token mismatch"));
    }
    let actor = Actor::Local(account);
    let mut feed = feed_shell(
        ctx,
        actor.display_name().to_owned(),
        actor.description().to_owned(),
        actor.page(ctx, "a"),
    );
    feed.links = links::with_query(&ctx.config.origin, "subscriptions", &query_string(ctx));
    let query = base_query(ctx, Scope::SubscriptionsOf(actor.id()))?;
    fill_and_send(ctx, feed, &query, negotiated).await
}
