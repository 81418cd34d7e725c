//! Comments: `GET/POST /videos/{id}/comment-threads`, `GET .../comment-threads/{threadId}`,
//! `POST/DELETE /videos/{id}/comments/{commentId}`.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use edgetube_domain::comments::{self, Comment, Viewer};
use edgetube_domain::videos::Video;
use edgetube_domain::{actors, iso8601_millis, remote_actors, users};
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::validate::Checks;
use crate::videos::{check_can_see, find, owns_or_moderates};
use crate::{accounts, dto, pagination, respond, Problem};
use edgetube_federation::interactions;

type Answer = Result<Response<Bytes>, Problem>;

/// PeerTube's comments policy values.
const POLICY_DISABLED: i64 = 2;
const POLICY_REQUIRES_APPROVAL: i64 = 3;

/// The longest comment PeerTube accepts.
const MAX_TEXT: usize = 10_000;

/// Renders comments with their authors, loading every author in one query per hundred.
async fn render(ctx: &Ctx<'_>, video: &Video, comments: &[Comment]) -> Result<Vec<Value>, Problem> {
    let mut ids: Vec<i64> = comments.iter().map(|c| c.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let authors: HashMap<i64, actors::LocalActor> = actors::find_local_by_ids(ctx.ports.sql, &ids)
        .await
        .map_err(Problem::internal_from)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let user_ids = users::ids_by_account(ctx.ports.sql, &ids).await.map_err(Problem::internal_from)?;
    let mut remote_authors = HashMap::new();
    for id in ids.iter().filter(|id| !authors.contains_key(id)) {
        if let Some(remote) =
            remote_actors::find_by_id(ctx.ports.sql, *id).await.map_err(Problem::internal_from)?
        {
            remote_authors.insert(*id, dto::remote_account(&remote));
        }
    }
    let origin = &ctx.config.origin;
    Ok(comments
        .iter()
        .map(|c| {
            let deleted = c.deleted_at.is_some();
            let account = match (authors.get(&c.account_id), remote_authors.get(&c.account_id)) {
                (Some(author), _) if !deleted => dto::account(origin, author, user_ids.get(&c.account_id).copied()),
                (None, Some(remote)) if !deleted => remote.clone(),
                _ => Value::Null,
            };
            json!({
                "id": c.id,
                "url": c.ap_id.clone().unwrap_or_else(|| origin.join(&format!("/videos/watch/{}/comments/{}", video.uuid, c.id))),
                "text": c.text,
                "threadId": c.thread,
                "inReplyToCommentId": c.in_reply_to_id,
                "videoId": c.video_id,
                "createdAt": iso8601_millis(c.created_at),
                "updatedAt": iso8601_millis(c.updated_at),
                "deletedAt": c.deleted_at.map(iso8601_millis),
                "heldForReview": c.held_for_review != 0,
                "isDeleted": deleted,
                "totalRepliesFromVideoAuthor": c.total_replies_from_video_author,
                "totalReplies": c.total_replies,
                "account": account,
            })
        })
        .collect())
}

async fn viewer(ctx: &Ctx<'_>, video: &Video) -> Result<Viewer, Problem> {
    let caller = ctx.optional_caller().await?;
    Ok(Viewer {
        account_id: caller.as_ref().map(|c| c.user.account_id),
        sees_all: caller.as_ref().is_some_and(|c| owns_or_moderates(c, video)),
    })
}

/// `GET /api/v1/videos/{id}/comment-threads`
pub async fn threads(ctx: &Ctx<'_>, id: &str) -> Answer {
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let page = pagination::page(ctx)?;
    let order = pagination::sort(
        ctx,
        &[("createdAt", "c.created_at"), ("totalReplies", "total_replies")],
        "-createdAt",
    )?;
    let viewer = viewer(ctx, &video).await?;
    let (total, not_deleted, page) =
        comments::threads(ctx.ports.sql, video.id, viewer, &order, page.start, page.count)
            .await
            .map_err(Problem::internal_from)?;
    let data = render(ctx, &video, &page).await?;
    respond::json(&json!({"total": total, "data": data, "totalNotDeletedComments": not_deleted}))
}

/// `GET /api/v1/videos/{id}/comment-threads/{threadId}`: the thread as a tree.
pub async fn thread(ctx: &Ctx<'_>, id: &str, thread_id: &str) -> Answer {
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let thread_id: i64 =
        thread_id.parse().map_err(|_| Problem::bad_request("Incorrect request parameters: threadId"))?;
    let viewer = viewer(ctx, &video).await?;
    let all =
        comments::thread(ctx.ports.sql, video.id, thread_id, viewer).await.map_err(Problem::internal_from)?;
    if all.first().is_none_or(|first| first.id != thread_id) {
        return Err(Problem::not_found("Video comment thread not found"));
    }
    let rendered = render(ctx, &video, &all).await?;
    // Children by parent, in creation order, then the tree from the first comment down.
    let mut children: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, comment) in all.iter().enumerate().skip(1) {
        children.entry(comment.in_reply_to_id.unwrap_or(thread_id)).or_default().push(i);
    }
    fn tree(
        i: usize,
        all: &[Comment],
        rendered: &[Value],
        children: &BTreeMap<i64, Vec<usize>>,
        depth: usize,
    ) -> Value {
        // Depth is bounded by the number of comments; the guard keeps a corrupted cycle finite.
        let kids: Vec<Value> = if depth > all.len() {
            Vec::new()
        } else {
            children
                .get(&all[i].id)
                .into_iter()
                .flatten()
                .map(|&k| tree(k, all, rendered, children, depth + 1))
                .collect()
        };
        json!({"comment": rendered[i], "children": kids})
    }
    respond::json(&tree(0, &all, &rendered, &children, 0))
}

#[derive(Deserialize)]
struct NewComment {
    text: Option<Value>,
}

fn text_of(body: NewComment) -> Result<String, Problem> {
    let text = body.text.as_ref().and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut checks = Checks::default();
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT {
        checks.invalid("text", body.text.unwrap_or(Value::Null), "Should have a valid comment text");
    }
    checks.finish()?;
    Ok(text)
}

/// Whether a new comment by `account_id` must wait for the owner's approval; refuses when
/// comments are disabled.
fn held(video: &Video, account_id: i64) -> Result<bool, Problem> {
    match video.comments_policy {
        POLICY_DISABLED => Err(Problem::new(StatusCode::CONFLICT, "Video comments are disabled")),
        POLICY_REQUIRES_APPROVAL => Ok(account_id != video.account_id),
        _ => Ok(false),
    }
}

/// `POST /api/v1/videos/{id}/comment-threads`
pub async fn create_thread(ctx: &Ctx<'_>, id: &str) -> Answer {
    let caller = ctx.caller().await?;
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let text = text_of(ctx.json()?)?;
    let held = held(&video, caller.user.account_id)?;
    let comment = comments::create_thread(ctx.ports, video.id, caller.user.account_id, &text, held)
        .await
        .map_err(Problem::internal_from)?;
    if !held {
        let author = accounts::of_caller(ctx, &caller).await?;
        interactions::comment_posted(ctx.ports, ctx.config, &author, &video, &comment, None)
            .await
            .map_err(accounts::federation_problem)?;
    }
    let rendered = render(ctx, &video, &[comment]).await?;
    respond::json(&json!({"comment": rendered[0]}))
}

async fn find_comment(ctx: &Ctx<'_>, video: &Video, comment_id: &str) -> Result<Comment, Problem> {
    let id: i64 =
        comment_id.parse().map_err(|_| Problem::bad_request("Incorrect request parameters: commentId"))?;
    comments::find(ctx.ports.sql, video.id, id)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("Video comment not found"))
}

/// `POST /api/v1/videos/{id}/comments/{commentId}`: a reply.
pub async fn reply(ctx: &Ctx<'_>, id: &str, comment_id: &str) -> Answer {
    let caller = ctx.caller().await?;
    let video = find(ctx, id).await?;
    check_can_see(ctx, &video).await?;
    let parent = find_comment(ctx, &video, comment_id).await?;
    if parent.deleted_at.is_some() {
        return Err(Problem::new(StatusCode::CONFLICT, "Cannot reply to a deleted comment"));
    }
    let text = text_of(ctx.json()?)?;
    let held = held(&video, caller.user.account_id)?;
    let comment = comments::reply(ctx.ports, &parent, caller.user.account_id, &text, held)
        .await
        .map_err(Problem::internal_from)?;
    if !held {
        let author = accounts::of_caller(ctx, &caller).await?;
        interactions::comment_posted(ctx.ports, ctx.config, &author, &video, &comment, Some(&parent))
            .await
            .map_err(accounts::federation_problem)?;
    }
    let rendered = render(ctx, &video, &[comment]).await?;
    respond::json(&json!({"comment": rendered[0]}))
}

/// `DELETE /api/v1/videos/{id}/comments/{commentId}`: by its author, the video's owner or a moderator.
pub async fn delete(ctx: &Ctx<'_>, id: &str, comment_id: &str) -> Answer {
    let caller = ctx.caller().await?;
    let video = find(ctx, id).await?;
    let comment = find_comment(ctx, &video, comment_id).await?;
    if comment.deleted_at.is_some() {
        return Err(Problem::not_found("Video comment not found"));
    }
    if comment.account_id != caller.user.account_id && !owns_or_moderates(&caller, &video) {
        return Err(Problem::new(StatusCode::FORBIDDEN, "Cannot remove video comment of another user"));
    }
    comments::delete(ctx.ports, &comment).await.map_err(Problem::internal_from)?;
    let actor = accounts::of_caller(ctx, &caller).await?;
    interactions::comment_deleted(ctx.ports, ctx.config, &actor, &video, &comment)
        .await
        .map_err(accounts::federation_problem)?;
    Ok(respond::no_content())
}
