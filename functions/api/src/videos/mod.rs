//! Videos: the enumerations, `GET /videos`, one video's details, update and delete,
//! `GET /users/me/videos` and the local search, with PeerTube's privacy rules.
//!
//! [`list_videos`] is the one list handler; the account and channel endpoints call it with a
//! [`Scope`] so every list filters, sorts and hides videos the same way.

mod json;
mod remote_json;
mod update;

use bytes::Bytes;
use edgetube_domain::parse_iso8601_millis;
use edgetube_domain::videos::constants::{self, CATEGORIES, LICENCES, PRIVACIES};
use edgetube_domain::videos::{self, privacy, Video, VideoQuery, VideoRef};
use http::{Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::context::{Caller, Ctx};
use crate::rate_limit::PasswordAttempt;
use crate::validate::Checks;
use crate::{pagination, respond, Problem};

pub(crate) use edgetube_domain::videos::urls::{input_file_name, input_file_url, tracker_list};
pub use edgetube_domain::videos::Scope;
pub use json::{media, Owners};
pub use remote_json::Media;
pub(crate) use update::read_update;
pub use update::{delete, update};

type Answer = Result<Response<Bytes>, Problem>;

/// The header carrying a password-protected video's password.
pub const PASSWORD_HEADER: &str = "x-peertube-video-password";

/// Sortable fields of video lists (PeerTube name → SQL over `videos v`). PeerTube's
/// `trending`, `hot` and `best` rank by recent views; views are the best proxy stored.
pub const SORTS: &[(&str, &str)] = &[
    ("name", "v.name"),
    ("duration", "v.duration"),
    ("createdAt", "v.created_at"),
    ("publishedAt", "v.published_at"),
    ("originallyPublishedAt", "COALESCE(v.originally_published_at, v.published_at)"),
    ("views", "v.views"),
    ("likes", "v.likes"),
    ("trending", "v.views"),
    ("hot", "v.views"),
    ("best", "v.views"),
];

/// Most values one `…OneOf` filter may list: keeps a query under D1's 100 bound parameters.
const MAX_ONE_OF: usize = 15;

fn enumeration<K: ToString>(entries: impl IntoIterator<Item = (K, &'static str)>) -> Answer {
    let object: Map<String, Value> = entries.into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    respond::json(&Value::Object(object))
}

/// `GET /api/v1/videos/categories`
pub fn categories() -> Answer {
    enumeration(CATEGORIES.iter().copied())
}

/// `GET /api/v1/videos/licences`
pub fn licences() -> Answer {
    enumeration(LICENCES.iter().copied())
}

/// `GET /api/v1/videos/languages`
pub fn languages() -> Answer {
    enumeration(constants::LANGUAGES.iter().copied())
}

/// `GET /api/v1/videos/privacies`
pub fn privacies() -> Answer {
    enumeration(PRIVACIES.iter().copied())
}

fn query_bool(ctx: &Ctx<'_>, checks: &mut Checks, name: &str) -> Option<bool> {
    match ctx.query(name)?.as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        other => {
            checks.invalid_in(name, json!(other), &format!("Should have a valid {name} boolean"), "query");
            None
        }
    }
}

fn one_of(ctx: &Ctx<'_>, checks: &mut Checks, name: &str) -> Vec<String> {
    let values = ctx.query_all(name);
    if values.len() > MAX_ONE_OF {
        checks.invalid_in(name, json!(values), &format!("Should have at most {MAX_ONE_OF} values"), "query");
        return Vec::new();
    }
    values
}

fn one_of_ids(ctx: &Ctx<'_>, checks: &mut Checks, name: &str, table: &[(i64, &str)], msg: &str) -> Vec<i64> {
    let raw = one_of(ctx, checks, name);
    let ids: Vec<i64> =
        raw.iter().filter_map(|v| v.parse().ok()).filter(|id| constants::is_valid(table, *id)).collect();
    if ids.len() != raw.len() {
        checks.invalid_in(name, json!(raw), msg, "query");
    }
    ids
}

fn query_number(ctx: &Ctx<'_>, checks: &mut Checks, name: &str) -> Option<i64> {
    let raw = ctx.query(name)?;
    match raw.parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            checks.invalid_in(name, json!(raw), &format!("Should have a valid {name}"), "query");
            None
        }
    }
}

fn query_date(ctx: &Ctx<'_>, checks: &mut Checks, name: &str) -> Option<i64> {
    let raw = ctx.query(name)?;
    let parsed = parse_iso8601_millis(&raw);
    if parsed.is_none() {
        checks.invalid_in(name, json!(raw), &format!("Should have a valid {name} date"), "query");
    }
    parsed
}

/// Reads PeerTube's list filters into `query` (visibility is decided by the caller).
fn read_filters(ctx: &Ctx<'_>, query: &mut VideoQuery, search: bool) -> Result<(), Problem> {
    let mut checks = Checks::default();
    query.categories =
        one_of_ids(ctx, &mut checks, "categoryOneOf", CATEGORIES, "Should have a valid categoryOneOf array");
    query.licences =
        one_of_ids(ctx, &mut checks, "licenceOneOf", LICENCES, "Should have a valid licenceOneOf array");
    query.languages = one_of(ctx, &mut checks, "languageOneOf");
    if query.languages.iter().any(|l| l != "_unknown" && constants::language_label(l).is_none()) {
        checks.invalid_in(
            "languageOneOf",
            json!(query.languages),
            "Should have a valid languageOneOf array",
            "query",
        );
    }
    query.tags_one_of = one_of(ctx, &mut checks, "tagsOneOf");
    query.tags_all_of = one_of(ctx, &mut checks, "tagsAllOf");
    query.nsfw = match ctx.query("nsfw").as_deref() {
        None | Some("both") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            checks.invalid_in("nsfw", json!(other), "Should have a valid NSFW attribute", "query");
            None
        }
    };
    query.is_local = query_bool(ctx, &mut checks, "isLocal");
    query.skip_count = query_bool(ctx, &mut checks, "skipCount").unwrap_or(false);
    if search {
        query.search = ctx.query("search").filter(|s| !s.trim().is_empty());
        query.published_after = query_date(ctx, &mut checks, "startDate");
        query.published_before = query_date(ctx, &mut checks, "endDate");
        query.duration_min = query_number(ctx, &mut checks, "durationMin");
        query.duration_max = query_number(ctx, &mut checks, "durationMax");
    }
    checks.finish()
}

/// Who may see which privacies in public lists: everyone public videos, logged-in users also
/// internal ones, and moderators whatever `privacyOneOf` asks for.
async fn list_visibility(ctx: &Ctx<'_>, query: &mut VideoQuery) -> Result<(), Problem> {
    let requested = ctx.query_all("privacyOneOf");
    let caller =
        if requested.is_empty() { ctx.optional_caller().await? } else { Some(ctx.moderator().await?) };
    query.published_only = true;
    query.viewer_account = caller.as_ref().map(|c| c.user.account_id);
    query.hide_blocked = true;
    if requested.is_empty() {
        query.privacies =
            if caller.is_some() { vec![privacy::PUBLIC, privacy::INTERNAL] } else { vec![privacy::PUBLIC] };
        return Ok(());
    }
    let ids: Vec<i64> = requested
        .iter()
        .filter_map(|v| v.parse().ok())
        .filter(|p| constants::is_valid(PRIVACIES, *p))
        .collect();
    if ids.len() != requested.len() || ids.len() > MAX_ONE_OF {
        return Err(Problem::bad_request("Incorrect request parameters: privacyOneOf").with_invalid_param(
            "privacyOneOf",
            json!(requested),
            "Should have a valid privacyOneOf array",
            "query",
        ));
    }
    query.privacies = ids;
    Ok(())
}

async fn respond_list(ctx: &Ctx<'_>, query: &VideoQuery, item: impl Fn(Value, &Video) -> Value) -> Answer {
    let (total, rows) = videos::list(ctx.ports.sql, query).await.map_err(Problem::internal_from)?;
    let owners = json::Owners::load(ctx, &rows).await?;
    let mut data = Vec::with_capacity(rows.len());
    for video in &rows {
        data.push(item(json::list_item(&ctx.config.origin, video, &owners)?, video));
    }
    match total {
        Some(total) => respond::json(&pagination::list(total, data)),
        // PeerTube leaves `total` out when asked to skip counting.
        None => respond::json(&json!({"data": data})),
    }
}

/// A video list over `scope` with PeerTube's filters, sorts and visibility rules: the handler
/// behind `GET /videos`, and what `/accounts/{name}/videos` and
/// `/video-channels/{handle}/videos` call with their scope.
pub async fn list_videos(ctx: &Ctx<'_>, scope: Scope) -> Answer {
    let page = pagination::page(ctx)?;
    let mut query = VideoQuery {
        scope,
        order_by: pagination::sort(ctx, SORTS, "-publishedAt")?,
        start: page.start,
        count: page.count,
        ..VideoQuery::default()
    };
    read_filters(ctx, &mut query, false)?;
    list_visibility(ctx, &mut query).await?;
    respond_list(ctx, &query, |item, _| item).await
}

/// `GET /api/v1/videos`
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    list_videos(ctx, Scope::All).await
}

/// `GET /api/v1/users/me/subscriptions/videos`: the videos of the channels the caller's account
/// follows and of the channels of the accounts it follows, local or remote, newest first by
/// default, with the filters and visibility rules of every list.
pub async fn subscription_videos(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    list_videos(ctx, Scope::SubscriptionsOf(caller.user.account_id)).await
}

/// Federates a change of a local video (see `edgetube_federation::video_send`), before the
/// request that made it is answered.
///
/// A failure answers 503 rather than letting the change go unannounced silently: the change
/// itself is saved (or, for a deletion, not yet made), and the client's retry announces it.
pub(crate) async fn federate(
    ctx: &Ctx<'_>,
    before: Option<&Video>,
    after: Option<&Video>,
) -> Result<(), Problem> {
    edgetube_federation::video_send::video_changed(ctx.ports, ctx.config, before, after)
        .await
        .map(|_| ())
        .map_err(unannounced)
}

/// The 503 of a change that could not be queued for other servers (the client retries it).
pub(crate) fn unannounced(cause: edgetube_federation::FederationError) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "The change could not be announced to other servers; please retry",
    )
    .with_cause(cause)
}

/// `GET /api/v1/users/me/videos`: the caller's videos, every privacy and state.
pub async fn my_videos(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let page = pagination::page(ctx)?;
    let mut query = VideoQuery {
        scope: Scope::Account(caller.user.account_id),
        order_by: pagination::sort(ctx, SORTS, "-createdAt")?,
        start: page.start,
        count: page.count,
        ..VideoQuery::default()
    };
    read_filters(ctx, &mut query, false)?;
    respond_list(ctx, &query, json::with_owner_fields).await
}

/// `GET /api/v1/search/videos`: local full-text search over names, descriptions and tags.
pub async fn search(ctx: &Ctx<'_>) -> Answer {
    if let Some(answer) = search_remote_url(ctx).await? {
        return Ok(answer);
    }
    let page = pagination::page(ctx)?;
    let searching = ctx.query("search").is_some_and(|s| !s.trim().is_empty());
    // Relevance needs the full-text join; without search words, `match` falls back to recency.
    let relevance = if searching { "-videos_fts.rank" } else { "v.published_at" };
    let mut sorts = SORTS.to_vec();
    sorts.push(("match", relevance));
    let mut query = VideoQuery {
        order_by: pagination::sort(ctx, &sorts, "-match")?,
        start: page.start,
        count: page.count,
        ..VideoQuery::default()
    };
    read_filters(ctx, &mut query, true)?;
    list_visibility(ctx, &mut query).await?;
    respond_list(ctx, &query, |item, _| item).await
}

/// A search for a video URL of another server (`/videos/watch/<id>`, `/w/<id>`) by a logged-in
/// caller: the video fetched from its origin and stored, as PeerTube imports searched videos.
/// `None` when the search is something else, for the local search to answer.
async fn search_remote_url(ctx: &Ctx<'_>) -> Result<Option<Response<Bytes>>, Problem> {
    let Some(crate::remote_lookup::Remote::Url(url)) =
        ctx.query("search").and_then(|term| crate::remote_lookup::parse(ctx, &term))
    else {
        return Ok(None);
    };
    if ctx.optional_caller().await?.is_none() {
        return Ok(None);
    }
    let segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
    let id = match segments.as_slice() {
        ["videos", "watch", id] | ["w", id] => VideoRef::parse(id),
        _ => None,
    };
    let mut data = Vec::new();
    if let Some(VideoRef::Uuid(uuid)) = id {
        // The short `/w/` form is a page, not the object: its ActivityPub id is the long form.
        let mut ap_id = url.clone();
        ap_id.set_path(&format!("/videos/watch/{uuid}"));
        ap_id.set_query(None);
        ap_id.set_fragment(None);
        // An origin that cannot give the video makes an empty result, as PeerTube's search.
        if let Ok(Some(video)) =
            edgetube_federation::search::video_by_url(ctx.ports, ctx.config, &ap_id).await
        {
            let owners = json::Owners::load(ctx, std::slice::from_ref(&video)).await?;
            data.push(json::list_item(&ctx.config.origin, &video, &owners)?);
        }
    }
    Ok(Some(respond::json(&pagination::list(data.len() as i64, data))?))
}

/// The video a path segment names, or PeerTube's 404 (400 when the segment is no id at all).
pub(crate) async fn find(ctx: &Ctx<'_>, id: &str) -> Result<Video, Problem> {
    let reference = VideoRef::parse(id).ok_or_else(|| {
        Problem::bad_request("Incorrect request parameters: id").with_invalid_param(
            "id",
            json!(id),
            "Should have a valid id",
            "params",
        )
    })?;
    videos::find(ctx.ports.sql, &reference)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("Video not found"))
}

pub(crate) fn owns_or_moderates(caller: &Caller, video: &Video) -> bool {
    caller.user.account_id == video.account_id || caller.user.is_moderator()
}

/// PeerTube's access rules for one video: unlisted by link, private to the owner and
/// moderators, internal to logged-in users, password protected to whoever sends a password.
pub(crate) async fn check_can_see(ctx: &Ctx<'_>, video: &Video) -> Result<(), Problem> {
    let forbidden =
        || Problem::new(StatusCode::FORBIDDEN, "Cannot fetch information of private/internal/blocked video");
    match video.privacy {
        privacy::PRIVATE => {
            let caller = ctx.caller().await?;
            if !owns_or_moderates(&caller, video) {
                return Err(forbidden());
            }
        }
        privacy::INTERNAL => {
            ctx.caller().await?;
        }
        privacy::PASSWORD_PROTECTED => {
            let caller = ctx.optional_caller().await?;
            if caller.is_some_and(|c| owns_or_moderates(&c, video)) {
                return Ok(());
            }
            let Some(password) = ctx.header(PASSWORD_HEADER) else {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "Please provide a password to access this password protected video",
                )
                .with_code("video_requires_password"));
            };
            // Every route that takes a password comes through here (details, media, file
            // tokens, comments, ratings, views): one place to limit guessing.
            let attempt = PasswordAttempt::start(ctx, video.id).await?;
            let matches = videos::password_matches(ctx.ports.sql, video.id, password)
                .await
                .map_err(Problem::internal_from)?;
            if matches {
                attempt.succeeded(ctx).await;
            } else {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "Incorrect video password. Access to the video is denied.",
                )
                .with_code("incorrect_video_password"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// `GET /api/v1/videos/{id|uuid|shortUUID}`
pub async fn get(ctx: &Ctx<'_>, id: &str) -> Answer {
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    respond::json(&json::details(ctx, &video).await?)
}
