//! Video channels: list, search, create, get, update, delete, and the channel's videos.

use std::collections::HashMap;

use bytes::Bytes;
use edgetube_domain::actors::{self, ActorKind, LocalActor};
use edgetube_domain::channels::{self, ChannelError, ChannelUpdate, Filter, NewChannel};
use http::{Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::context::{Caller, Ctx};
use crate::validate::Checks;
use crate::{accounts, dto, pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// PeerTube's sortable columns for channel lists.
const SORTS: [(&str, &str); 4] =
    [("id", "a.id"), ("name", "a.username"), ("createdAt", "a.created_at"), ("updatedAt", "a.updated_at")];

/// PeerTube's bounds on the editable channel fields.
const DISPLAY_NAME: (usize, usize) = (1, 120);
const TEXT: (usize, usize) = (3, 1000);

/// The `sort` query as SQL, with the row id as tie-breaker so pages never overlap.
fn order(ctx: &Ctx<'_>, allowed: &[(&str, &str)], default: &str) -> Result<String, Problem> {
    let order = pagination::sort(ctx, allowed, default)?;
    let direction = if order.ends_with("DESC") { "DESC" } else { "ASC" };
    Ok(format!("{order}, a.id {direction}"))
}

/// Owners' account JSON, looked up once per owner within one response.
#[derive(Default)]
pub(crate) struct Owners(HashMap<String, Value>);

impl Owners {
    pub(crate) async fn channel_json(
        &mut self,
        ctx: &Ctx<'_>,
        channel: &LocalActor,
    ) -> Result<Value, Problem> {
        let owner_name = channel
            .owner_username
            .clone()
            .ok_or_else(|| Problem::internal_from(format!("channel {} has no owner", channel.username)))?;
        let key = owner_name.to_lowercase();
        let owner = match self.0.get(&key) {
            Some(owner) => owner.clone(),
            None => {
                let account = actors::find_local(ctx.ports.sql, &owner_name)
                    .await
                    .map_err(Problem::internal_from)?
                    .ok_or_else(|| Problem::internal_from(format!("owner {owner_name} not found")))?;
                let owner = accounts::account_json(ctx, &account).await?;
                self.0.insert(key, owner.clone());
                owner
            }
        };
        Ok(dto::channel(&ctx.config.origin, channel, Some(owner)))
    }
}

/// A paginated `{total, data}` of channels with their owners.
pub(crate) async fn list_page(ctx: &Ctx<'_>, filter: &Filter<'_>, default_sort: &str) -> Answer {
    let page = pagination::page(ctx)?;
    let order = match filter {
        Filter::Matching(_) => {
            let mut allowed = vec![("match", channels::SEARCH_RELEVANCE), ("displayName", "a.display_name")];
            allowed.extend_from_slice(&SORTS);
            self::order(ctx, &allowed, default_sort)?
        }
        _ => self::order(ctx, &SORTS, default_sort)?,
    };
    let (total, rows) = channels::list(ctx.ports.sql, filter, &order, page.start, page.count)
        .await
        .map_err(Problem::internal_from)?;
    let mut owners = Owners::default();
    let mut data = Vec::with_capacity(rows.len());
    for channel in &rows {
        data.push(owners.channel_json(ctx, channel).await?);
    }
    respond::json(&pagination::list(total, data))
}

/// `GET /api/v1/video-channels`
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    list_page(ctx, &Filter::All, "-createdAt").await
}

/// `GET /api/v1/search/video-channels?search=...`, over local channels.
pub async fn search(ctx: &Ctx<'_>) -> Answer {
    let term = ctx.query("search").unwrap_or_default();
    if term.trim().is_empty() {
        return Err(Problem::bad_request("Incorrect request parameters: search").with_invalid_param(
            "search",
            json!(term),
            "Should have a search term",
            "query",
        ));
    }
    // A handle or URL of another server's channel is resolved for logged-in callers.
    if let Some(target) = crate::remote_lookup::parse(ctx, &term) {
        if ctx.optional_caller().await?.is_some() {
            let found = crate::remote_lookup::resolve(ctx, &target, ActorKind::Group).await;
            let mut data = Vec::new();
            if let Some(channel) = found {
                data.push(crate::remote_lookup::channel_json(ctx, &channel).await?);
            }
            return respond::json(&pagination::list(data.len() as i64, data));
        }
    }
    list_page(ctx, &Filter::Matching(term.trim()), "-match").await
}

/// The local channel for `handle` (`name` or `name@ourhost`), or 404.
async fn find(ctx: &Ctx<'_>, handle: &str) -> Result<LocalActor, Problem> {
    let not_found = || Problem::not_found("Video channel not found");
    let name = accounts::local_name(ctx, handle).ok_or_else(not_found)?;
    channels::find(ctx.ports.sql, &name).await.map_err(Problem::internal_from)?.ok_or_else(not_found)
}

/// `GET /api/v1/video-channels/{handle}`
pub async fn get(ctx: &Ctx<'_>, handle: &str) -> Answer {
    if let Some(remote) = crate::remote_lookup::by_handle(ctx, handle, ActorKind::Group).await? {
        let channel = remote.ok_or_else(|| Problem::not_found("Video channel not found"))?;
        return respond::json(&crate::remote_lookup::channel_json(ctx, &channel).await?);
    }
    let channel = find(ctx, handle).await?;
    respond::json(&Owners::default().channel_json(ctx, &channel).await?)
}

/// `GET /api/v1/video-channels/{handle}/videos`: a local channel's videos, or a remote
/// channel's (`name@host`) that are known here.
pub async fn videos(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let id = accounts::any_actor_id(ctx, handle, ActorKind::Group)
        .await?
        .ok_or_else(|| Problem::not_found("Video channel not found"))?;
    crate::videos::list_videos(ctx, crate::videos::Scope::Channel(id)).await
}

/// A body field as sent: absent, `null`, text, or something else (always refused).
enum Field<'a> {
    Absent,
    Null,
    Text(&'a str),
    Other(&'a Value),
}

fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Field<'a> {
    match body.get(key) {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(Value::String(text)) => Field::Text(text),
        Some(other) => Field::Other(other),
    }
}

/// Checks the editable fields; `display_name_required` on creation. Returns the changes.
fn check_edit<'a>(
    checks: &mut Checks,
    body: &'a Map<String, Value>,
    display_name_required: bool,
) -> ChannelUpdate<'a> {
    let mut update = ChannelUpdate::default();
    let display_msg =
        format!("Should have a display name between {} and {} characters", DISPLAY_NAME.0, DISPLAY_NAME.1);
    match field(body, "displayName") {
        Field::Absent if !display_name_required => {}
        Field::Text(name) => {
            checks.length("displayName", name, DISPLAY_NAME.0, DISPLAY_NAME.1, &display_msg);
            update.display_name = Some(name);
        }
        Field::Absent | Field::Null => checks.invalid("displayName", Value::Null, &display_msg),
        Field::Other(value) => checks.invalid("displayName", value.clone(), &display_msg),
    }
    for (key, slot) in [("description", &mut update.description), ("support", &mut update.support)] {
        let msg = format!("Should have a {key} between {} and {} characters", TEXT.0, TEXT.1);
        match field(body, key) {
            Field::Absent => {}
            Field::Null => *slot = Some(None),
            Field::Text(text) => {
                checks.length(key, text, TEXT.0, TEXT.1, &msg);
                *slot = Some(Some(text));
            }
            Field::Other(value) => checks.invalid(key, value.clone(), &msg),
        }
    }
    update
}

/// The caller's own account actor.
async fn own_account(ctx: &Ctx<'_>, caller: &Caller) -> Result<LocalActor, Problem> {
    actors::find_local(ctx.ports.sql, &caller.user.username)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from(format!("user {} has no account", caller.user.username)))
}

/// `POST /api/v1/video-channels` → `{"videoChannel": {"id": N}}`
pub async fn create(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let body: Map<String, Value> = ctx.json()?;
    let mut checks = Checks::default();
    let name = match field(&body, "name") {
        Field::Text(name) => {
            checks.username("name", name);
            name
        }
        Field::Other(value) => {
            checks.invalid("name", value.clone(), "Should have a valid name");
            ""
        }
        Field::Absent | Field::Null => {
            checks.invalid("name", Value::Null, "Should have a valid name");
            ""
        }
    };
    let edit = check_edit(&mut checks, &body, true);
    checks.finish()?;
    let owner = own_account(ctx, &caller).await?;
    let new = NewChannel {
        name,
        display_name: edit.display_name.unwrap_or_default(),
        description: edit.description.flatten(),
        support: edit.support.flatten(),
    };
    let channel = channels::create(ctx.ports, ctx.config, &owner, &new).await.map_err(refusal)?;
    respond::json(&json!({"videoChannel": {"id": channel.id}}))
}

fn refusal(error: ChannelError) -> Problem {
    match error {
        ChannelError::Taken(name) => Problem::new(
            StatusCode::CONFLICT,
            format!("Cannot use the name {name}: an account or a channel with this name already exists"),
        ),
        ChannelError::TooMany => Problem::bad_request(format!(
            "You cannot create more than {} channels",
            channels::MAX_CHANNELS_PER_ACCOUNT
        )),
        ChannelError::LastChannel => {
            Problem::new(StatusCode::CONFLICT, "Cannot remove the last channel of this user")
        }
        ChannelError::Domain(e) => Problem::internal_from(e),
    }
}

/// Whether `caller` owns `channel`.
fn owns(caller: &Caller, channel: &LocalActor) -> bool {
    channel.owner_username.as_deref().is_some_and(|owner| owner.eq_ignore_ascii_case(&caller.user.username))
}

fn forbidden() -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "Cannot manage a video channel of another user")
}

/// `PUT /api/v1/video-channels/{handle}`: the owner, moderators and administrators.
pub async fn update(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let caller = ctx.caller().await?;
    let channel = find(ctx, handle).await?;
    if !owns(&caller, &channel) && !caller.user.is_moderator() {
        return Err(forbidden());
    }
    let body: Map<String, Value> = ctx.json()?;
    let mut checks = Checks::default();
    let edit = check_edit(&mut checks, &body, false);
    checks.finish()?;
    channels::update(ctx.ports, channel.id, &edit).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `DELETE /api/v1/video-channels/{handle}`: the owner and administrators; never an account's
/// last channel.
pub async fn delete(ctx: &Ctx<'_>, handle: &str) -> Answer {
    let caller = ctx.caller().await?;
    let channel = find(ctx, handle).await?;
    let is_admin = caller.user.role() == edgetube_domain::users::Role::Administrator;
    if !owns(&caller, &channel) && !is_admin {
        return Err(forbidden());
    }
    let owner_name = channel.owner_username.as_deref().unwrap_or_default();
    let owner = actors::find_local(ctx.ports.sql, owner_name)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::internal_from(format!("channel {} has no owner", channel.username)))?;
    // Never an account's last channel: checked before its followers hear that it is gone.
    if actors::channels_of(ctx.ports.sql, owner.id).await.map_err(Problem::internal_from)?.len() < 2 {
        return Err(refusal(ChannelError::LastChannel));
    }
    let leaving =
        actors::find_local_by_ids(ctx.ports.sql, &[channel.id]).await.map_err(Problem::internal_from)?;
    edgetube_federation::departure::actors_leaving(ctx.ports, ctx.config, &leaving)
        .await
        .map_err(crate::videos::unannounced)?;
    channels::delete(ctx.ports.sql, channel.id, owner.id).await.map_err(refusal)?;
    Ok(respond::no_content())
}
