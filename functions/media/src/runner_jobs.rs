//! Transcoding jobs: made from storage events, taken by runners, given to another runner when
//! one goes quiet, retried a bounded number of times (transcode-runner/PROTOCOL.md).
//!
//! Every state change is one conditional statement or batch (D1 has no transactions): a job is
//! accepted only while pending or abandoned, and every write a runner's call makes carries the
//! condition that the job is still processing for that runner under the job token it was given
//! ([`Holder::guard`]). A runner that lost its job learns it from the next refused call.

use edgetube_ports::{Backlog, ObjectCreated, Ports, Sql, Statement};
use edgetube_runner_protocol::{LadderInput, LadderOutput, LadderPayload};
use serde::Deserialize;
use thiserror::Error;

use crate::renditions;
use crate::runners::new_token;
use edgetube_domain::oauth::token_hash;
use edgetube_domain::videos::{self, Video};
use edgetube_domain::{DomainError, InstanceConfig};

/// Edgetube's one job type: the whole HLS ladder from one decode.
pub const TYPE_HLS_LADDER: &str = edgetube_runner_protocol::LADDER_JOB;

/// PeerTube's `RunnerJobState` values used here.
pub mod state {
    /// Waiting for a runner.
    pub const PENDING: i64 = 1;
    /// A runner works on it.
    pub const PROCESSING: i64 = 2;
    /// Done.
    pub const COMPLETED: i64 = 3;
    /// Failed too many times.
    pub const ERRORED: i64 = 4;
    /// Cancelled by an administrator or by the video's deletion.
    pub const CANCELLED: i64 = 6;
}

/// Labels of `RunnerJobState`, by id.
pub const STATES: &[(i64, &str)] = &[
    (1, "Pending"),
    (2, "Processing"),
    (3, "Completed"),
    (4, "Errored"),
    (5, "Waiting for parent job"),
    (6, "Cancelled"),
    (7, "Parent had an error"),
    (8, "Parent has been cancelled"),
    (9, "Completing"),
];

/// A job row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// Public id.
    pub uuid: String,
    /// [`TYPE_HLS_LADDER`].
    #[serde(rename = "type")]
    pub job_type: String,
    /// See [`state`].
    pub state: i64,
    /// The video transcoded.
    pub video_id: i64,
    /// Its video's UUID.
    pub video_uuid: String,
    /// The stored original's key and entity tag.
    pub source: String,
    /// The stored payload (JSON), without URLs.
    pub payload: String,
    /// Lower runs first.
    pub priority: i64,
    /// 0-100 while processing.
    pub progress: Option<i64>,
    /// Failed attempts so far.
    pub failures: i64,
    /// The last failure's message.
    pub error: Option<String>,
    /// The runner working on it.
    pub runner_id: Option<i64>,
    /// Accepted (ms).
    pub started_at: Option<i64>,
    /// Completed or errored (ms).
    pub finished_at: Option<i64>,
    /// Created (ms).
    pub created_at: i64,
    /// Last change or heartbeat (ms).
    pub updated_at: i64,
}

const JOB_COLUMNS: &str =
    "j.id, j.uuid, j.type, j.state, j.video_id, v.uuid AS video_uuid, j.source, j.payload, \
     j.priority, j.progress, j.failures, j.error, j.runner_id, j.started_at, j.finished_at, j.created_at, \
     j.updated_at";

/// Why a runner's call about a job was refused.
#[derive(Debug, Error)]
pub enum JobError {
    /// No such job.
    #[error("unknown job")]
    NotFound,
    /// Another runner accepted it first.
    #[error("the job is not pending")]
    NotPending,
    /// The job is no longer this runner's (reassigned, cancelled, finished).
    #[error("the job is not processing under this job token")]
    NotYours,
    /// Storage or SQL failed.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<edgetube_ports::PortError> for JobError {
    fn from(e: edgetube_ports::PortError) -> Self {
        Self::Domain(e.into())
    }
}

/// Where creators' originals are stored; the only prefix whose events make jobs.
pub const UPLOADS_PREFIX: &str = "uploads/";

/// What a storage event led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// A job was made.
    Created(String),
    /// The event was seen before; its job exists.
    Duplicate,
    /// Not an original.
    Ignored(&'static str),
    /// No video names this object yet (its row and the event raced): deliver again later.
    NotYetKnown,
}

/// Turns a stored object into a job, idempotently: the same object version (key and entity tag)
/// makes one job, whether the storage's event, the worker's emulated one or the housekeeping's
/// [`recover_lost_events`] reports it, and however often.
pub async fn on_storage_event(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    event: &ObjectCreated,
) -> Result<EventOutcome, DomainError> {
    let key = &event.key;
    if !key.starts_with(UPLOADS_PREFIX) {
        return Ok(EventOutcome::Ignored("not an upload"));
    }
    let Some(video) = videos::find_by_original_key(ports.sql, key).await? else {
        return Ok(EventOutcome::NotYetKnown);
    };
    let source = format!("{key}#{}", event.etag);
    let uuid = videos::short_uuid::new_v4(ports.crypto)?;
    // Stored without URLs: they depend on the origin and are filled in by [`payload_for_runner`].
    let payload = LadderPayload {
        video_uuid: video.uuid.clone(),
        input: LadderInput {
            video_file_url: String::new(),
            presigned_video_file_url: None,
            size: event.size,
        },
        output: LadderOutput {
            resolutions: config.media.resolutions.clone(),
            transcode_original_resolution: true,
            fps_max: 60,
            upload_url: String::new(),
            presigned_uploads: false,
        },
    };
    let payload = serde_json::to_string(&payload).map_err(|e| DomainError::Inconsistent(e.to_string()))?;
    let now = ports.clock.now_millis();
    let inserted = ports
        .sql
        .execute(
            Statement::new(
                "INSERT OR IGNORE INTO runner_jobs (uuid, type, state, video_id, source, payload, priority, \
                 created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 100, ?7, ?7)",
            )
            .bind(uuid.as_str())
            .bind(TYPE_HLS_LADDER)
            .bind(state::PENDING)
            .bind(video.id)
            .bind(source)
            .bind(payload)
            .bind(now),
        )
        .await?;
    if inserted != 1 {
        return Ok(EventOutcome::Duplicate);
    }
    wake_runners(ports).await;
    Ok(EventOutcome::Created(uuid))
}

/// Tells the runners waiting for work that a job became pending (made, retried, aborted or
/// released). Its error is not the caller's: the job is stored as pending either way and a
/// runner's own safety poll finds it (the platform's binding logs the failure), so failing the
/// storage event or the runner's call for it would only make the job later.
///
/// Where the binding also starts runners ([`edgetube_ports::RunnerSignal::starts_runners`]), the hint carries
/// the backlog, counted here (one read), so enough runners are started for it.
pub async fn wake_runners(ports: &Ports<'_>) {
    if !ports.runner_signal.starts_runners() {
        let _ = ports.runner_signal.jobs_available().await;
        return;
    }
    match backlog(ports.sql).await {
        Ok(backlog) => {
            let _ = ports.runner_signal.jobs_pending(backlog).await;
        }
        // Still wake the runners alive; the next hint (or the housekeeping's) starts more.
        Err(_) => {
            let _ = ports.runner_signal.jobs_available().await;
        }
    }
}

/// The housekeeping's reminder where runners are started on demand: jobs still pending (a
/// runner that exited for idleness just as its job was made, a start that failed) get their
/// runners now, at most one housekeeping period late. Costs nothing elsewhere.
pub async fn start_runners_for_waiting_jobs(ports: &Ports<'_>) -> Result<(), DomainError> {
    if !ports.runner_signal.starts_runners() {
        return Ok(());
    }
    let backlog = backlog(ports.sql).await?;
    if backlog.pending > 0 {
        let _ = ports.runner_signal.jobs_pending(backlog).await;
    }
    Ok(())
}

/// Jobs waiting and jobs held now.
pub async fn backlog(sql: &dyn Sql) -> Result<Backlog, DomainError> {
    #[derive(Deserialize)]
    struct Counts {
        pending: Option<i64>,
        processing: Option<i64>,
    }
    let counts: Option<Counts> = sql
        .fetch_optional(Statement::new(format!(
            "SELECT SUM(state = {pending}) AS pending, SUM(state = {processing}) AS processing \
                 FROM runner_jobs WHERE state IN ({pending}, {processing})",
            pending = state::PENDING,
            processing = state::PROCESSING,
        )))
        .await?;
    let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    Ok(counts.map_or_else(Backlog::default, |c| Backlog {
        pending: count(c.pending),
        processing: count(c.processing),
    }))
}

/// The job with this UUID.
pub async fn find(sql: &dyn Sql, uuid: &str) -> Result<Option<Job>, DomainError> {
    Ok(sql
        .fetch_optional(
            Statement::new(format!(
                "SELECT {JOB_COLUMNS} FROM runner_jobs j JOIN videos v ON v.id = j.video_id WHERE j.uuid = ?1"
            ))
            .bind(uuid),
        )
        .await?)
}

/// Jobs for administrators, newest first, optionally in some states only.
pub async fn list(
    sql: &dyn Sql,
    states: &[i64],
    start: i64,
    count: i64,
) -> Result<(i64, Vec<Job>), DomainError> {
    #[derive(Deserialize)]
    struct Total {
        n: i64,
    }
    let filter = if states.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = states.iter().map(i64::to_string).collect();
        format!("WHERE j.state IN ({})", ids.join(","))
    };
    let total: Option<Total> = sql
        .fetch_optional(Statement::new(format!("SELECT COUNT(*) AS n FROM runner_jobs j {filter}")))
        .await?;
    let jobs = sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {JOB_COLUMNS} FROM runner_jobs j JOIN videos v ON v.id = j.video_id {filter} \
                 ORDER BY j.id DESC LIMIT ?1 OFFSET ?2"
            ))
            .bind(count)
            .bind(start),
        )
        .await?;
    Ok((total.map_or(0, |t| t.n), jobs))
}

/// Jobs a runner may take (at most 10, lowest priority first, then oldest): pending ones, and
/// processing ones whose runner has gone quiet for `RUNNER_JOB_STALE_SECONDS`.
///
/// Read only: a poll costs no write (anyone may poll with a guessed token until it is refused,
/// and D1 bills writes). Quiet jobs are offered as they are and [`accept`] takes them over in its
/// one conditional update; the scheduled housekeeping still gives them back ([`release_stale`])
/// so that the administrators' list tells the truth while no runner asks.
pub async fn available(ports: &Ports<'_>, config: &InstanceConfig) -> Result<Vec<Job>, DomainError> {
    Ok(ports
        .sql
        .fetch_all(
            Statement::new(format!(
                "SELECT {JOB_COLUMNS} FROM runner_jobs j JOIN videos v ON v.id = j.video_id \
                 WHERE j.state = ?1 OR (j.state = ?2 AND j.updated_at < ?3) \
                 ORDER BY j.priority, j.created_at, j.id LIMIT 10"
            ))
            .bind(state::PENDING)
            .bind(state::PROCESSING)
            .bind(stale_before(ports, config)),
        )
        .await?)
}

/// Processing jobs last heard of before this instant (ms) count as abandoned.
fn stale_before(ports: &Ports<'_>, config: &InstanceConfig) -> i64 {
    ports.clock.now_millis() - config.media.job_stale_after_ms
}

/// Gives back to pending the processing jobs without news for `RUNNER_JOB_STALE_SECONDS`; returns
/// how many. The scheduled housekeeping does this, so that the job list tells the truth even while
/// no runner asks (runners themselves take quiet jobs over directly, see [`available`]).
pub async fn release_stale(ports: &Ports<'_>, config: &InstanceConfig) -> Result<u64, DomainError> {
    let now = ports.clock.now_millis();
    let released = ports
        .sql
        .execute(
            Statement::new(
                "UPDATE runner_jobs SET state = ?1, runner_id = NULL, job_token_hash = NULL, progress = NULL, \
                 updated_at = ?2 WHERE state = ?3 AND updated_at < ?4",
            )
            .bind(state::PENDING)
            .bind(now)
            .bind(state::PROCESSING)
            .bind(stale_before(ports, config)),
        )
        .await?;
    if released > 0 {
        wake_runners(ports).await;
    }
    Ok(released)
}

/// How long after its row was made a video waiting for transcoding may lack a job before
/// [`recover_lost_events`] makes one. Its own storage event normally arrives within seconds; ten
/// minutes (one housekeeping period) leaves that path, and its retries, the first word, so the
/// sweep only ever acts on events that were truly lost.
pub const LOST_EVENT_GRACE_MS: i64 = 10 * 60 * 1000;

/// The most videos one [`recover_lost_events`] run looks at: each costs a storage `head` and a
/// few statements, and a scheduled run shares its subrequest budget with the other sweeps.
pub const LOST_EVENTS_PER_RUN: i64 = 20;

/// Makes the job of every video (at most [`LOST_EVENTS_PER_RUN`]) that waits for transcoding,
/// has its original stored and has no job [`LOST_EVENT_GRACE_MS`] after its upload finished:
/// its storage event was lost (dropped after its retries, never sent, a queue outage). Returns how
/// many jobs it made.
///
/// It goes through [`on_storage_event`] with the stored object's key and entity tag, so an event
/// that does arrive afterwards finds the job and makes no second one. Videos whose original is not
/// stored are left to the upload sweep (`uploads::remove_dangling`).
pub async fn recover_lost_events(ports: &Ports<'_>, config: &InstanceConfig) -> Result<usize, DomainError> {
    #[derive(Deserialize)]
    struct Waiting {
        original_key: String,
    }
    let cutoff = ports.clock.now_millis() - LOST_EVENT_GRACE_MS;
    // Random order: an original that never appears (its row is removed only later) must not hold
    // the bounded slots of every run and starve the others. An upload session still open, or
    // completed within the grace period, means the object may just now be completing.
    let waiting: Vec<Waiting> = ports
        .sql
        .fetch_all(
            // The state is written out, not bound: only then can SQLite use the partial index
            // `videos_to_transcode` (migration 0010).
            Statement::new(format!(
                "SELECT v.original_key FROM videos v WHERE v.state = {to_transcode} AND v.created_at < ?1 \
                 AND v.original_key IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM runner_jobs j WHERE j.video_id = v.id) \
                 AND NOT EXISTS (SELECT 1 FROM upload_sessions s WHERE s.video_id = v.id \
                                 AND (s.completed_at IS NULL OR s.completed_at >= ?1)) \
                 ORDER BY RANDOM() LIMIT ?2",
                to_transcode = videos::state::TO_TRANSCODE,
            ))
            .bind(cutoff)
            .bind(LOST_EVENTS_PER_RUN),
        )
        .await?;
    let mut made = 0;
    for video in waiting {
        let Some(meta) = ports.objects.head(&video.original_key).await? else {
            continue;
        };
        if let EventOutcome::Created(_) =
            on_storage_event(ports, config, &ObjectCreated::from_meta(&meta)).await?
        {
            made += 1;
        }
    }
    Ok(made)
}

/// Gives a job to a runner, if it is pending or its runner went quiet; returns the job and its new
/// job token. The previous holder's token stops working in the same statement.
pub async fn accept(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    uuid: &str,
    runner_id: i64,
) -> Result<(Job, String), JobError> {
    let job_token = new_token(ports, "ptrjt-")?;
    let now = ports.clock.now_millis();
    let changed = ports
        .sql
        .execute(
            Statement::new(
                "UPDATE runner_jobs SET state = ?1, runner_id = ?2, job_token_hash = ?3, progress = 0, \
                 started_at = ?4, updated_at = ?4 WHERE uuid = ?5 AND (state = ?6 OR (state = ?1 AND updated_at < ?7))",
            )
            .bind(state::PROCESSING)
            .bind(runner_id)
            .bind(token_hash(&job_token))
            .bind(now)
            .bind(uuid)
            .bind(state::PENDING)
            .bind(stale_before(ports, config)),
        )
        .await?;
    let job = find(ports.sql, uuid).await?.ok_or(JobError::NotFound)?;
    if changed == 0 {
        return Err(JobError::NotPending);
    }
    Ok((job, job_token))
}

/// The runner holding a processing job, as [`authorize`] found it: every write a runner's call
/// makes is conditioned on it in the same statement, so a runner that lost the job between its
/// authorization and its write (reassigned, finished, cancelled) changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The job's row id.
    pub job_id: i64,
    /// The runner.
    pub runner_id: i64,
    job_token_hash: String,
}

impl Holder {
    /// `statement`, whose text ends with its `WHERE` clause, made to apply only while this holder
    /// still holds the job. The condition is evaluated by the statement itself, so no other call
    /// can come between the check and the write (D1 has no interactive transactions).
    pub(crate) fn guard(&self, statement: Statement) -> Statement {
        let next = statement.params.len() + 1;
        let sql = format!(
            "{} AND EXISTS (SELECT 1 FROM runner_jobs WHERE id = ?{} AND state = {} AND runner_id = ?{} \
             AND job_token_hash = ?{})",
            statement.sql,
            next,
            state::PROCESSING,
            next + 1,
            next + 2
        );
        Statement { sql, params: statement.params }
            .bind(self.job_id)
            .bind(self.runner_id)
            .bind(self.job_token_hash.as_str())
    }

    /// Whether the job is still this holder's (after a guarded write changed nothing, to tell
    /// a lost job from another cause).
    pub async fn holds(&self, sql: &dyn Sql) -> Result<bool, DomainError> {
        let statement = self.guard(Statement::new("SELECT 1 AS held WHERE 1"));
        Ok(!sql.query(statement).await?.is_empty())
    }

    /// An id for something this holder's attempt writes (`what`): a later holder of the same job
    /// writing the same file gets another id, so neither touches the other's upload session.
    pub fn attempt_scoped_id(&self, what: &str) -> String {
        token_hash(&format!("{}\n{}\n{what}", self.job_id, self.job_token_hash))
    }
}

/// The job and its holder, if it is processing for this runner under this job token.
pub async fn authorize(
    ports: &Ports<'_>,
    uuid: &str,
    runner_id: i64,
    job_token: &str,
) -> Result<(Holder, Job), JobError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        runner_id: Option<i64>,
        job_token_hash: Option<String>,
        state: i64,
    }
    let row: Row = ports
        .sql
        .fetch_optional(
            Statement::new("SELECT id, runner_id, job_token_hash, state FROM runner_jobs WHERE uuid = ?1")
                .bind(uuid),
        )
        .await?
        .ok_or(JobError::NotFound)?;
    let hash = token_hash(job_token);
    let yours = row.state == state::PROCESSING
        && row.runner_id == Some(runner_id)
        && row.job_token_hash.as_deref() == Some(hash.as_str());
    if !yours {
        return Err(JobError::NotYours);
    }
    let holder = Holder { job_id: row.id, runner_id, job_token_hash: hash };
    let job = find(ports.sql, uuid).await?.ok_or(JobError::NotFound)?;
    Ok((holder, job))
}

/// A heartbeat, with the progress when given.
pub async fn heartbeat(ports: &Ports<'_>, holder: &Holder, progress: Option<i64>) -> Result<(), JobError> {
    let statement = Statement::new(
        "UPDATE runner_jobs SET progress = COALESCE(?1, progress), updated_at = ?2 WHERE id = ?3",
    )
    .bind(progress.map(|p| p.clamp(0, 100)))
    .bind(ports.clock.now_millis())
    .bind(holder.job_id);
    changed_one(ports.sql.execute(holder.guard(statement)).await?)
}

/// What a job stored about its video when it finished: the images, and the storyboard if any.
pub use crate::renditions::Images;

/// Marks a job done and points its video at the images it made, in one batch that applies only
/// while `holder` holds the job; then deletes the images replaced and the files of earlier
/// attempts nothing uses.
pub async fn complete(
    ports: &Ports<'_>,
    holder: &Holder,
    video: &Video,
    images: &Images,
) -> Result<(), JobError> {
    let old_storyboard = renditions::storyboard_of(ports.sql, video.id).await?;
    let now = ports.clock.now_millis();
    // The job's own update comes last: it ends the holding that guards the others.
    let mut statements: Vec<Statement> =
        renditions::image_statements(video, images, now).into_iter().map(|s| holder.guard(s)).collect();
    statements.push(
        holder.guard(
            Statement::new(
                "UPDATE runner_jobs SET state = ?1, progress = 100, finished_at = ?2, updated_at = ?2 \
                 WHERE id = ?3",
            )
            .bind(state::COMPLETED)
            .bind(now)
            .bind(holder.job_id),
        ),
    );
    ports.sql.batch(statements).await?;
    if !completed_by(ports.sql, holder).await? {
        return Err(JobError::NotYours);
    }
    renditions::remove_replaced_images(ports, video, old_storyboard.as_ref(), images).await?;
    // Files of earlier attempts of this job (a runner that went quiet) are of no use now, and no
    // runner can write for a completed job any more.
    let written = renditions::written_by_job(ports.sql, holder.job_id).await?;
    renditions::remove_unpublished(ports, &written).await?;
    Ok(())
}

/// Whether the job was completed under this holder (a batch does not say what it changed; a
/// completed job keeps its runner and job token hash, and never changes state again).
async fn completed_by(sql: &dyn Sql, holder: &Holder) -> Result<bool, DomainError> {
    #[derive(Deserialize)]
    struct Found {
        id: i64,
    }
    let found: Option<Found> = sql
        .fetch_optional(
            Statement::new(
                "SELECT id FROM runner_jobs WHERE id = ?1 AND state = ?2 AND runner_id = ?3 AND job_token_hash = ?4",
            )
            .bind(holder.job_id)
            .bind(state::COMPLETED)
            .bind(holder.runner_id)
            .bind(holder.job_token_hash.as_str()),
        )
        .await?;
    Ok(found.is_some_and(|f| f.id == holder.job_id))
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Pending again, for any runner.
    Retrying,
    /// Out of attempts: the job is errored and the video marked "Transcoding failed".
    Errored,
}

/// Records a failed attempt; after `job_max_failures` the job is errored, the video is in state 7
/// and what the job stored that no published rendition uses is deleted.
pub async fn fail(
    ports: &Ports<'_>,
    config: &InstanceConfig,
    holder: &Holder,
    message: &str,
) -> Result<Failure, JobError> {
    #[derive(Deserialize)]
    struct After {
        state: i64,
        video_id: i64,
    }
    let message: String = message.chars().take(5000).collect();
    // Listed before the job is given back: every file in it was written while the job was this
    // holder's (or an earlier one's), none by the next runner, which may accept it at once.
    let written = renditions::written_by_job(ports.sql, holder.job_id).await?;
    let now = ports.clock.now_millis();
    // The count of failures is read and written by the guarded statement itself, never from an
    // earlier read.
    let after: Option<After> = ports
        .sql
        .fetch_optional(
            Statement::new(
                "UPDATE runner_jobs SET failures = failures + 1, \
                 state = CASE WHEN failures + 1 >= ?1 THEN ?2 ELSE ?3 END, \
                 finished_at = CASE WHEN failures + 1 >= ?1 THEN ?4 END, \
                 error = ?5, runner_id = NULL, job_token_hash = NULL, progress = NULL, updated_at = ?4 \
                 WHERE id = ?6 AND state = ?7 AND runner_id = ?8 AND job_token_hash = ?9 \
                 RETURNING state, video_id",
            )
            .bind(config.media.job_max_failures)
            .bind(state::ERRORED)
            .bind(state::PENDING)
            .bind(now)
            .bind(message)
            .bind(holder.job_id)
            .bind(state::PROCESSING)
            .bind(holder.runner_id)
            .bind(holder.job_token_hash.as_str()),
        )
        .await?;
    let after = after.ok_or(JobError::NotYours)?;
    renditions::remove_unpublished(ports, &written).await?;
    if after.state != state::ERRORED {
        wake_runners(ports).await;
        return Ok(Failure::Retrying);
    }
    if let Some(video) = videos::find_by_id(ports.sql, after.video_id).await? {
        if !renditions::has_any(ports.sql, video.id).await? {
            videos::set_state(ports, &video, videos::state::TRANSCODING_FAILED).await?;
        }
    }
    Ok(Failure::Errored)
}

/// A runner gives a job back without it counting as a failure (it is shutting down).
pub async fn abort(ports: &Ports<'_>, holder: &Holder) -> Result<(), JobError> {
    // Listed before the job is given back, as in `fail`.
    let written = renditions::written_by_job(ports.sql, holder.job_id).await?;
    let statement = Statement::new(
        "UPDATE runner_jobs SET state = ?1, runner_id = NULL, job_token_hash = NULL, progress = NULL, \
         updated_at = ?2 WHERE id = ?3",
    )
    .bind(state::PENDING)
    .bind(ports.clock.now_millis())
    .bind(holder.job_id);
    changed_one(ports.sql.execute(holder.guard(statement)).await?)?;
    renditions::remove_unpublished(ports, &written).await?;
    wake_runners(ports).await;
    Ok(())
}

/// A guarded write that changed nothing found the job no longer this holder's.
fn changed_one(changed: u64) -> Result<(), JobError> {
    if changed == 0 {
        return Err(JobError::NotYours);
    }
    Ok(())
}

/// The stored payload with the URLs a runner needs, for `origin`.
pub fn payload_for_runner(
    job: &Job,
    origin: &str,
    input_size: Option<u64>,
) -> Result<LadderPayload, DomainError> {
    let mut payload: LadderPayload = serde_json::from_str(&job.payload)
        .map_err(|e| DomainError::Inconsistent(format!("payload of runner job {}: {e}", job.uuid)))?;
    let base = format!("{origin}/api/v1/runners/jobs/{}/files", job.uuid);
    payload.input.video_file_url = format!("{base}/videos/{}/max-quality", job.video_uuid);
    if let Some(size) = input_size {
        payload.input.size = size;
    }
    payload.output.upload_url = format!("{base}/upload");
    Ok(payload)
}

/// The video a job transcodes.
pub async fn video_of(sql: &dyn Sql, job: &Job) -> Result<Video, JobError> {
    videos::find_by_uuid(sql, &job.video_uuid).await?.ok_or(JobError::NotFound)
}
