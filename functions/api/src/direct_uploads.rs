//! Direct uploads to R2, our extension beside PeerTube's uploads (`functions/api/DIRECT-UPLOADS.md`):
//! the worker hands out presigned S3 `PUT` URLs, one per part, and completes the upload when the
//! client reports the parts' entity tags. Only where R2's S3 credentials are configured; otherwise
//! every endpoint answers 501.
//!
//! The init shares the resumable init's checks (metadata, channel, file extension, quota) and the
//! completion shares its video creation, so both paths make the same video.

use bytes::Bytes;
use edgetube_domain::videos;
use edgetube_domain::{iso8601_millis, DirectUploadConfig};
use edgetube_media::direct_uploads::{self, DirectError, PartUrl, MAX_URLS_PER_ANSWER};
use edgetube_media::uploads::{self, purpose, NewSession, Session, PART_SIZE};
use edgetube_ports::UploadedPart;
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::{Caller, Ctx};
use crate::uploads::{
    announce, read_init, session_video, stored_video, unfinished_by_fingerprint, upload_id, video_answer,
};
use crate::{respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// The configuration, or the answer of an instance without R2 credentials.
fn enabled<'c>(ctx: &Ctx<'c>) -> Result<&'c DirectUploadConfig, Problem> {
    ctx.config.media.direct_upload.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "Direct uploads to object storage are not configured on this instance (no R2 S3 credentials); \
             use /api/v1/videos/upload-resumable",
        )
        .with_code("direct_upload_disabled")
    })
}

/// `POST /api/v1/videos/upload-direct`: the resumable init's headers and body; answers the
/// session with the presigned URLs of its first 100 parts (201, or 200 with fresh URLs for a
/// repeated init).
pub async fn init(ctx: &Ctx<'_>) -> Answer {
    let config = enabled(ctx)?;
    let caller = ctx.caller().await?;
    let init = read_init(ctx, &caller).await?;
    direct_uploads::part_count(init.size).map_err(refusal)?;
    let fingerprint = init.fingerprint(purpose::VIDEO_DIRECT, &caller);
    let (status, session) = match unfinished_by_fingerprint(ctx, &fingerprint).await? {
        Some(existing) => (StatusCode::OK, existing),
        None => {
            let id = upload_id(ctx)?;
            let new = NewSession {
                id: &id,
                purpose: purpose::VIDEO_DIRECT,
                user_id: Some(caller.user.id),
                runner_job_id: None,
                fingerprint: Some(&fingerprint),
                object_key: &format!("uploads/{id}/source"),
                content_type: init.content_type.as_deref(),
                total_size: init.size,
                metadata: Some(&Value::Object(init.metadata).to_string()),
            };
            (StatusCode::CREATED, direct_uploads::open(ctx.ports, &new).await.map_err(refusal)?)
        }
    };
    let mut response = session_answer(ctx, config, &session, 1, MAX_URLS_PER_ANSWER).await?;
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /api/v1/videos/upload-direct/{uploadId}/parts?from=&count=`: fresh URLs for parts `from`
/// (default 1) onwards, at most `count` (default and most: 100); for the parts past the first
/// page, and for a client whose URLs expired.
pub async fn refresh(ctx: &Ctx<'_>, id: &str) -> Answer {
    let config = enabled(ctx)?;
    let caller = ctx.caller().await?;
    let session = own_session(ctx, &caller, id).await?;
    if session.completed_at.is_some() {
        return Err(Problem::new(StatusCode::CONFLICT, "This upload is already completed"));
    }
    let from = page_param(ctx, "from", 1)?;
    let count = page_param(ctx, "count", MAX_URLS_PER_ANSWER)?;
    session_answer(ctx, config, &session, from, count).await
}

fn page_param(ctx: &Ctx<'_>, name: &str, default: u16) -> Result<u16, Problem> {
    let Some(raw) = ctx.query(name) else { return Ok(default) };
    raw.parse::<u16>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        Problem::bad_request(format!("Incorrect request parameters: {name}")).with_invalid_param(
            name,
            json!(raw),
            "Should be an integer from 1 to 10000",
            "query",
        )
    })
}

/// `POST /api/v1/videos/upload-direct/{uploadId}/complete` with `{"parts": [{partNumber, etag}]}`:
/// makes the video, then the object; answers the video as PeerTube's upload does.
pub async fn complete(ctx: &Ctx<'_>, id: &str) -> Answer {
    enabled(ctx)?;
    let caller = ctx.caller().await?;
    let session = own_session(ctx, &caller, id).await?;
    if session.completed_at.is_some() {
        if let Some(video) = stored_video(ctx, &session).await? {
            return video_answer(&video);
        }
    }
    let parts = read_parts(ctx)?;
    // Refused before the video exists, so a wrong list leaves nothing behind.
    direct_uploads::check_parts(&session, &parts).map_err(refusal)?;
    let video = session_video(ctx, &caller, &session).await?;
    match direct_uploads::complete(ctx.ports, &session, &parts).await {
        Ok(meta) => {
            announce(ctx, &meta).await?;
            video_answer(&video)
        }
        Err(error) => {
            // No original for this video: storage refused the parts or failed (the session stays,
            // and a retry makes the video again) or the object was discarded with its session.
            uploads::detach_video(ctx.ports.sql, &session.id).await.map_err(Problem::internal_from)?;
            videos::delete(ctx.ports.sql, &video).await.map_err(Problem::internal_from)?;
            Err(refusal(error))
        }
    }
}

/// `DELETE /api/v1/videos/upload-direct/{uploadId}`: aborts the multipart upload and forgets the
/// session; a completed upload's video stays (it is deleted through `DELETE /videos/{id}`).
pub async fn abort(ctx: &Ctx<'_>, id: &str) -> Answer {
    enabled(ctx)?;
    let caller = ctx.caller().await?;
    let session = own_session(ctx, &caller, id).await?;
    if session.completed_at.is_none() {
        if let Some(video) = stored_video(ctx, &session).await? {
            videos::delete(ctx.ports.sql, &video).await.map_err(Problem::internal_from)?;
        }
        uploads::cancel(ctx.ports, &session).await.map_err(Problem::internal_from)?;
    }
    Ok(respond::no_content())
}

/// The direct session `id`, if it is the caller's.
async fn own_session(ctx: &Ctx<'_>, caller: &Caller, id: &str) -> Result<Session, Problem> {
    crate::uploads::owned_session(ctx, caller, id, purpose::VIDEO_DIRECT).await
}

async fn session_answer(
    ctx: &Ctx<'_>,
    config: &DirectUploadConfig,
    session: &Session,
    first: u16,
    count: u16,
) -> Answer {
    let part_count = direct_uploads::part_count(session.total_size).map_err(refusal)?;
    let urls = direct_uploads::part_urls(ctx.ports, config, session, first, count).await.map_err(refusal)?;
    let parts: Vec<Value> = urls.iter().map(part_json).collect();
    let mut response = respond::json(&json!({
        "uploadId": session.id,
        "size": session.total_size,
        "partSize": PART_SIZE,
        "partCount": part_count,
        "parts": parts,
    }))?;
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(response)
}

fn part_json(part: &PartUrl) -> Value {
    json!({"partNumber": part.part_number, "url": part.url.as_str(), "expiresAt": iso8601_millis(part.expires_at)})
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletedPart {
    part_number: u16,
    etag: String,
}

#[derive(Deserialize)]
struct Completion {
    parts: Vec<CompletedPart>,
}

fn read_parts(ctx: &Ctx<'_>) -> Result<Vec<UploadedPart>, Problem> {
    let body: Value = ctx.json()?;
    let completion: Completion = serde_json::from_value(body.clone()).map_err(|e| {
        Problem::bad_request("Incorrect request parameters: parts").with_invalid_param(
            "parts",
            body.get("parts").cloned().unwrap_or(Value::Null),
            &format!("Should be a list of {{partNumber, etag}}: {e}"),
            "body",
        )
    })?;
    Ok(completion
        .parts
        .into_iter()
        .map(|p| UploadedPart { part_number: p.part_number, etag: p.etag })
        .collect())
}

fn refusal(error: DirectError) -> Problem {
    match error {
        DirectError::Size { size } => Problem::new(
            if size == 0 { StatusCode::BAD_REQUEST } else { StatusCode::PAYLOAD_TOO_LARGE },
            error.to_string(),
        ),
        DirectError::BadParts(_) | DirectError::SizeMismatch { .. } => Problem::bad_request(
            error.to_string(),
        )
        .with_invalid_param("parts", Value::Null, &error.to_string(), "body"),
        other => Problem::internal_from(other),
    }
}
