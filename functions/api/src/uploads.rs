//! Video uploads: PeerTube's resumable protocol (`POST/PUT/DELETE /videos/upload-resumable`) and
//! the legacy one-request `POST /videos/upload` (multipart form, what `peertube-cli` sends).
//!
//! Bytes go to object storage under `uploads/<uploadId>/source` through `media::uploads`, which
//! re-blocks chunks of any size into R2's equal multipart parts. The video row is created when the
//! last byte is stored and before the object is completed, so the storage event that follows
//! always finds its video; locally, where storage sends no event, the worker queues the same
//! `ObjectCreated` message the platform makes of one (`EMULATE_STORAGE_EVENTS`; `EMULATE_R2_NOTIFICATIONS` on Cloudflare).

use bytes::Bytes;
use edgetube_domain::actors;
use edgetube_domain::oauth::token_hash;
use edgetube_domain::videos::{self, privacy, NewVideo, Video};
use edgetube_media::part_writer::PartWriter;
use edgetube_media::runner_jobs::Holder;
use edgetube_media::torrents;
use edgetube_media::uploads::{self, purpose, NewSession, Session, UploadError};
use edgetube_ports::{ObjectCreated, ObjectMeta, QueueMessage};
use http::{header, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::body::Paced;
use crate::context::{Caller, Ctx, MAX_JSON_BODY};
use crate::validate::Checks;
use crate::videos::read_update;
use crate::{respond, Problem};
use edgetube_ports::encoding::hex;

type Answer = Result<Response<Bytes>, Problem>;

/// File extensions PeerTube accepts for videos and (with `allow_audio_files`) audio.
const EXTENSIONS: &[&str] = &[
    ".mp4", ".ogv", ".webm", ".mkv", ".mov", ".qt", ".mqv", ".m4v", ".flv", ".f4v", ".wmv", ".avi", ".3gp",
    ".3gpp", ".3g2", ".3gpp2", ".nut", ".mts", ".m2ts", ".mpv", ".m2v", ".m1v", ".mpg", ".mpe", ".mpeg",
    ".vob", ".mxf", ".mp3", ".wma", ".wav", ".flac", ".aac", ".m4a", ".ac3", ".ogg", ".oga", ".opus",
];

fn unsupported_file() -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "This file is not supported. Please, make sure it is of the following type: {}",
            EXTENSIONS.join(", ")
        ),
    )
}

/// PeerTube's `VIDEO_SOURCE.FILENAME`: the original's name is stored and shown back.
const MAX_FILENAME: usize = 1000;

fn check_extension(filename: &str) -> Result<(), Problem> {
    let lower = filename.to_ascii_lowercase();
    if EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) {
        Ok(())
    } else {
        Err(unsupported_file())
    }
}

/// Validates the metadata of a new video (the same fields and limits as an update, plus the
/// required `name` and `channelId`, which must be one of the caller's channels).
async fn read_new_video(
    ctx: &Ctx<'_>,
    caller: &Caller,
    body: &Map<String, Value>,
) -> Result<NewVideo, Problem> {
    let mut checks = Checks::default();
    if !body.contains_key("name") {
        checks.invalid("name", Value::Null, "Should have a video name between 3 and 120 characters long");
    }
    if !body.contains_key("channelId") {
        checks.invalid("channelId", Value::Null, "Should have correct video channel id");
    }
    checks.finish()?;
    let change = read_update(body)?;
    let channel_id = change.channel_id.unwrap_or_default();
    let channels =
        actors::channels_of(ctx.ports.sql, caller.user.account_id).await.map_err(Problem::internal_from)?;
    if !channels.iter().any(|c| c.id == channel_id) {
        return Err(Problem::new(StatusCode::FORBIDDEN, "Cannot publish in a channel that is not yours"));
    }
    let mut new = NewVideo::new(channel_id, change.name.unwrap_or_default());
    new.description = change.description.flatten();
    new.support = change.support.flatten();
    new.category = change.category.flatten();
    new.licence = change.licence.flatten();
    new.language = change.language.flatten();
    // PeerTube publishes an upload as private unless told otherwise.
    new.privacy = change.privacy.unwrap_or(privacy::PRIVATE);
    new.nsfw = change.nsfw.unwrap_or(false);
    new.comments_policy = change.comments_policy.unwrap_or(1);
    new.download_enabled = change.download_enabled.unwrap_or(true);
    new.wait_transcoding = change.wait_transcoding.unwrap_or(false);
    new.originally_published_at = change.originally_published_at.flatten();
    new.tags = change.tags.unwrap_or_default();
    new.passwords = change.passwords.unwrap_or_default();
    if new.privacy == privacy::PASSWORD_PROTECTED && new.passwords.is_empty() {
        return Err(Problem::bad_request("Incorrect request parameters: videoPasswords").with_invalid_param(
            "videoPasswords",
            Value::Null,
            "Video passwords are required for a password protected video",
            "body",
        ));
    }
    new.state = videos::state::TO_TRANSCODE;
    Ok(new)
}

/// 413 when `size` more bytes would exceed the caller's quota.
async fn check_quota(ctx: &Ctx<'_>, caller: &Caller, size: u64) -> Result<(), Problem> {
    let user = &caller.user;
    if user.video_quota < 0 && user.video_quota_daily < 0 {
        return Ok(());
    }
    let day_ago = ctx.ports.clock.now_millis() - 24 * 3600 * 1000;
    let (used, daily) =
        videos::quota_used(ctx.ports.sql, user.account_id, day_ago).await.map_err(Problem::internal_from)?;
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    let over = |quota: i64, used: i64| quota >= 0 && used.saturating_add(size) > quota;
    if over(user.video_quota, used) || over(user.video_quota_daily, daily) {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The user video quota is exceeded with this video.",
        )
        .with_code("quota_reached"));
    }
    Ok(())
}

pub(crate) fn video_answer(video: &Video) -> Answer {
    respond::json(&json!({"video": {"id": video.id, "shortUUID": video.short_uuid, "uuid": video.uuid}}))
}

/// Tells the job queue an original is stored, where storage itself does not: the same
/// [`QueueMessage::ObjectCreated`] the platform makes of its storage's event.
pub(crate) async fn announce(ctx: &Ctx<'_>, meta: &ObjectMeta) -> Result<(), Problem> {
    if !ctx.config.media.emulate_storage_events {
        return Ok(());
    }
    let message = QueueMessage::ObjectCreated(ObjectCreated::from_meta(meta));
    ctx.ports.queue.send(&message, None).await.map_err(Problem::internal_from)
}

pub(crate) fn upload_id(ctx: &Ctx<'_>) -> Result<String, Problem> {
    let bytes = ctx.ports.crypto.random_bytes(32).map_err(Problem::internal_from)?;
    let hex = hex(&bytes);
    // PeerTube's ids look like this: four groups of 16 hex digits.
    Ok([&hex[0..16], &hex[16..32], &hex[32..48], &hex[48..64]].join("-"))
}

fn resumable_location(ctx: &Ctx<'_>, id: &str) -> String {
    // Protocol-relative, as PeerTube answers.
    format!("//{}/api/v1/videos/upload-resumable?upload_id={id}", ctx.config.origin.authority())
}

fn declared_size(ctx: &Ctx<'_>) -> Result<u64, Problem> {
    ctx.header("x-upload-content-length").and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        Problem::bad_request("Incorrect request parameters: x-upload-content-length").with_invalid_param(
            "x-upload-content-length",
            json!(ctx.header("x-upload-content-length")),
            "Should have a valid file size",
            "headers",
        )
    })
}

/// A validated upload init: PeerTube's resumable init, which the direct upload shares.
pub(crate) struct Init {
    /// `X-Upload-Content-Length`.
    pub size: u64,
    /// `X-Upload-Content-Type`.
    pub content_type: Option<String>,
    /// The video metadata, `filename` included, kept until completion.
    pub metadata: Map<String, Value>,
}

impl Init {
    /// Identifies a repeated init of the same file by the same user; `kind` keeps the upload
    /// paths' sessions apart.
    pub fn fingerprint(&self, kind: &str, caller: &Caller) -> String {
        let metadata = Value::Object(self.metadata.clone());
        let base = format!("{}\n{}\n{metadata}", caller.user.id, self.size);
        // The resumable path's fingerprint predates `kind` and keeps its form.
        token_hash(&if kind == purpose::VIDEO { base } else { format!("{kind}\n{base}") })
    }
}

/// Checks an init's metadata, file name, size and quota as PeerTube does.
pub(crate) async fn read_init(ctx: &Ctx<'_>, caller: &Caller) -> Result<Init, Problem> {
    let metadata: Map<String, Value> = ctx.json()?;
    let size = declared_size(ctx)?;
    let filename = match metadata.get("filename") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.chars().count() <= MAX_FILENAME => {
            name.clone()
        }
        other => {
            return Err(Problem::bad_request("Incorrect request parameters: filename").with_invalid_param(
                "filename",
                other.cloned().unwrap_or(Value::Null),
                "Should have a valid filename",
                "body",
            ))
        }
    };
    read_new_video(ctx, caller, &metadata).await?;
    check_extension(&filename)?;
    check_quota(ctx, caller, size).await?;
    let content_type = ctx.header("x-upload-content-type").map(str::to_owned);
    Ok(Init { size, content_type, metadata })
}

/// The unfinished session a repeated init names; a finished one forgets its fingerprint, since
/// the same file sent again is a new upload.
pub(crate) async fn unfinished_by_fingerprint(
    ctx: &Ctx<'_>,
    fingerprint: &str,
) -> Result<Option<Session>, Problem> {
    let Some(existing) =
        uploads::find_by_fingerprint(ctx.ports.sql, fingerprint).await.map_err(Problem::internal_from)?
    else {
        return Ok(None);
    };
    if existing.completed_at.is_none() {
        return Ok(Some(existing));
    }
    ctx.ports
        .sql
        .execute(
            edgetube_ports::Statement::new("UPDATE upload_sessions SET fingerprint = NULL WHERE id = ?1")
                .bind(existing.id.as_str()),
        )
        .await
        .map_err(Problem::internal_from)?;
    Ok(None)
}

/// `POST /api/v1/videos/upload-resumable`
pub async fn init_resumable(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let init = read_init(ctx, &caller).await?;
    // The same init from the same user resumes the same session, as PeerTube derives the id.
    let fingerprint = init.fingerprint(purpose::VIDEO, &caller);
    if let Some(existing) = unfinished_by_fingerprint(ctx, &fingerprint).await? {
        return located(StatusCode::OK, resumable_location(ctx, &existing.id));
    }
    let id = upload_id(ctx)?;
    uploads::open(
        ctx.ports,
        &NewSession {
            id: &id,
            purpose: purpose::VIDEO,
            user_id: Some(caller.user.id),
            runner_job_id: None,
            fingerprint: Some(&fingerprint),
            object_key: &format!("uploads/{id}/source"),
            content_type: init.content_type.as_deref(),
            total_size: init.size,
            metadata: Some(&Value::Object(init.metadata).to_string()),
        },
    )
    .await
    .map_err(Problem::internal_from)?;
    located(StatusCode::CREATED, resumable_location(ctx, &id))
}

fn located(status: StatusCode, location: String) -> Answer {
    Response::builder()
        .status(status)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::new())
        .map_err(Problem::internal_from)
}

/// The session named by `?upload_id=`, if it is the caller's.
async fn own_session(ctx: &Ctx<'_>, caller: &Caller) -> Result<Session, Problem> {
    let id = ctx.query("upload_id").unwrap_or_default();
    owned_session(ctx, caller, &id, purpose::VIDEO).await
}

/// The upload session `id` made for `purpose`, if it is the caller's: 404 if there is none,
/// 403 if it is another user's.
pub(crate) async fn owned_session(
    ctx: &Ctx<'_>,
    caller: &Caller,
    id: &str,
    purpose: &str,
) -> Result<Session, Problem> {
    let session = uploads::find(ctx.ports.sql, id)
        .await
        .map_err(Problem::internal_from)?
        .filter(|s| s.purpose == purpose)
        .ok_or_else(|| Problem::not_found("Upload not found"))?;
    if session.user_id != Some(caller.user.id) {
        return Err(Problem::new(StatusCode::FORBIDDEN, "Cannot access an upload of another user"));
    }
    Ok(session)
}

/// `308 Resume Incomplete` with the stored range, as PeerTube (uploadx) answers.
pub fn resume_incomplete(received: u64) -> Response<Bytes> {
    let mut builder = Response::builder()
        .status(StatusCode::PERMANENT_REDIRECT)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::CONTENT_LENGTH, "0");
    if received > 0 {
        builder = builder.header(header::RANGE, format!("bytes=0-{}", received - 1));
    }
    builder.body(Bytes::new()).unwrap_or_default()
}

/// The length of the request's chunk: the bytes already read, or the `Content-Length` of a body
/// still to come (`None` when a streamed body does not announce it).
pub fn chunk_length(ctx: &Ctx<'_>) -> Option<u64> {
    if ctx.pending.is_pending() {
        ctx.header(header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok())
    } else {
        Some(ctx.request.body().len() as u64)
    }
}

/// A chunk's `Content-Range`: `Some((first, last))` for `bytes a-b/total`, `None` for the
/// offset query `bytes */total`. Decided from the headers alone: the body is not read yet.
pub fn content_range(ctx: &Ctx<'_>, total: u64) -> Result<Option<(u64, u64)>, Problem> {
    let Some(value) = ctx.header(header::CONTENT_RANGE.as_str()) else {
        // A body without Content-Range is the whole file in one chunk.
        let len = chunk_length(ctx).unwrap_or(0);
        return Ok((len > 0).then(|| (0, len - 1)));
    };
    let range = parse_content_range(value, total)
        .map_err(|e| Problem::bad_request(format!("Invalid Content-Range: {e}")))?;
    if let Some((first, last)) = range {
        // A streamed body without a length is counted as it arrives instead.
        if chunk_length(ctx).is_some_and(|len| len != last - first + 1) {
            return Err(Problem::bad_request(
                "Invalid Content-Range: the body length differs from the range",
            ));
        }
    }
    Ok(range)
}

/// Why a `Content-Range` value was refused; its `Display` is the detail sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContentRangeError {
    /// Not a `bytes ` range.
    #[error("expected bytes")]
    NotBytes,
    /// No `/total` part.
    #[error("expected a total size")]
    NoTotal,
    /// The `/total` part is not the size the upload announced.
    #[error("the total differs from the announced size")]
    TotalMismatch,
    /// No `first-last` pair.
    #[error("expected first-last")]
    NoDash,
    /// The first byte is not a number.
    #[error("bad first byte")]
    BadFirst,
    /// The last byte is not a number.
    #[error("bad last byte")]
    BadLast,
    /// The range is reversed or runs past the file's end.
    #[error("the range is outside the file")]
    OutOfFile,
}

/// The pure part of [`content_range`]: a `Content-Range` header value against a file of `total`
/// bytes. `Some((first, last))` (inclusive, `first <= last < total`) for `bytes a-b/total`,
/// `None` for the offset query `bytes */total`.
pub fn parse_content_range(value: &str, total: u64) -> Result<Option<(u64, u64)>, ContentRangeError> {
    let spec = value.trim().strip_prefix("bytes ").ok_or(ContentRangeError::NotBytes)?;
    let (range, size) = spec.split_once('/').ok_or(ContentRangeError::NoTotal)?;
    if size.trim().parse::<u64>().ok() != Some(total) {
        return Err(ContentRangeError::TotalMismatch);
    }
    if range.trim() == "*" {
        return Ok(None);
    }
    let (first, last) = range.split_once('-').ok_or(ContentRangeError::NoDash)?;
    let (first, last): (u64, u64) = (
        first.trim().parse().map_err(|_| ContentRangeError::BadFirst)?,
        last.trim().parse().map_err(|_| ContentRangeError::BadLast)?,
    );
    if last < first || last >= total {
        return Err(ContentRangeError::OutOfFile);
    }
    Ok(Some((first, last)))
}

/// Stores the request's chunk (or, for the offset query, nothing) and returns the session as it
/// is now; a refusal comes back as the response to send. The body is read here, as a stream
/// cut into storage parts, and only here: callers authenticate before.
///
/// A runner's file names the job's `holder`: the chunk counts only while it holds the job.
pub async fn store_chunk(
    ctx: &Ctx<'_>,
    session: &Session,
    holder: Option<&Holder>,
) -> Result<Session, Response<Bytes>> {
    let range = content_range(ctx, session.total_size).map_err(Problem::into_response)?;
    let Some((first, last)) = range else { return Ok(session.clone()) };
    let appended =
        uploads::append_stream(ctx.ports, session, first, last - first + 1, ctx.body_stream(), holder).await;
    match appended {
        Ok(session) => Ok(session),
        Err(UploadError::RangeMismatch { received, .. }) => {
            let mut response = resume_incomplete(received);
            *response.status_mut() = StatusCode::CONFLICT;
            Err(response)
        }
        Err(UploadError::NotHeld) => {
            Err(Problem::new(StatusCode::CONFLICT, "This runner job is not processing for this runner")
                .with_code("runner_job_not_in_processing_state")
                .into_response())
        }
        Err(UploadError::Concurrent) => {
            Err(Problem::new(StatusCode::CONFLICT, "Another request is writing this upload").into_response())
        }
        Err(UploadError::ChunkTooLarge) => Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("A chunk may carry at most {} bytes", uploads::MAX_CHUNK),
        )
        .into_response()),
        Err(UploadError::BadRange(detail) | UploadError::Body(detail)) => {
            Err(Problem::bad_request(detail).into_response())
        }
        Err(UploadError::Domain(e)) => Err(Problem::internal_from(e).into_response()),
    }
}

/// `PUT /api/v1/videos/upload-resumable?upload_id=`
pub async fn put_chunk(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let session = own_session(ctx, &caller).await?;
    if session.completed_at.is_some() {
        if let Some(video) = stored_video(ctx, &session).await? {
            return video_answer(&video);
        }
    }
    let session = match store_chunk(ctx, &session, None).await {
        Ok(session) => session,
        Err(response) => return Ok(response),
    };
    if !session.all_received() {
        return Ok(resume_incomplete(session.received));
    }
    let video = complete(ctx, &caller, &session).await?;
    video_answer(&video)
}

pub(crate) async fn stored_video(ctx: &Ctx<'_>, session: &Session) -> Result<Option<Video>, Problem> {
    let Some(id) = session.video_id else { return Ok(None) };
    videos::find_by_id(ctx.ports.sql, id).await.map_err(Problem::internal_from)
}

/// Makes the video of a fully received upload, then the object; safe to repeat.
async fn complete(ctx: &Ctx<'_>, caller: &Caller, session: &Session) -> Result<Video, Problem> {
    let video = session_video(ctx, caller, session).await?;
    let meta = uploads::finish(ctx.ports, session).await.map_err(Problem::internal_from)?;
    announce(ctx, &meta).await?;
    Ok(video)
}

/// The video an upload session makes, created from the init's metadata the first time: before
/// the object is completed, so that the storage event always finds it.
pub(crate) async fn session_video(
    ctx: &Ctx<'_>,
    caller: &Caller,
    session: &Session,
) -> Result<Video, Problem> {
    if let Some(video) = stored_video(ctx, session).await? {
        return Ok(video);
    }
    let metadata: Map<String, Value> =
        serde_json::from_str(session.metadata.as_deref().unwrap_or("{}")).map_err(Problem::internal_from)?;
    let mut new = read_new_video(ctx, caller, &metadata).await?;
    new.original_filename = metadata.get("filename").and_then(Value::as_str).map(str::to_owned);
    new.original_size = i64::try_from(session.total_size).ok();
    new.original_key = Some(session.object_key.clone());
    let video = videos::create(ctx.ports, &new).await.map_err(Problem::internal_from)?;
    if uploads::attach_video(ctx.ports.sql, &session.id, video.id).await.map_err(Problem::internal_from)? {
        return Ok(video);
    }
    // Another request completing the same upload made the video first: keep theirs.
    videos::delete(ctx.ports.sql, &video).await.map_err(Problem::internal_from)?;
    let stored = uploads::find(ctx.ports.sql, &session.id).await.map_err(Problem::internal_from)?;
    match stored.as_ref() {
        Some(s) => stored_video(ctx, s).await?.ok_or_else(Problem::internal),
        None => Err(Problem::internal()),
    }
}

/// `DELETE /api/v1/videos/upload-resumable?upload_id=`
pub async fn cancel(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let session = own_session(ctx, &caller).await?;
    if session.completed_at.is_some() {
        // The video exists now: it is deleted through DELETE /videos/{id}, not here.
        return Ok(respond::no_content());
    }
    uploads::cancel(ctx.ports, &session).await.map_err(Problem::internal_from)?;
    Ok(respond::no_content())
}

/// `POST /api/v1/videos/upload`: one multipart form with the metadata and `videofile`.
///
/// The form is read as it arrives, up to `LEGACY_UPLOAD_MAX_BYTES` (the platform's body limit):
/// the file goes to storage in equal parts and through the input torrent's hashes, so memory
/// holds about one part (and the `moov` box, up to 16 MiB) whatever the file's size. Fields may come before or after the file; the
/// video row is written once all of them are read and before the object is completed, and any
/// refusal drops the parts already stored.
pub async fn legacy(ctx: &Ctx<'_>) -> Answer {
    let caller = ctx.caller().await?;
    let limit = ctx.config.media.legacy_upload_max_bytes;
    // Refused before reading a byte when the client announces its size; the form's other fields
    // make the announced size a slight overestimate of the file's.
    let announced = ctx.header(header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = announced {
        if length > limit {
            return Err(too_large(limit));
        }
        check_quota(ctx, &caller, length).await?;
    }
    let content_type = ctx.header(header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Problem::bad_request("Expected a multipart/form-data body"))?;
    let key = format!("uploads/{}/source", upload_id(ctx)?);
    let mut writer = None;
    let result = store_legacy(ctx, &caller, boundary, &key, &mut writer).await;
    if result.is_err() {
        if let Some(writer) = writer {
            // Best effort: storage also expires unfinished multipart uploads by itself.
            let _ = writer.abort().await;
        }
    }
    video_answer(&result?)
}

fn too_large(limit: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "A one-request upload may carry at most {limit} bytes; use the resumable upload for larger files"
        ),
    )
}

fn form_error(error: multer::Error, limit: u64) -> Problem {
    match error {
        multer::Error::StreamSizeExceeded { .. } => too_large(limit),
        multer::Error::FieldSizeExceeded { field_name, .. } if field_name.as_deref() == Some("videofile") => {
            too_large(limit)
        }
        multer::Error::FieldSizeExceeded { .. } => {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "request entity too large")
        }
        other => Problem::bad_request(format!("Malformed multipart body: {other}")),
    }
}

/// The file of a legacy upload as it streamed by.
struct StreamedFile {
    filename: String,
    pieces: torrents::PieceHasher,
    frame_size: edgetube_manifest::frame_size::FrameSizeProbe,
}

/// Reads the form, storing the file through `writer` (left there, unfinished, on failure so the
/// caller can abort it), then writes the video row and completes the object.
async fn store_legacy<'p>(
    ctx: &'p Ctx<'_>,
    caller: &Caller,
    boundary: String,
    key: &str,
    writer: &mut Option<PartWriter<'p>>,
) -> Result<Video, Problem> {
    let limit = ctx.config.media.legacy_upload_max_bytes;
    let sizes = multer::SizeLimit::new()
        .whole_stream(limit)
        .per_field(MAX_JSON_BODY as u64)
        .for_field("videofile", limit);
    let mut form = multer::Multipart::with_constraints(
        Paced::new(ctx.body_stream()),
        boundary,
        multer::Constraints::new().size_limit(sizes),
    );
    let mut fields = Map::new();
    let mut fields_size = 0;
    let mut file = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| form_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "videofile" {
            if writer.is_some() {
                return Err(Problem::bad_request("Only one videofile may be sent"));
            }
            let filename = field.file_name().unwrap_or("video").to_owned();
            if filename.chars().count() > MAX_FILENAME {
                return Err(Problem::bad_request("Incorrect request parameters: videofile")
                    .with_invalid_param("videofile", Value::Null, "Should have a valid filename", "body"));
            }
            check_extension(&filename)?;
            let content_type = field.content_type().map(ToString::to_string);
            let out = writer.insert(PartWriter::new(ctx.ports, key, content_type));
            let mut streamed = StreamedFile {
                filename,
                pieces: torrents::PieceHasher::new(limit),
                frame_size: edgetube_manifest::frame_size::FrameSizeProbe::default(),
            };
            while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, limit))? {
                streamed.pieces.update(&chunk);
                streamed.frame_size.update(&chunk);
                out.write(chunk).await.map_err(Problem::internal_from)?;
            }
            file = Some(streamed);
            continue;
        }
        let text = field.text().await.map_err(|e| form_error(e, limit))?;
        // Every field is small, but nothing else bounds how many there are.
        fields_size += name.len() + text.len();
        if fields_size > MAX_JSON_BODY {
            return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "request entity too large"));
        }
        add_field(&mut fields, &name, text);
    }
    let (Some(file), Some(out)) = (file, writer.as_mut()) else {
        return Err(Problem::bad_request("Incorrect request parameters: videofile").with_invalid_param(
            "videofile",
            Value::Null,
            "Should have a file",
            "body",
        ));
    };
    let mut new = read_new_video(ctx, caller, &fields).await?;
    let size = out.size();
    check_quota(ctx, caller, size).await?;
    new.original_filename = Some(file.filename);
    new.original_size = i64::try_from(size).ok();
    new.original_key = Some(key.to_owned());
    // The row first, so that the storage event always finds its video.
    let video = videos::create(ctx.ports, &new).await.map_err(Problem::internal_from)?;
    let written = match out.finish().await {
        Ok(written) => written,
        Err(error) => {
            let _ = videos::delete(ctx.ports.sql, &video).await;
            return Err(Problem::internal_from(error));
        }
    };
    // Stored for good: nothing to abort from here on.
    *writer = None;
    let pieces = file.pieces.finish().ok_or_else(Problem::internal)?;
    seed_input_torrent(ctx, &video, &pieces, file.frame_size.finish()).await?;
    announce(ctx, &written.meta).await?;
    Ok(video)
}

/// Adds a text field; `tags[]` (and `tags`) repeat, `videoPasswords[]` too.
fn add_field(fields: &mut Map<String, Value>, name: &str, text: String) {
    let (key, list) = match name.strip_suffix("[]") {
        Some(base) => (base.to_owned(), true),
        None => (name.to_owned(), name == "tags" || name == "videoPasswords"),
    };
    if list {
        let entry = fields.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(Value::String(text));
        }
    } else {
        fields.insert(key, Value::String(text));
    }
}

/// PeerTube makes a torrent of the uploaded file while answering the upload, and its clients
/// (`peertube-cli upload`) wait for it; the one-request upload sees every byte go by, so it
/// hashes them on the way. Resumable uploads never see the whole file in one request and get no
/// input torrent.
async fn seed_input_torrent(
    ctx: &Ctx<'_>,
    video: &Video,
    pieces: &torrents::Pieces,
    size: Option<(u32, u32)>,
) -> Result<(), Problem> {
    let video = Video {
        input_width: size.map(|(w, _)| i64::from(w)),
        input_height: size.map(|(_, h)| i64::from(h)),
        ..video.clone()
    };
    let name = crate::videos::input_file_name(&video);
    let origin = &ctx.config.origin;
    let trackers = crate::videos::tracker_list(ctx.config, &video.uuid);
    let web_seed = crate::videos::input_file_url(origin, &video);
    let created = ctx.ports.clock.now_millis() / 1000;
    let spec = torrents::TorrentSpec { name: &name, trackers: &trackers, web_seed: &web_seed, created };
    let (torrent, infohash) = torrents::make_from_pieces(&spec, pieces);
    let key = format!("torrents/{}-{}.torrent", &upload_id(ctx)?[..16], video.uuid);
    ctx.ports
        .objects
        .put(&key, Bytes::from(torrent), Some("application/x-bittorrent"))
        .await
        .map_err(Problem::internal_from)?;
    videos::set_input_file(ctx.ports.sql, video.id, &key, &infohash, size)
        .await
        .map_err(Problem::internal_from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        use ContentRangeError::*;
        let total = 1000;
        let cases = [
            ("bytes 0-99/1000", Ok(Some((0, 99)))),
            (" bytes 900 - 999 / 1000 ", Ok(Some((900, 999)))),
            ("bytes */1000", Ok(None)),
            ("bytes 0-1000/1000", Err(OutOfFile)),
            ("bytes 5-1/1000", Err(OutOfFile)),
            ("bytes 0-99/999", Err(TotalMismatch)),
            ("bytes 0-99", Err(NoTotal)),
            ("bytes 99/1000", Err(NoDash)),
            ("bytes x-99/1000", Err(BadFirst)),
            ("bytes 0-y/1000", Err(BadLast)),
            ("items 0-99/1000", Err(NotBytes)),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_content_range(value, total), expected, "{value}");
        }
        assert_eq!(parse_content_range("bytes */0", 0), Ok(None));
        assert_eq!(parse_content_range("bytes 0-0/0", 0), Err(OutOfFile));
    }
}
