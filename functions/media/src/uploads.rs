//! Objects written in chunks of any size, stored as R2 multipart uploads.
//!
//! Clients send chunks of whatever size suits them (PeerTube's web client starts near 1 MB and
//! adapts), but R2 wants every multipart part but the last to be at least 5 MiB and all of the
//! same size. So chunks are re-blocked into parts of [`PART_SIZE`]: bytes
//! `[0, parts × PART_SIZE)` are parts already uploaded, and the rest (less than one part) waits in
//! staging objects until a whole part can be cut. A session's row records exactly which staging
//! objects hold which bytes, so nothing depends on listing storage.
//!
//! Every step is safe to repeat: parts and staging objects are keyed by position and a chunk
//! repeats the bytes it had the first time, and the row only moves forward through a conditional
//! update on `received` (D1 has no transactions). A chunk that loses that race is answered with a
//! conflict and its side effects are identical to the winner's. Staging objects are deleted only
//! after the row no longer needs them.
//!
//! When every byte is in, the caller decides what the object means (a video row, a runner file)
//! and then calls [`finish`], which completes the multipart upload (or stores a small object in
//! one put); completing again is harmless.

use bytes::{Bytes, BytesMut};
use edgetube_ports::{ObjectMeta, Ports, Sql, Statement, UploadedPart};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use thiserror::Error;

use crate::runner_jobs::Holder;
use edgetube_domain::DomainError;

/// Size of every multipart part but the last: above R2's 5 MiB floor, small enough that a part and
/// a chunk fit in a Worker's 128 MB with room to spare.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

/// Largest chunk one request may carry (Cloudflare refuses request bodies above 100 MB).
pub const MAX_CHUNK: u64 = 64 * 1024 * 1024;

/// Idle unfinished sessions are removed after this long, as PeerTube does.
pub const DANGLING_AFTER_MS: i64 = 3600 * 1000;

/// Why a chunk was refused.
#[derive(Debug, Error)]
pub enum UploadError {
    /// The chunk does not start at the next expected byte.
    #[error("the chunk starts at byte {first} but {received} bytes are stored")]
    RangeMismatch {
        /// First byte of the refused chunk.
        first: u64,
        /// Bytes stored so far.
        received: u64,
    },
    /// The chunk reaches past the announced size, or its length differs from its range.
    #[error("{0}")]
    BadRange(String),
    /// The chunk is larger than [`MAX_CHUNK`].
    #[error("a chunk may carry at most {MAX_CHUNK} bytes")]
    ChunkTooLarge,
    /// The chunk's body broke off or ended short of its range.
    #[error("reading the chunk failed: {0}")]
    Body(String),
    /// Another request appended to the session at the same time; asking for the offset resolves it.
    #[error("another request is writing this upload")]
    Concurrent,
    /// A runner's file whose job its runner no longer holds.
    #[error("the job is not processing under this job token")]
    NotHeld,
    /// Storage or SQL failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<edgetube_ports::PortError> for UploadError {
    fn from(e: edgetube_ports::PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// What a session is for.
pub mod purpose {
    /// A creator's video upload.
    pub const VIDEO: &str = "video";
    /// A file a runner sends back.
    pub const RUNNER_FILE: &str = "runner-file";
    /// A creator's video upload whose parts go straight to R2 (`direct_uploads`).
    pub const VIDEO_DIRECT: &str = "video-direct";
    /// A file a runner writes straight to R2 through a presigned `PUT` (only tracked, for cleanup).
    pub const RUNNER_FILE_DIRECT: &str = "runner-file-direct";
}

/// A chunked upload's row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Session {
    /// The upload id.
    pub id: String,
    /// See [`purpose`].
    pub purpose: String,
    /// The uploading user (creators' uploads).
    pub user_id: Option<i64>,
    /// The job whose runner writes this file (runner files).
    pub runner_job_id: Option<i64>,
    /// Where the object ends up.
    pub object_key: String,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Announced size in bytes.
    pub total_size: u64,
    /// Bytes stored so far.
    pub received: u64,
    /// Size of every part but the last.
    pub part_size: u64,
    /// The storage's multipart upload id, once the first part is cut.
    pub multipart_id: Option<String>,
    /// JSON array of [`UploadedPart`].
    pub parts: String,
    /// JSON array of `[offset, length]` staging objects.
    pub staged: String,
    /// The init request's metadata (JSON).
    pub metadata: Option<String>,
    /// The video made from the upload.
    pub video_id: Option<i64>,
    /// When the object was completed (ms).
    pub completed_at: Option<i64>,
}

const SESSION_COLUMNS: &str = "id, purpose, user_id, runner_job_id, object_key, content_type, total_size, \
     received, part_size, multipart_id, parts, staged, metadata, video_id, completed_at";

impl Session {
    /// Whether every byte is stored.
    pub fn all_received(&self) -> bool {
        self.received == self.total_size
    }

    fn uploaded_parts(&self) -> Result<Vec<UploadedPart>, DomainError> {
        serde_json::from_str(&self.parts)
            .map_err(|e| DomainError::Inconsistent(format!("upload {} parts: {e}", self.id)))
    }

    fn staged_chunks(&self) -> Result<Vec<(u64, u64)>, DomainError> {
        serde_json::from_str(&self.staged)
            .map_err(|e| DomainError::Inconsistent(format!("upload {} staging: {e}", self.id)))
    }

    /// A staging object's key names its length too: a writer that lost a race with a chunk of
    /// another size must not overwrite the winner's bytes.
    fn staging_key(&self, offset: u64, len: u64) -> String {
        format!("{}{offset:020}-{len}", self.staging_prefix())
    }

    fn staging_prefix(&self) -> String {
        format!("staging/{}/", self.id)
    }
}

/// A new session's fields.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// The upload id.
    pub id: &'a str,
    /// See [`purpose`].
    pub purpose: &'a str,
    /// The uploading user.
    pub user_id: Option<i64>,
    /// The runner job.
    pub runner_job_id: Option<i64>,
    /// Identifies a repeated init (creators' uploads).
    pub fingerprint: Option<&'a str>,
    /// Destination key.
    pub object_key: &'a str,
    /// Destination content type.
    pub content_type: Option<&'a str>,
    /// Announced size.
    pub total_size: u64,
    /// Metadata to keep until completion.
    pub metadata: Option<&'a str>,
}

pub(crate) fn size_value(n: u64) -> Result<i64, DomainError> {
    // SQL integers stay below 2^53 (D1 returns JavaScript numbers).
    i64::try_from(n)
        .ok()
        .filter(|n| *n < (1 << 53))
        .ok_or_else(|| DomainError::Inconsistent(format!("size {n} is above 2^53")))
}

/// Inserts a session unless one with this id exists; returns the stored row either way.
pub async fn open(ports: &Ports<'_>, new: &NewSession<'_>) -> Result<Session, DomainError> {
    ports.sql.execute(insert_session(ports, new)?).await?;
    find(ports.sql, new.id)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("upload {} vanished after creation", new.id)))
}

/// [`open`] for a runner's file: the session is made only while `holder` holds its job; `None`
/// when the job is no longer the holder's and no session with this id exists.
pub async fn open_for(
    ports: &Ports<'_>,
    new: &NewSession<'_>,
    holder: &Holder,
) -> Result<Option<Session>, DomainError> {
    ports.sql.execute(holder.guard(insert_session(ports, new)?)).await?;
    find(ports.sql, new.id).await
}

/// The `INSERT` of a new session, ending with its `WHERE` clause (see [`Holder::guard`]).
fn insert_session(ports: &Ports<'_>, new: &NewSession<'_>) -> Result<Statement, DomainError> {
    let now = ports.clock.now_millis();
    Ok(Statement::new(
        "INSERT OR IGNORE INTO upload_sessions (id, purpose, user_id, runner_job_id, fingerprint, \
                 object_key, content_type, total_size, part_size, metadata, created_at, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11 WHERE 1",
    )
    .bind(new.id)
    .bind(new.purpose)
    .bind(new.user_id)
    .bind(new.runner_job_id)
    .bind(new.fingerprint)
    .bind(new.object_key)
    .bind(new.content_type)
    .bind(size_value(new.total_size)?)
    .bind(size_value(PART_SIZE)?)
    .bind(new.metadata)
    .bind(now))
}

/// The session with this id.
pub async fn find(sql: &dyn Sql, id: &str) -> Result<Option<Session>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!("SELECT {SESSION_COLUMNS} FROM upload_sessions WHERE id = ?1")).bind(id),
        )
        .await?)
}

/// The unfinished session a repeated init names.
pub async fn find_by_fingerprint(sql: &dyn Sql, fingerprint: &str) -> Result<Option<Session>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!("SELECT {SESSION_COLUMNS} FROM upload_sessions WHERE fingerprint = ?1"))
                .bind(fingerprint),
        )
        .await?)
}

/// Where a session stands, as far as placing the next chunk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The announced size.
    pub total: u64,
    /// Bytes stored so far.
    pub received: u64,
    /// Bytes of those waiting in staging objects (less than a part).
    pub staged: u64,
    /// Size of every part but the last.
    pub part_size: u64,
    /// Whether a part was cut already.
    pub has_parts: bool,
}

/// What storing a chunk of `len` bytes at byte `first` does, decided before a byte of it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkPlan {
    /// The session holds these bytes already (a client that lost the answer repeats a chunk).
    AlreadyStored,
    /// The chunk waits whole in one staging object: with what is staged it is less than a part
    /// (or the whole file is, and `finish` will store it in one put).
    Stage,
    /// Staged bytes and the chunk, in order, are cut into `parts` parts (the last one short when
    /// the file is complete); the last `to_staging` bytes wait in a staging object.
    Cut {
        /// Parts to upload.
        parts: u64,
        /// Bytes left over for staging.
        to_staging: u64,
    },
}

/// Decides where a chunk goes (or why it is refused), from the session's numbers alone.
pub fn plan_chunk(at: Progress, first: u64, len: u64) -> Result<ChunkPlan, UploadError> {
    if len > MAX_CHUNK {
        return Err(UploadError::ChunkTooLarge);
    }
    let end = first.checked_add(len).ok_or_else(|| UploadError::BadRange("range overflows".into()))?;
    if end > at.total {
        return Err(UploadError::BadRange(format!(
            "bytes {first}-{end} reach past the announced {} bytes",
            at.total
        )));
    }
    if end <= at.received && (len > 0 || first <= at.received) {
        return Ok(ChunkPlan::AlreadyStored);
    }
    if first != at.received {
        return Err(UploadError::RangeMismatch { first, received: at.received });
    }
    let complete = end == at.total;
    let combined = at.staged + len;
    if complete && !at.has_parts && combined < at.part_size {
        return Ok(ChunkPlan::Stage);
    }
    if combined < at.part_size && !complete {
        return Ok(ChunkPlan::Stage);
    }
    let whole = combined / at.part_size;
    let rest = combined % at.part_size;
    Ok(if complete {
        ChunkPlan::Cut { parts: whole + u64::from(rest > 0), to_staging: 0 }
    } else {
        ChunkPlan::Cut { parts: whole, to_staging: rest }
    })
}

/// Stores `bytes` as the chunk starting at byte `first`, and returns the session as it is now.
/// See [`append_stream`].
pub async fn append(
    ports: &Ports<'_>,
    session: &Session,
    first: u64,
    bytes: Bytes,
) -> Result<Session, UploadError> {
    append_stream(ports, session, first, bytes.len() as u64, one_piece(bytes), None).await
}

/// [`append`] for a runner's file: the chunk counts only while `holder` holds its job (its bytes
/// go to this attempt's own staging objects and parts, which nothing else reads).
pub async fn append_for(
    ports: &Ports<'_>,
    session: &Session,
    first: u64,
    bytes: Bytes,
    holder: &Holder,
) -> Result<Session, UploadError> {
    append_stream(ports, session, first, bytes.len() as u64, one_piece(bytes), Some(holder)).await
}

fn one_piece(bytes: Bytes) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + Unpin {
    futures::stream::iter([Ok(bytes)])
}

/// Stores the chunk of `len` bytes starting at byte `first`, read from `body` as it arrives, and
/// returns the session as it is now.
///
/// Memory holds at most one part and one piece of the body: a chunk of up to [`MAX_CHUNK`] goes
/// to storage part by part as its bytes come. A body that is longer or shorter than `len` is
/// refused ([`UploadError::BadRange`], [`UploadError::Body`]) and changes nothing the row names:
/// parts it uploaded are replaced by the retry's, which carry the same part numbers.
///
/// A chunk the session already holds entirely is accepted again without effect and without
/// reading the body.
///
/// With a `holder` (a runner's file), the chunk counts only while it holds its job: checked
/// before a byte is read, so that a runner that lost its job leaves not even staging objects,
/// and decided by the guarded update of the row.
pub async fn append_stream<S, E>(
    ports: &Ports<'_>,
    session: &Session,
    first: u64,
    len: u64,
    body: S,
    holder: Option<&Holder>,
) -> Result<Session, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if let Some(holder) = holder {
        if !holder.holds(ports.sql).await? {
            return Err(UploadError::NotHeld);
        }
    }
    let mut parts = session.uploaded_parts()?;
    let staged = session.staged_chunks()?;
    let progress = Progress {
        total: session.total_size,
        received: session.received,
        staged: staged.iter().map(|(_, l)| l).sum(),
        part_size: session.part_size,
        has_parts: !parts.is_empty(),
    };
    let plan = plan_chunk(progress, first, len)?;
    let received = first + len;
    let mut body = ExactBody { inner: body, expected: len, seen: 0 };
    let mut multipart_id = session.multipart_id.clone();
    let mut new_staged = staged.clone();
    let consumed_staging = match plan {
        ChunkPlan::AlreadyStored => return Ok(session.clone()),
        ChunkPlan::Stage => {
            // Less than a part: bounded by PART_SIZE.
            let bytes = body.read_all().await?;
            if len > 0 {
                ports.objects.put(&session.staging_key(first, len), bytes, None).await?;
                new_staged.push((first, len));
            }
            Vec::new()
        }
        ChunkPlan::Cut { parts: cut, to_staging } => {
            let id = match &multipart_id {
                Some(id) => id.clone(),
                None => {
                    ports
                        .objects
                        .create_multipart(&session.object_key, session.content_type.as_deref())
                        .await?
                }
            };
            let mut buffer = BytesMut::new();
            buffer.extend_from_slice(&read_staged(ports, session, &staged).await?);
            let mut cut_so_far = 0;
            while let Some(piece) = body.next().await? {
                buffer.extend_from_slice(&piece);
                while buffer.len() as u64 >= session.part_size && cut_so_far < cut {
                    let part = buffer.split_to(session.part_size as usize).freeze();
                    parts.push(
                        ports.objects.upload_part(&session.object_key, &id, next_part(&parts)?, part).await?,
                    );
                    cut_so_far += 1;
                }
            }
            body.check_complete()?;
            if cut_so_far < cut {
                // The file's short last part.
                let part = buffer.split().freeze();
                parts.push(
                    ports.objects.upload_part(&session.object_key, &id, next_part(&parts)?, part).await?,
                );
            }
            multipart_id = Some(id);
            new_staged.clear();
            if to_staging > 0 {
                let offset = received - to_staging;
                ports.objects.put(&session.staging_key(offset, to_staging), buffer.freeze(), None).await?;
                new_staged.push((offset, to_staging));
            }
            staged
        }
    };

    let parts_json = serde_json::to_string(&parts).map_err(|e| DomainError::Inconsistent(e.to_string()))?;
    let staged_json =
        serde_json::to_string(&new_staged).map_err(|e| DomainError::Inconsistent(e.to_string()))?;
    let update = Statement::new(
        "UPDATE upload_sessions SET received = ?1, parts = ?2, staged = ?3, multipart_id = ?4, \
         updated_at = ?5 WHERE id = ?6 AND received = ?7",
    )
    .bind(size_value(received)?)
    .bind(parts_json.clone())
    .bind(staged_json.clone())
    .bind(multipart_id.clone())
    .bind(ports.clock.now_millis())
    .bind(session.id.as_str())
    .bind(size_value(session.received)?);
    if ports.sql.execute(guarded(update, holder)).await? == 0 {
        return Err(match holder {
            Some(holder) if !holder.holds(ports.sql).await? => UploadError::NotHeld,
            _ => UploadError::Concurrent,
        });
    }
    for (offset, len) in consumed_staging {
        // The row no longer names it; a failure here only leaves garbage for `finish` or the sweep.
        let _ = ports.objects.delete(&session.staging_key(offset, len)).await;
    }
    Ok(Session { received, parts: parts_json, staged: staged_json, multipart_id, ..session.clone() })
}

/// The number of the part after `parts`; R2 (like S3) takes at most 10,000.
fn next_part(parts: &[UploadedPart]) -> Result<u16, UploadError> {
    u16::try_from(parts.len() + 1)
        .ok()
        .filter(|n| *n <= 10_000)
        .ok_or_else(|| UploadError::BadRange("more than 10,000 parts".into()))
}

/// A chunk's body that must carry exactly `expected` bytes: a Worker's stream ends quietly when
/// the client goes away, so a short body is only seen by counting.
struct ExactBody<S> {
    inner: S,
    expected: u64,
    seen: u64,
}

impl<S, E> ExactBody<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    async fn next(&mut self) -> Result<Option<Bytes>, UploadError> {
        let Some(piece) = self.inner.next().await else { return Ok(None) };
        let piece = piece.map_err(|e| UploadError::Body(e.to_string()))?;
        self.seen += piece.len() as u64;
        if self.seen > self.expected {
            return Err(UploadError::BadRange(format!(
                "the body is longer than the {} bytes of its range",
                self.expected
            )));
        }
        Ok(Some(piece))
    }

    fn check_complete(&self) -> Result<(), UploadError> {
        if self.seen == self.expected {
            Ok(())
        } else {
            Err(UploadError::Body(format!("the body ended after {} of {} bytes", self.seen, self.expected)))
        }
    }

    async fn read_all(&mut self) -> Result<Bytes, UploadError> {
        let mut whole = BytesMut::new();
        while let Some(piece) = self.next().await? {
            whole.extend_from_slice(&piece);
        }
        self.check_complete()?;
        Ok(whole.freeze())
    }
}

async fn read_staged(
    ports: &Ports<'_>,
    session: &Session,
    staged: &[(u64, u64)],
) -> Result<Bytes, UploadError> {
    if let [(offset, _)] = staged {
        return Ok(read_one(ports, session, *offset, staged[0].1).await?);
    }
    let mut joined = BytesMut::new();
    for (offset, len) in staged {
        joined.extend_from_slice(&read_one(ports, session, *offset, *len).await?);
    }
    Ok(joined.freeze())
}

async fn read_one(ports: &Ports<'_>, session: &Session, offset: u64, len: u64) -> Result<Bytes, DomainError> {
    let key = session.staging_key(offset, len);
    let body = ports
        .objects
        .get(&key, None)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("staging object {key} is missing")))?;
    if body.bytes.len() as u64 != len {
        return Err(DomainError::Inconsistent(format!("staging object {key} has the wrong size")));
    }
    Ok(body.bytes)
}

/// Makes the stored object out of a session that has every byte, and marks it completed.
/// Safe to call again: a completed object is found and kept.
pub async fn finish(ports: &Ports<'_>, session: &Session) -> Result<ObjectMeta, DomainError> {
    finish_while(ports, session, None)
        .await?
        .ok_or_else(|| DomainError::Inconsistent(format!("upload {} was refused", session.id)))
}

/// [`finish`] for a runner's file: the session is marked completed only while `holder` holds its
/// job; `None` when it no longer does.
pub async fn finish_for(
    ports: &Ports<'_>,
    session: &Session,
    holder: &Holder,
) -> Result<Option<ObjectMeta>, DomainError> {
    finish_while(ports, session, Some(holder)).await
}

async fn finish_while(
    ports: &Ports<'_>,
    session: &Session,
    holder: Option<&Holder>,
) -> Result<Option<ObjectMeta>, DomainError> {
    if !session.all_received() {
        return Err(DomainError::Inconsistent(format!("upload {} is not complete", session.id)));
    }
    let staged = session.staged_chunks()?;
    let meta = match &session.multipart_id {
        None => {
            let bytes = match read_staged(ports, session, &staged).await {
                Ok(bytes) => bytes,
                Err(error) => return already_stored(ports, session, error.to_string()).await.map(Some),
            };
            let meta = ports.objects.put(&session.object_key, bytes, session.content_type.as_deref()).await?;
            meta
        }
        Some(id) => {
            match ports.objects.complete_multipart(&session.object_key, id, session.uploaded_parts()?).await {
                Ok(meta) => meta,
                Err(error) => return already_stored(ports, session, error.to_string()).await.map(Some),
            }
        }
    };
    remove_staging(ports, session).await?;
    let update =
        Statement::new("UPDATE upload_sessions SET completed_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(ports.clock.now_millis())
            .bind(session.id.as_str());
    if ports.sql.execute(guarded(update, holder)).await? == 0 && holder.is_some() {
        return Ok(None);
    }
    Ok(Some(meta))
}

/// `statement` conditioned on `holder` still holding its job, when there is one.
fn guarded(statement: Statement, holder: Option<&Holder>) -> Statement {
    match holder {
        Some(holder) => holder.guard(statement),
        None => statement,
    }
}

/// A repeated `finish` finds its inputs gone because the first one stored the object.
async fn already_stored(
    ports: &Ports<'_>,
    session: &Session,
    cause: String,
) -> Result<ObjectMeta, DomainError> {
    match ports.objects.head(&session.object_key).await? {
        Some(meta) if meta.size == session.total_size => Ok(meta),
        _ => Err(DomainError::Inconsistent(format!("upload {} cannot be completed: {cause}", session.id))),
    }
}

/// Deletes every staging object of a session, including those of writers that lost a race.
async fn remove_staging(ports: &Ports<'_>, session: &Session) -> Result<(), DomainError> {
    for key in ports.objects.list(&session.staging_prefix()).await? {
        ports.objects.delete(&key).await?;
    }
    Ok(())
}

/// Records the video an upload became; `false` when another request recorded one first.
pub async fn attach_video(sql: &dyn Sql, session_id: &str, video_id: i64) -> Result<bool, DomainError> {
    let changed = sql
        .execute(
            Statement::new("UPDATE upload_sessions SET video_id = ?1 WHERE id = ?2 AND video_id IS NULL")
                .bind(video_id)
                .bind(session_id),
        )
        .await?;
    Ok(changed == 1)
}

/// Forgets the video an unfinished upload made, before that video is deleted.
pub async fn detach_video(sql: &dyn Sql, session_id: &str) -> Result<(), DomainError> {
    sql.execute(
        Statement::new("UPDATE upload_sessions SET video_id = NULL WHERE id = ?1 AND completed_at IS NULL")
            .bind(session_id),
    )
    .await?;
    Ok(())
}

/// Drops a session: its multipart upload, its staging objects and its row. The finished object,
/// if any, stays.
pub async fn cancel(ports: &Ports<'_>, session: &Session) -> Result<(), DomainError> {
    if session.completed_at.is_none() {
        if let Some(id) = &session.multipart_id {
            ports.objects.abort_multipart(&session.object_key, id).await?;
        }
    }
    remove_staging(ports, session).await?;
    ports
        .sql
        .execute(Statement::new("DELETE FROM upload_sessions WHERE id = ?1").bind(session.id.as_str()))
        .await?;
    Ok(())
}

/// Removes unfinished sessions idle for [`DANGLING_AFTER_MS`] (counted, for direct uploads, from
/// the expiry of their last presigned URL, since parts sent to R2 leave no trace here); returns
/// how many.
pub async fn remove_dangling(ports: &Ports<'_>) -> Result<usize, DomainError> {
    let cutoff = ports.clock.now_millis() - DANGLING_AFTER_MS;
    let idle: Vec<Session> = ports
        .sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {SESSION_COLUMNS} FROM upload_sessions WHERE completed_at IS NULL AND updated_at < ?1 \
                 AND COALESCE(urls_expire_at, 0) < ?1 LIMIT 100"
            ))
            .bind(cutoff),
        )
        .await?;
    for session in &idle {
        remove_video_without_original(ports, session).await?;
        cancel(ports, session).await?;
    }
    Ok(idle.len())
}

/// A creator's upload writes its video row before it completes the object. When the client never
/// came back after a failed completion, the row would wait for an original that will not come:
/// it goes with the session, unless the object did get completed.
async fn remove_video_without_original(ports: &Ports<'_>, session: &Session) -> Result<(), DomainError> {
    let creators = [purpose::VIDEO, purpose::VIDEO_DIRECT];
    let Some(video_id) = session.video_id.filter(|_| creators.contains(&session.purpose.as_str())) else {
        return Ok(());
    };
    if ports.objects.head(&session.object_key).await?.is_some() {
        return Ok(());
    }
    if let Some(video) = edgetube_domain::videos::find_by_id(ports.sql, video_id).await? {
        for key in edgetube_domain::videos::delete(ports.sql, &video).await? {
            ports.objects.delete(&key).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = 100;

    fn at(total: u64, received: u64, staged: u64, has_parts: bool) -> Progress {
        Progress { total, received, staged, part_size: P, has_parts }
    }

    #[test]
    fn a_chunk_is_placed_from_the_session_numbers_alone() {
        use ChunkPlan::*;
        let cases: &[(Progress, u64, u64, Result<ChunkPlan, &str>)] = &[
            // Less than a part with what is staged: staged whole.
            (at(1000, 0, 0, false), 0, 30, Ok(Stage)),
            (at(1000, 30, 30, false), 30, 69, Ok(Stage)),
            // Reaching a part: cut, the rest waits.
            (at(1000, 30, 30, false), 30, 70, Ok(Cut { parts: 1, to_staging: 0 })),
            (at(1000, 30, 30, false), 30, 275, Ok(Cut { parts: 3, to_staging: 5 })),
            // The whole file under a part: one put at the end, no multipart.
            (at(50, 20, 20, false), 20, 30, Ok(Stage)),
            // The last chunk after parts: the short last part.
            (at(250, 200, 0, true), 200, 50, Ok(Cut { parts: 1, to_staging: 0 })),
            (at(250, 180, 80, true), 180, 70, Ok(Cut { parts: 2, to_staging: 0 })),
            (at(200, 150, 50, true), 150, 50, Ok(Cut { parts: 1, to_staging: 0 })),
            // Repeats, gaps, overruns.
            (at(1000, 300, 0, true), 100, 100, Ok(AlreadyStored)),
            (at(1000, 300, 0, true), 300, 0, Ok(AlreadyStored)),
            (at(1000, 300, 0, true), 400, 10, Err("gap")),
            (at(1000, 300, 0, true), 250, 100, Err("gap")),
            (at(1000, 300, 0, true), 300, 701, Err("range")),
            (at(u64::MAX, 0, 0, false), u64::MAX, 2, Err("range")),
            (at(u64::MAX, 0, 0, false), 0, MAX_CHUNK + 1, Err("size")),
        ];
        for (progress, first, len, expected) in cases {
            let got = plan_chunk(*progress, *first, *len);
            let ok = match (&got, expected) {
                (Ok(plan), Ok(want)) => plan == want,
                (Err(UploadError::RangeMismatch { .. }), Err("gap")) => true,
                (Err(UploadError::BadRange(_)), Err("range")) => true,
                (Err(UploadError::ChunkTooLarge), Err("size")) => true,
                _ => false,
            };
            assert!(ok, "{progress:?} first {first} len {len}: {got:?}, expected {expected:?}");
        }
    }
}
