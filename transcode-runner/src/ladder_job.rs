//! One `vod-hls-ladder` job, from an accepted job to `success`, `error` or `abort`.
//!
//! The work (download → [`transcode_local`] → uploads and reports) runs beside its
//! [`heartbeat`]; whichever ends first wins. Dropping the work future is how it is cancelled:
//! every ffmpeg and ffprobe is spawned with `kill_on_drop`, so nothing keeps running for a job
//! the instance has given to someone else. The job's files live in one directory that is removed
//! however the job ends.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::heartbeat::{heartbeat, JobStatus};
use crate::instance_client::{
    AcceptedJob, ClientError, InstanceClient, JobAuth, JobUpdate, LadderPayload, RenditionUpdate,
    StoryboardFile, SuccessPayload, VideoFacts, LADDER_JOB_TYPE,
};
use crate::ladder::LadderConfig;
use crate::progress_display::ProgressDisplay;
use crate::rendition_facts::rendition_facts;
use crate::transcode_local::{transcode_local, JobEvent, LocalJob, Naming, Report, Strategy, Tools};
use crate::transfer::{self, TransferError, TransferSettings};

/// The instance keeps at most this much of an error message.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 5000;
/// Share of the progress bar that encoding takes; uploading takes the rest.
const ENCODING_SHARE: f64 = 80.0;

/// What every job of a runner shares.
#[derive(Debug)]
pub struct JobContext<'a> {
    pub client: &'a InstanceClient,
    pub runner_token: &'a str,
    pub tools: &'a Tools,
    pub threads: Option<u32>,
    pub transfer: TransferSettings,
    pub heartbeat: Duration,
    /// Each job works in its own directory below this one.
    pub work_dir: &'a Path,
    pub display: &'a ProgressDisplay,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    /// Reported with `error` (the message as sent).
    Failed(String),
    /// The instance gave the job away or forgot this runner; the work was dropped.
    Gone,
    /// A shutdown signal stopped it; reported with `abort`.
    Aborted,
}

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("unsupported job type {0:?}: this runner only does {LADDER_JOB_TYPE}")]
    UnsupportedType(String),
    #[error("the job payload is not a {LADDER_JOB_TYPE} payload")]
    Payload(#[source] serde_json::Error),
    #[error("cannot create the work directory {}", path.display())]
    WorkDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot download the input")]
    Download(#[source] TransferError),
    #[error("cannot transcode the input")]
    Transcode(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot upload {file}")]
    Upload {
        file: String,
        #[source]
        source: TransferError,
    },
    #[error("cannot read {} as a fragmented MP4", path.display())]
    Inspect {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the instance did not take the {call}")]
    Report {
        call: &'static str,
        #[source]
        source: ClientError,
    },
}

impl JobError {
    fn ends_the_job(&self) -> bool {
        match self {
            JobError::Download(e) | JobError::Upload { source: e, .. } => e.ends_the_job(),
            JobError::Report { source, .. } => source.ends_the_job(),
            _ => false,
        }
    }
}

/// Runs `job` to its end and reports that end to the instance.
pub async fn run_job(
    ctx: &JobContext<'_>,
    job: AcceptedJob,
    shutdown: &mut watch::Receiver<Option<String>>,
) -> JobOutcome {
    let auth = JobAuth {
        job_uuid: job.uuid.clone(),
        runner_token: ctx.runner_token.to_owned(),
        job_token: job.job_token.clone(),
    };
    // The job UUID comes from the network: never let it name a path outside the work directory.
    let dir = ctx.work_dir.join(format!("job-{}", uuid::Uuid::new_v4()));
    let status = JobStatus::new(ctx.display.start(&job.uuid));
    let started = Instant::now();
    tracing::info!(job = %job.uuid, failures = job.failures, "job accepted");

    enum End {
        Worked(Result<(), JobError>),
        Gone(ClientError),
        Shutdown(String),
    }
    let end = tokio::select! {
        result = work(ctx, &auth, &job, &dir, &status) => End::Worked(result),
        gone = heartbeat(ctx.client, &auth, &status, ctx.heartbeat) => End::Gone(gone),
        reason = shutdown_requested(shutdown) => End::Shutdown(reason),
    };
    // The losers of the select are dropped by now, ffmpeg with them.
    remove_work_dir(&dir).await;
    drop(status);

    match end {
        End::Worked(Ok(())) => {
            tracing::info!(job = %job.uuid, seconds = format!("{:.1}", started.elapsed().as_secs_f64()), "job done");
            JobOutcome::Succeeded
        }
        End::Worked(Err(error)) if error.ends_the_job() => {
            tracing::warn!(job = %job.uuid, error = %crate::error_chain(&error), "job taken away; work dropped");
            JobOutcome::Gone
        }
        End::Worked(Err(error)) => {
            let message = truncate_chars(&crate::error_chain(&error), MAX_ERROR_MESSAGE_CHARS);
            tracing::warn!(job = %job.uuid, error = message, "job failed");
            if let Err(e) = retry(&ctx.transfer, || ctx.client.error(&auth, &message)).await {
                tracing::warn!(job = %job.uuid, error = %crate::error_chain(&e), "cannot report the failure");
            }
            JobOutcome::Failed(message)
        }
        End::Gone(error) => {
            tracing::warn!(job = %job.uuid, error = %error, "job taken away; work dropped");
            JobOutcome::Gone
        }
        End::Shutdown(reason) => {
            // Quick, not patient: the process is being stopped, and the job goes back to pending
            // anyway once its heartbeat is stale.
            match ctx.client.abort(&auth, &reason).await {
                Ok(()) => tracing::info!(job = %job.uuid, reason, "job aborted"),
                Err(e) => {
                    tracing::warn!(job = %job.uuid, error = %crate::error_chain(&e), "cannot abort the job")
                }
            }
            JobOutcome::Aborted
        }
    }
}

/// Resolves with the shutdown reason once one is given; never if the sender is gone.
pub async fn shutdown_requested(shutdown: &mut watch::Receiver<Option<String>>) -> String {
    // The guard must not live across the pending await: the future has to stay `Send`.
    let reason = shutdown.wait_for(Option::is_some).await.map(|reason| reason.clone().unwrap_or_default());
    match reason {
        Ok(reason) => reason,
        Err(_) => std::future::pending().await,
    }
}

async fn work(
    ctx: &JobContext<'_>,
    auth: &JobAuth,
    job: &AcceptedJob,
    dir: &Path,
    status: &JobStatus,
) -> Result<(), JobError> {
    if job.kind != LADDER_JOB_TYPE {
        return Err(JobError::UnsupportedType(job.kind.clone()));
    }
    let payload: LadderPayload = serde_json::from_value(job.payload.clone()).map_err(JobError::Payload)?;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| JobError::WorkDir { path: dir.to_owned(), source })?;

    status.step("downloading");
    let input = dir.join("input");
    let url = &payload.input.video_file_url;
    let http = ctx.client.http();
    transfer::download(http, url, auth, payload.input.size, &input, &ctx.transfer, &mut |_, _| {})
        .await
        .map_err(JobError::Download)?;

    let local = LocalJob {
        tools: ctx.tools.clone(),
        input,
        output_dir: dir.join("output"),
        ladder: LadderConfig {
            resolutions: payload.output.resolutions.clone(),
            always_transcode_original_resolution: payload.output.transcode_original_resolution,
            max_fps: payload.output.fps_max,
        },
        naming: Naming::FreshUuids,
        strategy: Strategy::SingleDecode,
        threads: ctx.threads,
    };
    let report = transcode_local(&local, &mut |event| match event {
        JobEvent::Planned { duration: Some(duration), aspect_ratio, .. } => {
            status.set_video(VideoFacts { duration, aspect_ratio });
        }
        JobEvent::Planned { .. } => {}
        JobEvent::Step(step) => status.step(step),
        JobEvent::Progress(fraction) => status.advance((fraction.clamp(0.0, 1.0) * ENCODING_SHARE) as u8),
    })
    .await
    .map_err(|e| JobError::Transcode(e.into()))?;
    tracing::info!(
        renditions = report.renditions.len(),
        encode_seconds = format!("{:.1}", report.encode_seconds),
        "transcoded"
    );

    Publisher::new(ctx, auth, &payload, &local.output_dir, &report, status).publish().await
}

/// Uploads a finished job's files and reports them.
struct Publisher<'a> {
    ctx: &'a JobContext<'a>,
    auth: &'a JobAuth,
    upload_url: &'a str,
    output_dir: &'a Path,
    report: &'a Report,
    status: &'a JobStatus,
    bytes_total: u64,
    bytes_done: u64,
}

impl<'a> Publisher<'a> {
    fn new(
        ctx: &'a JobContext<'a>,
        auth: &'a JobAuth,
        payload: &'a LadderPayload,
        output_dir: &'a Path,
        report: &'a Report,
        status: &'a JobStatus,
    ) -> Self {
        let rendition_files = report.renditions.iter().flat_map(|r| [&r.file, &r.playlist]);
        let images =
            [Some(&report.thumbnail), Some(&report.preview), report.storyboard.as_ref().map(|s| &s.file)];
        let bytes_total = rendition_files
            .chain(images.into_iter().flatten())
            .map(|name| std::fs::metadata(output_dir.join(name)).map_or(0, |m| m.len()))
            .sum();
        Publisher {
            ctx,
            auth,
            upload_url: payload.output.upload_url.trim_end_matches('/'),
            output_dir,
            report,
            status,
            bytes_total,
            bytes_done: 0,
        }
    }

    async fn publish(mut self) -> Result<(), JobError> {
        // Smallest first: the instance publishes the video at its first rendition.
        let mut renditions = self.report.renditions.clone();
        renditions.sort_by_key(|r| r.resolution);
        self.status.step("uploading");
        for rendition in &renditions {
            let size = self.upload("hls", &rendition.file, &rendition.file, "video/mp4").await?;
            self.upload("hls", &rendition.playlist, &rendition.playlist, "application/vnd.apple.mpegurl")
                .await?;
            let path = self.output_dir.join(&rendition.file);
            let file_name = rendition.file.clone();
            let facts = tokio::task::spawn_blocking({
                let path = path.clone();
                move || -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
                    let bytes = std::fs::read(&path)?;
                    Ok(rendition_facts(&file_name, &bytes)?)
                }
            })
            .await
            .map_err(|e| JobError::Inspect { path: path.clone(), source: e.into() })?
            .map_err(|source| JobError::Inspect { path, source })?;
            let video = VideoFacts {
                duration: self.report.duration.unwrap_or(facts.duration),
                aspect_ratio: self.report.aspect_ratio,
            };
            let update = JobUpdate {
                progress: Some(self.status.progress()),
                video: Some(video),
                rendition: Some(RenditionUpdate {
                    resolution: rendition.resolution,
                    width: rendition.width,
                    height: rendition.height,
                    fps: rendition.fps,
                    file: rendition.file.clone(),
                    playlist: rendition.playlist.clone(),
                    size,
                    codecs: facts.codecs,
                    has_audio: facts.has_audio,
                    has_video: facts.has_video,
                    segments_sha256: facts.segments_sha256,
                }),
            };
            retry(&self.ctx.transfer, || self.ctx.client.update(self.auth, &update))
                .await
                .map_err(|source| JobError::Report { call: "rendition update", source })?;
            tracing::info!(job = %self.auth.job_uuid, resolution = rendition.resolution, "rendition published");
        }

        // PeerTube names images by fresh UUIDs too; names must not repeat across jobs.
        let image_name = || format!("{}.jpg", uuid::Uuid::new_v4());
        let thumbnail = image_name();
        self.upload("thumbnail", &self.report.thumbnail, &thumbnail, "image/jpeg").await?;
        let preview = image_name();
        self.upload("preview", &self.report.preview, &preview, "image/jpeg").await?;
        let storyboard = match &self.report.storyboard {
            Some(storyboard) => {
                let file = image_name();
                self.upload("storyboard", &storyboard.file, &file, "image/jpeg").await?;
                let layout = &storyboard.layout;
                Some(StoryboardFile {
                    file,
                    sprite_width: layout.sprite_width,
                    sprite_height: layout.sprite_height,
                    total_width: layout.sprite_width * layout.columns,
                    total_height: layout.sprite_height * layout.rows,
                    sprite_duration: layout.sprite_duration,
                })
            }
            None => None,
        };
        let payload = SuccessPayload { thumbnail, preview, storyboard };
        self.status.finishing();
        retry(&self.ctx.transfer, || self.ctx.client.success(self.auth, &payload))
            .await
            .map_err(|source| JobError::Report { call: "success", source })?;
        self.status.advance(100);
        Ok(())
    }

    /// Uploads the output file `local_name` as `<kind>/<remote_name>`; returns its size.
    async fn upload(
        &mut self,
        kind: &str,
        local_name: &str,
        remote_name: &str,
        content_type: &str,
    ) -> Result<u64, JobError> {
        let url = format!("{}/{kind}/{remote_name}", self.upload_url);
        let path = self.output_dir.join(local_name);
        let (done, total, status) = (self.bytes_done, self.bytes_total.max(1), self.status);
        let on_progress = &mut |stored: u64| {
            let share = (done + stored) as f64 / total as f64;
            status.advance((ENCODING_SHARE + share.min(1.0) * (100.0 - ENCODING_SHARE)) as u8);
        };
        let http = self.ctx.client.http();
        let stored =
            transfer::upload(http, &url, self.auth, &path, content_type, &self.ctx.transfer, on_progress)
                .await
                .map_err(|source| JobError::Upload { file: format!("{kind}/{remote_name}"), source })?;
        self.bytes_done += stored.size;
        Ok(stored.size)
    }
}

/// Retries a job call after network errors and 5xx, as the transfers do.
async fn retry<F, Fut>(settings: &TransferSettings, mut call: F) -> Result<(), ClientError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), ClientError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(error) if error.is_retryable() && attempt < settings.max_attempts => {
                let wait = settings.first_backoff * 2u32.pow((attempt - 1).min(16));
                tracing::warn!(attempt, ?wait, error = %crate::error_chain(&error), "call failed, retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

async fn remove_work_dir(dir: &Path) {
    match tokio::fs::remove_dir_all(dir).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(path = %dir.display(), %error, "cannot remove the job's files"),
    }
}

/// The first `max` characters of `text` (not bytes: the cut must not split a character).
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_on_characters() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("short", 5000), "short");
        assert_eq!(truncate_chars(&"é".repeat(6000), MAX_ERROR_MESSAGE_CHARS).chars().count(), 5000);
    }
}
