//! One `vod-hls-ladder` job, from an accepted job to `success`, `error` or `abort`.
//!
//! The work (download → [`transcode_local`] → uploads and reports) runs beside its
//! [`heartbeat`]; whichever ends first wins. Dropping the work future is how it is cancelled:
//! every ffmpeg and ffprobe is spawned with `kill_on_drop`, so nothing keeps running for a job
//! the instance has given to someone else. The job's files live in one directory that is removed
//! however the job ends.
//!
//! With `lowest_first` ([`Strategy::LowestFirst`]) the lowest rendition is uploaded and reported
//! while ffmpeg still encodes the rest of the ladder, so the instance publishes the video early;
//! either side failing drops the other.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::heartbeat::{heartbeat, JobStatus};
use crate::instance_client::{
    AcceptedJob, ClientError, InstanceClient, JobAuth, JobUpdate, LadderPayload, StoryboardReport,
    SuccessPayload, VideoFacts, LADDER_JOB_TYPE,
};
use crate::ladder::LadderConfig;
use crate::presigned_put;
use crate::progress_display::ProgressDisplay;
use crate::rendition_facts::rendition_facts_from_file;
use crate::transcode_local::{
    transcode_local, JobEvent, LocalJob, Naming, RenditionReport, Report, Strategy, Tools, PREVIEW_FILE,
    STORYBOARD_FILE, THUMBNAIL_FILE,
};
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
    /// Encode the lowest rendition alone first and publish it while the rest encodes
    /// ([`Strategy::LowestFirst`]).
    pub lowest_first: bool,
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
    let url = payload.input.preferred_url();
    let http = ctx.client.http();
    transfer::download(http, url, auth, payload.input.size, &input, &ctx.transfer, &mut |_, _| {})
        .await
        .map_err(JobError::Download)?;

    let output_dir = dir.join("output");
    let local = LocalJob {
        tools: ctx.tools.clone(),
        input,
        output_dir: output_dir.clone(),
        ladder: LadderConfig {
            resolutions: payload.output.resolutions.clone(),
            always_transcode_original_resolution: payload.output.transcode_original_resolution,
            max_fps: payload.output.fps_max,
        },
        naming: Naming::FreshUuids,
        strategy: if ctx.lowest_first { Strategy::LowestFirst } else { Strategy::SingleDecode },
        threads: ctx.threads,
    };
    // A rendition finished early is uploaded and reported while ffmpeg encodes the rest.
    let (early_tx, mut early_rx) = tokio::sync::mpsc::unbounded_channel();
    let transcode = async move {
        let mut video = (None, 1.0);
        let result = transcode_local(&local, &mut |event| match event {
            JobEvent::Planned { duration, aspect_ratio, .. } => {
                video = (duration, aspect_ratio);
                if let Some(duration) = duration {
                    status.set_video(VideoFacts { duration, aspect_ratio: Some(aspect_ratio) });
                }
            }
            JobEvent::Step(step) => status.step(step),
            JobEvent::Progress(fraction) => status.advance((fraction.clamp(0.0, 1.0) * ENCODING_SHARE) as u8),
            // The receiver only goes away with this whole job.
            JobEvent::RenditionReady(rendition) => drop(early_tx.send((rendition, video))),
        })
        .await;
        // `early_tx` is dropped with the closure here, which ends the early publisher's loop.
        result.map_err(|e| JobError::Transcode(e.into()))
    };
    let upload_url = payload.output.upload_url.trim_end_matches('/');
    let presigned = payload.output.presigned_uploads;
    let publish_early = async {
        let mut publisher = Publisher::new(ctx, auth, upload_url, &output_dir, status, &[]);
        publisher.presigned = presigned;
        let mut published = Vec::new();
        while let Some((rendition, (duration, aspect_ratio))) = early_rx.recv().await {
            publisher.publish_rendition(&rendition, duration, aspect_ratio).await?;
            published.push(rendition.resolution);
        }
        Ok(published)
    };
    let (report, published_early) = tokio::try_join!(transcode, publish_early)?;
    tracing::info!(
        renditions = report.renditions.len(),
        encode_seconds = format!("{:.1}", report.encode_seconds),
        "transcoded"
    );

    let rest: Vec<RenditionReport> =
        report.renditions.iter().filter(|r| !published_early.contains(&r.resolution)).cloned().collect();
    let mut publisher = Publisher::new(ctx, auth, upload_url, &output_dir, status, &rest);
    publisher.presigned = presigned;
    publisher.publish(&report, &rest).await
}

/// Uploads a job's files and reports them.
struct Publisher<'a> {
    ctx: &'a JobContext<'a>,
    auth: &'a JobAuth,
    upload_url: &'a str,
    output_dir: &'a Path,
    status: &'a JobStatus,
    /// Bytes of the files this publisher will upload, for the progress bar; 0 leaves it alone.
    bytes_total: u64,
    bytes_done: u64,
    /// Whether to ask for presigned storage `PUT`s; cleared when the instance hands out none.
    presigned: bool,
}

impl<'a> Publisher<'a> {
    /// A publisher whose uploads drive the progress bar from encoding's share to 100 %, sized by
    /// `renditions` and the images; with no renditions it only uploads and reports.
    fn new(
        ctx: &'a JobContext<'a>,
        auth: &'a JobAuth,
        upload_url: &'a str,
        output_dir: &'a Path,
        status: &'a JobStatus,
        renditions: &[RenditionReport],
    ) -> Self {
        let bytes_total = if renditions.is_empty() {
            0
        } else {
            let rendition_files = renditions.iter().flat_map(|r| [&r.file, &r.playlist]);
            let images = [THUMBNAIL_FILE, PREVIEW_FILE, STORYBOARD_FILE].map(String::from);
            rendition_files
                .chain(images.iter())
                .map(|name| std::fs::metadata(output_dir.join(name)).map_or(0, |m| m.len()))
                .sum()
        };
        Publisher { ctx, auth, upload_url, output_dir, status, bytes_total, bytes_done: 0, presigned: false }
    }

    /// Uploads `renditions` (smallest first) and the images, then reports success.
    async fn publish(mut self, report: &Report, renditions: &[RenditionReport]) -> Result<(), JobError> {
        // Smallest first: the instance publishes the video at its first rendition.
        let mut renditions = renditions.to_vec();
        renditions.sort_by_key(|r| r.resolution);
        self.status.step("uploading");
        for rendition in &renditions {
            self.publish_rendition(rendition, report.duration, report.aspect_ratio).await?;
        }

        // PeerTube names images by fresh UUIDs too; names must not repeat across jobs.
        let image_name = || format!("{}.jpg", uuid::Uuid::new_v4());
        let thumbnail = image_name();
        self.upload("thumbnail", &report.thumbnail, &thumbnail, "image/jpeg").await?;
        let preview = image_name();
        self.upload("preview", &report.preview, &preview, "image/jpeg").await?;
        let storyboard = match &report.storyboard {
            Some(storyboard) => {
                let file = image_name();
                self.upload("storyboard", &storyboard.file, &file, "image/jpeg").await?;
                let layout = &storyboard.layout;
                Some(StoryboardReport {
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

    /// Uploads one rendition's fMP4 and playlist and reports it, so the instance publishes it.
    /// `duration` is the probed one; without it, the rendition's own is sent.
    async fn publish_rendition(
        &mut self,
        rendition: &RenditionReport,
        duration: Option<f64>,
        aspect_ratio: f64,
    ) -> Result<(), JobError> {
        let size = self.upload("hls", &rendition.file, &rendition.file, "video/mp4").await?;
        self.upload("hls", &rendition.playlist, &rendition.playlist, "application/vnd.apple.mpegurl").await?;
        let path = self.output_dir.join(&rendition.file);
        let facts = tokio::task::spawn_blocking({
            let path = path.clone();
            move || rendition_facts_from_file(&path)
        })
        .await
        .map_err(|e| JobError::Inspect { path: path.clone(), source: e.into() })?
        .map_err(|source| JobError::Inspect { path, source: source.into() })?;
        let video =
            VideoFacts { duration: duration.unwrap_or(facts.duration), aspect_ratio: Some(aspect_ratio) };
        let update = JobUpdate {
            progress: Some(self.status.progress()),
            video: Some(video),
            rendition: Some(edgetube_runner_protocol::RenditionReport {
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
        let path = self.output_dir.join(local_name);
        if self.presigned {
            let put = presigned_put::upload(
                self.ctx.client,
                self.auth,
                kind,
                remote_name,
                &path,
                &self.ctx.transfer,
            );
            match put.await {
                Ok(Some(size)) => {
                    self.bytes_done += size;
                    return Ok(size);
                }
                Ok(None) => {
                    tracing::info!(job = %self.auth.job_uuid, "no presigned uploads: using the upload URL");
                    self.presigned = false;
                }
                Err(source) => {
                    return Err(JobError::Upload { file: format!("{kind}/{remote_name}"), source })
                }
            }
        }
        let url = format!("{}/{kind}/{remote_name}", self.upload_url);
        let (done, total, status) = (self.bytes_done, self.bytes_total, self.status);
        let on_progress = &mut |stored: u64| {
            if total > 0 {
                let share = (done + stored) as f64 / total as f64;
                status.advance((ENCODING_SHARE + share.min(1.0) * (100.0 - ENCODING_SHARE)) as u8);
            }
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
