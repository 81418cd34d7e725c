//! `/api/v1/runners/...`: transcoding runners register, take jobs, read their input and write
//! their results through these calls (transcode-runner/PROTOCOL.md); administrators manage
//! registration tokens, runners and jobs.

use bytes::Bytes;
use edgetube_domain::{iso8601_millis, videos};
use edgetube_media::direct_uploads;
use edgetube_media::renditions::{self, is_safe_file_name, Images, RenditionError, Storyboard};
use edgetube_media::runner_jobs::{self, Failure, Holder, Job, JobError};
use edgetube_media::runners::{self, Runner};
use edgetube_media::uploads::{self, purpose, NewSession};
use edgetube_ports::ObjectRange;
use edgetube_runner_protocol::{
    AvailableJob, AvailableJobs, ErrorReport, JobUpdate, LadderPayload, SuccessPayload, UploadUrl,
    UploadUrlRequest, HOLD_PARAM,
};
use http::{header, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::media::{content_type, parse_range, Unsatisfiable};
use crate::uploads::{resume_incomplete, store_chunk};
use crate::validate::Checks;
use crate::{pagination, respond, Problem};

type Answer = Result<Response<Bytes>, Problem>;

/// Most bytes one input read returns.
const MAX_READ: u64 = 32 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunnerCall {
    runner_token: Option<String>,
    job_token: Option<String>,
}

async fn runner_named(ctx: &Ctx<'_>, token: Option<&str>) -> Result<Runner, Problem> {
    let token = token.unwrap_or_default();
    runners::authenticate(ctx.ports, token)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::new(StatusCode::UNAUTHORIZED, "Unknown runner token"))
}

fn job_problem(error: JobError) -> Problem {
    match error {
        JobError::NotFound => Problem::not_found("Unknown runner job"),
        JobError::NotPending => Problem::new(StatusCode::CONFLICT, "This runner job is not in pending state")
            .with_code("runner_job_not_in_pending_state"),
        JobError::NotYours => {
            Problem::new(StatusCode::CONFLICT, "This runner job is not processing for this runner")
                .with_code("runner_job_not_in_processing_state")
        }
        JobError::Domain(e) => Problem::internal_from(e),
    }
}

/// The job's holder and the job, from the tokens of a JSON call. Every write the call makes is
/// conditioned on the holder, not on this read.
async fn job_call(ctx: &Ctx<'_>, uuid: &str) -> Result<(Holder, Job, Value), Problem> {
    let body: Value = ctx.json()?;
    let call: RunnerCall =
        serde_json::from_value(body.clone()).map_err(|e| Problem::bad_request(e.to_string()))?;
    let runner = runner_named(ctx, call.runner_token.as_deref()).await?;
    let (holder, job) =
        runner_jobs::authorize(ctx.ports, uuid, runner.id, call.job_token.as_deref().unwrap_or_default())
            .await
            .map_err(job_problem)?;
    Ok((holder, job, body))
}

fn rendition_problem(error: RenditionError) -> Problem {
    match error {
        RenditionError::Invalid(detail) => Problem::bad_request(detail),
        RenditionError::Missing(file) => Problem::bad_request(format!("{file} was not uploaded")),
        RenditionError::NotHeld => job_problem(JobError::NotYours),
        RenditionError::Domain(e) => Problem::internal_from(e),
    }
}

fn state_json(state: i64) -> Value {
    let label = runner_jobs::STATES.iter().find(|(id, _)| *id == state).map_or("Unknown", |(_, l)| l);
    json!({"id": state, "label": label})
}

fn date(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| json!(iso8601_millis(ms)))
}

/// A job in PeerTube's shape, with `payload` (`null` if its stored payload is unreadable).
fn job_json(job: &Job, payload: Option<&LadderPayload>) -> Value {
    json!({
        "uuid": job.uuid,
        "type": job.job_type,
        "state": state_json(job.state),
        "payload": payload,
        "failures": job.failures,
        "error": job.error,
        "progress": job.progress,
        "priority": job.priority,
        "startedAt": date(job.started_at),
        "createdAt": date(Some(job.created_at)),
        "updatedAt": date(Some(job.updated_at)),
        "finishedAt": date(job.finished_at),
    })
}

/// `POST /api/v1/runners/register`
pub async fn register(ctx: &Ctx<'_>) -> Answer {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        registration_token: Option<String>,
        name: Option<String>,
        description: Option<String>,
    }
    let body: Body = ctx.json()?;
    // PeerTube's `CONSTRAINTS_FIELDS.RUNNERS`: name 1–100, description 1–1000, token 1–1000.
    let mut checks = Checks::default();
    let name = body.name.unwrap_or_default();
    checks.length("name", &name, 1, 100, "Should have a valid runner name");
    if let Some(description) = &body.description {
        checks.length("description", description, 1, 1000, "Should have a valid runner description");
    }
    let token = body.registration_token.unwrap_or_default();
    if !(1..=1000).contains(&token.chars().count()) {
        // A secret (or a guess at one): never echoed back.
        checks.invalid("registrationToken", Value::Null, "Should have a valid registration token");
    }
    checks.finish()?;
    let registered = runners::register(ctx.ports, ctx.config, &token, &name, body.description.as_deref())
        .await
        .map_err(Problem::internal_from)?;
    let Some((id, runner_token)) = registered else {
        return Err(Problem::bad_request("Unknown registration token"));
    };
    respond::json(&json!({"id": id, "runnerToken": runner_token}))
}

/// `POST /api/v1/runners/unregister`
pub async fn unregister(ctx: &Ctx<'_>) -> Answer {
    let call: RunnerCall = ctx.json()?;
    let runner = runner_named(ctx, call.runner_token.as_deref()).await?;
    runners::remove(ctx.ports.sql, runner.id).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `POST /api/v1/runners/registration-tokens/generate`
pub async fn generate_registration_token(ctx: &Ctx<'_>) -> Answer {
    ctx.admin().await?;
    runners::generate_registration_token(ctx.ports).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `GET /api/v1/runners/registration-tokens`
pub async fn registration_tokens(ctx: &Ctx<'_>) -> Answer {
    ctx.admin().await?;
    let tokens = runners::registration_tokens(ctx.ports.sql).await.map_err(Problem::internal_from)?;
    let data: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({"id": t.id, "registrationToken": t.token, "createdAt": iso8601_millis(t.created_at),
                   "updatedAt": iso8601_millis(t.created_at), "registeredRunnersCount": t.registered_runners_count})
        })
        .collect();
    respond::json(&json!({"total": data.len(), "data": data}))
}

/// `DELETE /api/v1/runners/registration-tokens/{id}`
pub async fn delete_registration_token(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.admin().await?;
    let id: i64 = id.parse().map_err(|_| Problem::not_found("Unknown registration token"))?;
    if !runners::delete_registration_token(ctx.ports.sql, id).await.map_err(Problem::internal_from)? {
        return Err(Problem::not_found("Unknown registration token"));
    }
    Ok(respond::no_content())
}

/// `GET /api/v1/runners`
pub async fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.admin().await?;
    let list = runners::list(ctx.ports.sql).await.map_err(Problem::internal_from)?;
    let data: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({"id": r.id, "name": r.name, "description": r.description,
                   "lastContact": iso8601_millis(r.last_contact), "createdAt": iso8601_millis(r.created_at),
                   "updatedAt": iso8601_millis(r.last_contact)})
        })
        .collect();
    respond::json(&json!({"total": data.len(), "data": data}))
}

/// `DELETE /api/v1/runners/{id}`
pub async fn remove(ctx: &Ctx<'_>, id: &str) -> Answer {
    ctx.admin().await?;
    let id: i64 = id.parse().map_err(|_| Problem::not_found("Unknown runner"))?;
    if !runners::remove(ctx.ports.sql, id).await.map_err(Problem::internal_from)? {
        return Err(Problem::not_found("Unknown runner"));
    }
    Ok(respond::no_content())
}

/// `GET /api/v1/runners/jobs?stateOneOf=`
pub async fn jobs(ctx: &Ctx<'_>) -> Answer {
    ctx.admin().await?;
    let page = pagination::page(ctx)?;
    let raw = ctx.query_all("stateOneOf");
    let states: Vec<i64> = raw
        .iter()
        .filter_map(|s| s.parse().ok())
        .filter(|state| runner_jobs::STATES.iter().any(|(id, _)| id == state))
        .collect();
    // Each state is spelled into the query: only known ones, and no more than there are.
    if states.len() != raw.len() || states.len() > runner_jobs::STATES.len() {
        return Err(Problem::bad_request("Incorrect request parameters: stateOneOf").with_invalid_param(
            "stateOneOf",
            json!(raw.iter().take(runner_jobs::STATES.len() + 1).collect::<Vec<_>>()),
            "Should have a valid stateOneOf array",
            "query",
        ));
    }
    let (total, jobs) = runner_jobs::list(ctx.ports.sql, &states, page.start, page.count)
        .await
        .map_err(Problem::internal_from)?;
    let data: Vec<Value> = jobs
        .iter()
        .map(|j| {
            job_json(j, runner_jobs::payload_for_runner(j, ctx.config.origin.as_str(), None).ok().as_ref())
        })
        .collect();
    respond::json(&json!({"total": total, "data": data}))
}

/// The longest a held `jobs/request` waits for a job (`waitSeconds`, in ms): under the 60 s of
/// idle response that proxies and load balancers commonly allow.
pub const MAX_REQUEST_HOLD_MS: u64 = 45_000;
/// How often a held `jobs/request` looks for jobs again: one indexed read of `runner_jobs`, so a
/// job made meanwhile is offered within half a second.
const REQUEST_HOLD_STEP_MS: u64 = 500;

/// `POST /api/v1/runners/jobs/request`. With `?waitSeconds=N` (Edgetube's own, PROTOCOL.md
/// "Waiting for jobs"), on a platform that holds requests ([`RunnerSignal::holds_requests`],
/// Spin), the answer waits until a job is available or N seconds (at most 45) have passed: a
/// long poll for platforms without the wait socket. Elsewhere the parameter changes nothing.
///
/// [`RunnerSignal::holds_requests`]: edgetube_ports::RunnerSignal::holds_requests
pub async fn request(ctx: &Ctx<'_>) -> Answer {
    let call: RunnerCall = ctx.json()?;
    runner_named(ctx, call.runner_token.as_deref()).await?;
    let hold_ms = requested_hold_ms(ctx)?;
    let until = ctx.ports.clock.now_millis().saturating_add(hold_ms as i64);
    // Bounded by the steps the hold allows, even if the clock stood still.
    let mut available_jobs = offered_jobs(ctx).await?;
    for _ in 0..hold_ms.div_ceil(REQUEST_HOLD_STEP_MS) {
        if !available_jobs.is_empty() || ctx.ports.clock.now_millis() >= until {
            break;
        }
        ctx.ports.runner_signal.pause(REQUEST_HOLD_STEP_MS).await;
        available_jobs = offered_jobs(ctx).await?;
    }
    respond::json(&AvailableJobs { available_jobs })
}

/// The jobs a runner may take now. A job whose stored payload is unreadable is not offered: no
/// runner could do it.
async fn offered_jobs(ctx: &Ctx<'_>) -> Result<Vec<AvailableJob>, Problem> {
    let jobs = runner_jobs::available(ctx.ports, ctx.config).await.map_err(Problem::internal_from)?;
    Ok(jobs
        .iter()
        .filter_map(|j| {
            let payload = runner_jobs::payload_for_runner(j, ctx.config.origin.as_str(), None).ok()?;
            Some(AvailableJob { uuid: j.uuid.clone(), kind: j.job_type.clone(), payload })
        })
        .collect())
}

/// How long this `jobs/request` may be held: `waitSeconds` (capped), where the platform holds
/// requests; 0 otherwise.
fn requested_hold_ms(ctx: &Ctx<'_>) -> Result<u64, Problem> {
    let Some(raw) = ctx.query(HOLD_PARAM) else { return Ok(0) };
    let seconds: u64 = raw.parse().map_err(|_| {
        Problem::bad_request(format!("{HOLD_PARAM} must be a whole number of seconds, not {raw:?}"))
    })?;
    if !ctx.ports.runner_signal.holds_requests() {
        return Ok(0);
    }
    Ok(seconds.saturating_mul(1000).min(MAX_REQUEST_HOLD_MS))
}

/// The platform's cue on the answer to `GET /api/v1/runners/jobs/wait`: the runner is known and
/// asked for a WebSocket, so the platform now hands the connection to its waiting room (on
/// Workers, a hibernating Durable Object) and answers with the socket instead. A platform that
/// does not look for this extension sends the 501 it rides on, and the runner polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunnerWait {
    /// The authenticated runner, so the waiting room can tell its sockets apart.
    pub runner_id: i64,
    /// `RUNNER_JOB_STALE_SECONDS` in ms: when a runner's socket closes (the process died), its
    /// job is offered to others this long after its last heartbeat, which no write marks; the
    /// room wakes the others then.
    pub job_stale_after_ms: i64,
}

/// `GET /api/v1/runners/jobs/wait` (Edgetube's own, PROTOCOL.md "Waiting for jobs"): a runner
/// with nothing to do opens a WebSocket that says `available-jobs` when a job becomes pending.
/// The runner token comes in `X-Runner-Token` (a WebSocket handshake has no body, and a query
/// string would put the secret in request logs); an unknown one is refused before any upgrade.
pub async fn wait(ctx: &Ctx<'_>) -> Answer {
    let runner = runner_named(ctx, ctx.header("x-runner-token")).await?;
    let unavailable = || {
        Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "This instance cannot hold waiting runners; poll jobs/request",
        )
        .with_code("runner_wait_unavailable")
    };
    if !ctx.ports.runner_signal.holds_waiters() {
        return Err(unavailable());
    }
    let upgrade = ctx.header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        let mut response =
            Problem::new(StatusCode::UPGRADE_REQUIRED, "Open a WebSocket (Upgrade: websocket)")
                .into_response();
        response.headers_mut().insert(header::UPGRADE, header::HeaderValue::from_static("websocket"));
        return Ok(response);
    }
    let mut response = unavailable().into_response();
    response
        .extensions_mut()
        .insert(RunnerWait { runner_id: runner.id, job_stale_after_ms: ctx.config.media.job_stale_after_ms });
    Ok(response)
}

/// `POST /api/v1/runners/jobs/{uuid}/accept`
pub async fn accept(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let call: RunnerCall = ctx.json()?;
    let runner = runner_named(ctx, call.runner_token.as_deref()).await?;
    let (job, job_token) =
        runner_jobs::accept(ctx.ports, ctx.config, uuid, runner.id).await.map_err(job_problem)?;
    let video = runner_jobs::video_of(ctx.ports.sql, &job).await.map_err(job_problem)?;
    let size = match &video.original_key {
        Some(key) => ctx.ports.objects.head(key).await.map_err(Problem::internal_from)?.map(|m| m.size),
        None => None,
    };
    let mut payload = runner_jobs::payload_for_runner(&job, ctx.config.origin.as_str(), size)
        .map_err(Problem::internal_from)?;
    // With R2 credentials the runner reads the original straight from storage; the API URL stays
    // for runners that do not know this field.
    if let (Some(direct), Some(key)) = (&ctx.config.media.direct_upload, &video.original_key) {
        let url = direct_uploads::presigned_read(direct, key, ctx.ports.clock.now_millis())
            .map_err(Problem::internal_from)?;
        payload.input.presigned_video_file_url = Some(url.as_str().to_owned());
    }
    payload.output.presigned_uploads = ctx.config.media.direct_upload.is_some();
    let mut json = job_json(&job, Some(&payload));
    json["jobToken"] = json!(job_token);
    respond::json(&json!({"job": json}))
}

/// `POST /api/v1/runners/jobs/{uuid}/update`: heartbeat, progress, probed facts, a rendition.
pub async fn update(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let (holder, job, body) = job_call(ctx, uuid).await?;
    let update: JobUpdate =
        serde_json::from_value(body).map_err(|e| Problem::bad_request(format!("update: {e}")))?;
    runner_jobs::heartbeat(ctx.ports, &holder, update.progress.map(i64::from)).await.map_err(job_problem)?;
    if let Some(info) = update.video {
        let video = runner_jobs::video_of(ctx.ports.sql, &job).await.map_err(job_problem)?;
        renditions::set_video_info(ctx.ports, &holder, &video, info.duration, info.aspect_ratio)
            .await
            .map_err(rendition_problem)?;
    }
    if let Some(rendition) = update.rendition {
        // Read after the facts above were recorded: the master playlist carries the duration.
        let video = runner_jobs::video_of(ctx.ports.sql, &job).await.map_err(job_problem)?;
        renditions::add(ctx.ports, &holder, &video, &rendition).await.map_err(rendition_problem)?;
        // The first rendition publishes the video (`Create`); later ones add files (`Update`).
        // A 503 here makes the runner report the rendition again, which records it again and
        // federates then.
        let published = videos::find_by_id(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
        crate::videos::federate(ctx, Some(&video), published.as_ref()).await?;
    }
    Ok(respond::no_content())
}

/// `POST /api/v1/runners/jobs/{uuid}/success`
pub async fn success(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let (holder, job, body) = job_call(ctx, uuid).await?;
    let payload: SuccessPayload = serde_json::from_value(body.get("payload").cloned().unwrap_or(Value::Null))
        .map_err(|e| Problem::bad_request(format!("payload: {e}")))?;
    let video = runner_jobs::video_of(ctx.ports.sql, &job).await.map_err(job_problem)?;
    if !renditions::has_any(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)? {
        return Err(Problem::bad_request("No rendition was reported"));
    }
    let thumbnail_key = stored_image(ctx, &job, "thumbnail", &payload.thumbnail).await?;
    let preview_key = stored_image(ctx, &job, "preview", &payload.preview).await?;
    let storyboard = match payload.storyboard {
        Some(s) => Some(Storyboard {
            file_key: stored_image(ctx, &job, "storyboard", &s.file).await?,
            sprite_width: s.sprite_width.into(),
            sprite_height: s.sprite_height.into(),
            total_width: s.total_width.into(),
            total_height: s.total_height.into(),
            sprite_duration: s.sprite_duration.into(),
        }),
        None => None,
    };
    let images = Images { thumbnail_key, preview_key, storyboard };
    // The images are recorded in the same batch that completes the job, only while this runner
    // holds it.
    runner_jobs::complete(ctx.ports, &holder, &video, &images).await.map_err(job_problem)?;
    // The images and storyboard are new in the Video object.
    let finished = videos::find_by_id(ctx.ports.sql, video.id).await.map_err(Problem::internal_from)?;
    crate::videos::federate(ctx, Some(&video), finished.as_ref()).await?;
    Ok(respond::no_content())
}

/// The key of an image the job uploaded (its video's), or 400 if it is not stored.
async fn stored_image(ctx: &Ctx<'_>, job: &Job, kind: &str, name: &str) -> Result<String, Problem> {
    let key = object_key(kind, name, &job.video_uuid).map_err(Problem::bad_request)?;
    match ctx.ports.objects.head(&key).await.map_err(Problem::internal_from)? {
        Some(_) => Ok(key),
        None => Err(Problem::bad_request(format!("{kind} {name} was not uploaded"))),
    }
}

/// `POST /api/v1/runners/jobs/{uuid}/error`
pub async fn error(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let (holder, _, body) = job_call(ctx, uuid).await?;
    // Lenient like PeerTube: a missing or malformed message is no reason to refuse the failure.
    let report: ErrorReport = serde_json::from_value(body).unwrap_or_default();
    let message = report.message.as_deref().unwrap_or("The runner gave no reason");
    // Out of attempts, the job shows as errored with the message in the administrators' job list
    // and the video as "Transcoding failed"; otherwise it is pending again.
    let _: Failure = runner_jobs::fail(ctx.ports, ctx.config, &holder, message).await.map_err(job_problem)?;
    Ok(respond::no_content())
}

/// `POST /api/v1/runners/jobs/{uuid}/abort`
pub async fn abort(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let (holder, _, _) = job_call(ctx, uuid).await?;
    runner_jobs::abort(ctx.ports, &holder).await.map_err(job_problem)?;
    Ok(respond::no_content())
}

/// `POST /api/v1/runners/jobs/{uuid}/files/videos/{videoUUID}/max-quality`: the uploaded original,
/// by ranges.
pub async fn download(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let (_, job, _) = job_call(ctx, uuid).await?;
    let video = runner_jobs::video_of(ctx.ports.sql, &job).await.map_err(job_problem)?;
    let key = video.original_key.ok_or_else(|| Problem::not_found("This video has no original file"))?;
    let meta = ctx.ports.objects.head(&key).await.map_err(Problem::internal_from)?;
    let meta = meta.ok_or_else(|| Problem::not_found("The original file is not stored"))?;
    let range = match ctx.header(header::RANGE.as_str()) {
        Some(value) => parse_range(value, meta.size).map_err(|Unsatisfiable| {
            Problem::new(StatusCode::RANGE_NOT_SATISFIABLE, format!("The file has {} bytes", meta.size))
        })?,
        None => ObjectRange::From(0),
    };
    let (first, wanted) = match range {
        ObjectRange::OffsetWithLength { offset, length } => (offset, length),
        ObjectRange::From(offset) => (offset, meta.size - offset),
        ObjectRange::Suffix(n) => (meta.size - n, n),
    };
    let length = wanted.min(MAX_READ);
    let body = ctx
        .ports
        .objects
        .get(&key, Some(ObjectRange::OffsetWithLength { offset: first, length }))
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| Problem::not_found("The original file is not stored"))?;
    let last = (first + body.bytes.len() as u64).saturating_sub(1);
    Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_RANGE, format!("bytes {first}-{last}/{}", meta.size))
        .header(header::CONTENT_LENGTH, body.bytes.len())
        .body(body.bytes)
        .map_err(Problem::internal_from)
}

/// Where a runner's file goes, by kind: always under the job's video (its HLS prefix, or an image
/// key naming it), whatever name the runner chose.
fn object_key(kind: &str, name: &str, video_uuid: &str) -> Result<String, String> {
    if !is_safe_file_name(name) {
        return Err(format!("{name:?} is not a valid file name"));
    }
    let ok = match kind {
        "hls" => name.ends_with("-fragmented.mp4") || name.ends_with(".m3u8"),
        "thumbnail" | "preview" | "storyboard" => name.ends_with(".jpg"),
        _ => return Err(format!("unknown file kind {kind:?}")),
    };
    if !ok {
        return Err(format!("{name:?} is not a {kind} file name"));
    }
    Ok(match kind {
        "hls" => format!("{}{name}", renditions::hls_prefix(video_uuid)),
        "thumbnail" => renditions::image_key("thumbnails", video_uuid, name),
        "preview" => renditions::image_key("previews", video_uuid, name),
        _ => renditions::image_key("storyboards", video_uuid, name),
    })
}

/// `POST /api/v1/runners/jobs/{uuid}/files/upload-url`: a presigned storage `PUT` for the object
/// the API upload path would write for `{kind, name}`.
pub async fn upload_url(ctx: &Ctx<'_>, uuid: &str) -> Answer {
    let (holder, job, body) = job_call(ctx, uuid).await?;
    let Some(direct) = &ctx.config.media.direct_upload else {
        return Err(Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "Presigned uploads are not configured on this instance (no R2 S3 credentials); \
             use the upload URL",
        )
        .with_code("direct_upload_disabled"));
    };
    let asked: UploadUrlRequest =
        serde_json::from_value(body).map_err(|e| Problem::bad_request(e.to_string()))?;
    let key = object_key(&asked.kind, &asked.name, &job.video_uuid).map_err(Problem::bad_request)?;
    if asked.size == 0 || asked.size > direct_uploads::MAX_SINGLE_PUT {
        return Err(Problem::bad_request(format!(
            "a presigned upload carries 1 to {} bytes, not {}",
            direct_uploads::MAX_SINGLE_PUT,
            asked.size
        )));
    }
    let content_type = content_type(&asked.name);
    // Asking for a URL is a sign of life, as an API chunk is.
    runner_jobs::heartbeat(ctx.ports, &holder, None).await.map_err(job_problem)?;
    // No URL unless the key is recorded for this holder's attempt, so its cleanup finds it.
    let tracked = direct_uploads::track_runner_write(ctx.ports, &holder, &key, content_type, asked.size)
        .await
        .map_err(Problem::internal_from)?;
    if !tracked {
        return Err(job_problem(JobError::NotYours));
    }
    let now = ctx.ports.clock.now_millis();
    let url = direct_uploads::presigned_write(direct, &key, now).map_err(Problem::internal_from)?;
    respond::json(&UploadUrl {
        url: url.into(),
        expires_at: iso8601_millis(now + i64::from(direct.url_ttl_secs) * 1000),
        headers: [(header::CONTENT_TYPE.as_str().to_owned(), content_type.to_owned())].into(),
    })
}

/// `PUT /api/v1/runners/jobs/{uuid}/files/upload/{kind}/{name}`: one chunk of a result file,
/// read only after the runner and job tokens (headers) are checked.
pub async fn upload(ctx: &Ctx<'_>, uuid: &str, kind: &str, name: &str) -> Answer {
    let runner = runner_named(ctx, ctx.header("x-runner-token")).await?;
    let (holder, job) =
        runner_jobs::authorize(ctx.ports, uuid, runner.id, ctx.header("x-job-token").unwrap_or_default())
            .await
            .map_err(job_problem)?;
    let key = object_key(kind, name, &job.video_uuid).map_err(Problem::bad_request)?;
    // Every chunk is a sign of life; a runner that lost the job stops here, before any write.
    runner_jobs::heartbeat(ctx.ports, &holder, None).await.map_err(job_problem)?;
    let total = ctx
        .header(header::CONTENT_RANGE.as_str())
        .and_then(|v| v.rsplit('/').next())
        .and_then(|t| t.trim().parse::<u64>().ok())
        .or_else(|| crate::uploads::chunk_length(ctx))
        .ok_or_else(|| Problem::bad_request("A chunk needs Content-Range or Content-Length"))?;
    // Per attempt: a later holder writing the same name never shares this session's staging.
    let id = holder.attempt_scoped_id(&format!("{kind}\n{name}"));
    let session = uploads::open_for(
        ctx.ports,
        &NewSession {
            id: &id,
            purpose: purpose::RUNNER_FILE,
            user_id: None,
            runner_job_id: Some(holder.job_id),
            fingerprint: None,
            object_key: &key,
            content_type: Some(content_type(name)),
            total_size: total,
            metadata: None,
        },
        &holder,
    )
    .await
    .map_err(Problem::internal_from)?
    .ok_or_else(|| job_problem(JobError::NotYours))?;
    if session.total_size != total {
        return Err(Problem::bad_request("The total size differs from the first chunk's"));
    }
    let session = if session.completed_at.is_some() {
        session
    } else {
        match store_chunk(ctx, &session, Some(&holder)).await {
            Ok(session) => session,
            Err(response) => return Ok(response),
        }
    };
    if !session.all_received() {
        return Ok(resume_incomplete(session.received));
    }
    let meta = uploads::finish_for(ctx.ports, &session, &holder)
        .await
        .map_err(Problem::internal_from)?
        .ok_or_else(|| job_problem(JobError::NotYours))?;
    let mut response = respond::json(&json!({"key": meta.key, "size": meta.size}))?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}
