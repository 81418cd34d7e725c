//! `transcode-local`: one input file in, PeerTube's HLS renditions and images out, in a directory.
//!
//! The steps are probe → plan → poster images → ffmpeg → playlist fix-up → storyboard →
//! `renditions.json`. Files are written to a hidden staging directory inside the output directory
//! and moved into place only once every step has succeeded, so a failed job leaves nothing behind
//! (and an input that cannot be probed does not even create the output directory).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::ffmpeg_plan::{
    bare_map_uri, per_resolution_commands, progress_fraction, single_decode_command, JobPaths, RenditionFiles,
};
use crate::images::{
    poster_images_command, storyboard_command, storyboard_layout, waveform_images_command, StoryboardLayout,
};
use crate::ladder::{plan, LadderConfig, Rendition, TranscodePlan, VideoSource, STILL_IMAGE_SIZE};
use crate::probe::{probe, Probe};
use crate::run_ffmpeg;

pub const THUMBNAIL_FILE: &str = "thumbnail.jpg";
pub const PREVIEW_FILE: &str = "preview.jpg";
pub const STORYBOARD_FILE: &str = "storyboard.jpg";
pub const REPORT_FILE: &str = "renditions.json";

/// Where ffmpeg and ffprobe are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub ffmpeg: String,
    pub ffprobe: String,
}

/// How rendition files are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    /// A fresh UUID per rendition, as PeerTube does: `<uuid>-720.m3u8`.
    FreshUuids,
    /// The same stem for every rendition: `<stem>-720.m3u8`; for tests and scripts.
    Stem(String),
}

/// How the renditions are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// One ffmpeg decoding the input once for all renditions.
    SingleDecode,
    /// PeerTube's job graph, one ffmpeg per rendition one after the other; for benchmarks.
    PerResolution,
    /// The lowest rendition alone first, moved to the output directory and announced with
    /// [`JobEvent::RenditionReady`] at once; then one ffmpeg decoding the input once for the rest.
    /// The video can be published after the cheapest encode instead of the whole ladder, for one
    /// more decode of the input. Same as [`Strategy::SingleDecode`] for a one-rendition ladder.
    LowestFirst,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalJob {
    pub tools: Tools,
    pub input: PathBuf,
    pub output_dir: PathBuf,
    pub ladder: LadderConfig,
    pub naming: Naming,
    pub strategy: Strategy,
    /// ffmpeg `-threads` of each encoder; `None` lets ffmpeg decide.
    pub threads: Option<u32>,
}

/// What the caller is told while a job runs.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Planned {
        renditions: Vec<u32>,
        duration: Option<f64>,
        /// Width over height as displayed, rounded to 4 decimals (PeerTube's `aspectRatio`).
        aspect_ratio: f64,
    },
    Step(&'static str),
    /// Share of the encoding done, `0.0..=1.0`.
    Progress(f64),
    /// A rendition is complete and already in the output directory, before the job ends
    /// ([`Strategy::LowestFirst`]). The final [`Report`] lists it too.
    RenditionReady(RenditionReport),
}

/// What a finished job wrote; also the content of `renditions.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub input: String,
    pub duration: Option<f64>,
    /// Width over height as displayed, rounded to 4 decimals (PeerTube's `aspectRatio`).
    pub aspect_ratio: f64,
    /// Whether the input has an audio stream (the renditions then carry it).
    pub has_audio: bool,
    /// `video`, or `still_image` for audio-only inputs.
    pub source: &'static str,
    pub renditions: Vec<RenditionReport>,
    pub thumbnail: String,
    pub preview: String,
    pub storyboard: Option<StoryboardReport>,
    /// Wall time of the encoding step alone (not probing or images), in seconds.
    pub encode_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenditionReport {
    pub resolution: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Target bitrate `T` in bits/s.
    pub bitrate_target: u64,
    pub playlist: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryboardReport {
    pub file: String,
    #[serde(flatten)]
    pub layout: StoryboardLayout,
}

/// Runs the whole job; on failure nothing is left in `job.output_dir`.
pub async fn transcode_local(job: &LocalJob, on_event: &mut (dyn FnMut(JobEvent) + Send)) -> Result<Report> {
    on_event(JobEvent::Step("probing"));
    let probe = probe(&job.tools.ffprobe, &job.input).await?;
    let plan =
        plan(&probe, &job.ladder).with_context(|| format!("cannot transcode {}", job.input.display()))?;
    let facts = InputFacts { aspect_ratio: aspect_ratio(&probe), has_audio: probe.has_audio() };
    on_event(JobEvent::Planned {
        renditions: plan.renditions.iter().map(|r| r.resolution).collect(),
        duration: plan.duration,
        aspect_ratio: facts.aspect_ratio,
    });

    let created_output_dir = !job.output_dir.exists();
    std::fs::create_dir_all(&job.output_dir)
        .with_context(|| format!("cannot create {}", job.output_dir.display()))?;
    let staging = job.output_dir.join(format!(".partial-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir(&staging).with_context(|| format!("cannot create {}", staging.display()))?;

    let result =
        run_in(&staging, job, &plan, &facts, probe.video.as_ref().and_then(|v| v.fps), on_event).await;
    let result = match result {
        Ok(report) => publish(&staging, &job.output_dir).map(|()| report),
        Err(error) => Err(error),
    };
    if let Err(error) = std::fs::remove_dir_all(&staging) {
        tracing::warn!(path = %staging.display(), %error, "cannot remove the staging directory");
    }
    if result.is_err() && created_output_dir {
        // Only succeeds when empty: never removes anything this job did not create.
        let _ = std::fs::remove_dir(&job.output_dir);
    }
    result
}

async fn run_in(
    staging: &Path,
    job: &LocalJob,
    plan: &TranscodePlan,
    facts: &InputFacts,
    input_fps: Option<f64>,
    on_event: &mut (dyn FnMut(JobEvent) + Send),
) -> Result<Report> {
    let ffmpeg = job.tools.ffmpeg.as_str();
    let thumbnail = staging.join(THUMBNAIL_FILE);
    let preview = staging.join(PREVIEW_FILE);

    // Posters first: an audio-only upload's video is made from its preview.
    on_event(JobEvent::Step("thumbnail and preview"));
    let posters = match plan.source {
        VideoSource::Input => poster_images_command(
            ffmpeg,
            &job.input,
            plan.duration,
            input_fps.unwrap_or(25.0),
            &thumbnail,
            &preview,
        ),
        VideoSource::StillImage => waveform_images_command(ffmpeg, &job.input, &thumbnail, &preview),
    };
    run_ffmpeg::run(&posters, &mut |_| {}).await.context("cannot make the thumbnail and preview")?;

    let files: Vec<RenditionFiles> =
        plan.renditions.iter().map(|r| RenditionFiles::new(&stem(&job.naming), r.resolution)).collect();
    let paths = JobPaths {
        ffmpeg: ffmpeg.into(),
        input: job.input.clone(),
        output_dir: staging.to_path_buf(),
        still_image: Some(preview.clone()),
        threads: job.threads,
    };
    on_event(JobEvent::Step("encoding"));
    let started = Instant::now();
    let duration = plan.duration.unwrap_or(0.0);
    let mut published_early = Vec::new();
    match job.strategy {
        Strategy::LowestFirst if plan.renditions.len() > 1 => {
            let (lowest, rest) = split_lowest(plan, &files);
            let share = lowest_share(plan);
            run_ffmpeg::run(&single_decode_command(&lowest.0, &paths, &lowest.1), &mut |us| {
                on_event(JobEvent::Progress(share * progress_fraction(us, duration)))
            })
            .await?;
            let early = &lowest.1[0];
            rewrite_playlist(&staging.join(&early.playlist))?;
            for name in [&early.playlist, &early.fragmented_mp4] {
                if let Err(error) = move_file(&staging.join(name), &job.output_dir.join(name)) {
                    remove_files(&published_early);
                    return Err(error);
                }
                published_early.push(job.output_dir.join(name));
            }
            on_event(JobEvent::RenditionReady(rendition_report(&lowest.0.renditions[0], early)));
            let result = run_ffmpeg::run(&single_decode_command(&rest.0, &paths, &rest.1), &mut |us| {
                on_event(JobEvent::Progress(share + (1.0 - share) * progress_fraction(us, duration)))
            })
            .await;
            if let Err(error) = result {
                remove_files(&published_early);
                return Err(error);
            }
        }
        Strategy::SingleDecode | Strategy::LowestFirst => {
            let command = single_decode_command(plan, &paths, &files);
            run_ffmpeg::run(&command, &mut |us| {
                on_event(JobEvent::Progress(progress_fraction(us, duration)))
            })
            .await?;
        }
        Strategy::PerResolution => {
            let commands = per_resolution_commands(plan, &paths, &files);
            let count = commands.len() as f64;
            for (i, command) in commands.iter().enumerate() {
                let done = i as f64;
                run_ffmpeg::run(command, &mut |us| {
                    on_event(JobEvent::Progress((done + progress_fraction(us, duration)) / count))
                })
                .await?;
            }
        }
    }
    let encode_time = started.elapsed();
    on_event(JobEvent::Progress(1.0));
    let result = finish(staging, job, plan, facts, &files, &published_early, encode_time, on_event).await;
    if result.is_err() {
        // Nothing may be left behind by a failed job, including what was handed out early.
        remove_files(&published_early);
    }
    result
}

/// After the encoding: playlists fixed, storyboard, `renditions.json`.
#[allow(clippy::too_many_arguments)]
async fn finish(
    staging: &Path,
    job: &LocalJob,
    plan: &TranscodePlan,
    facts: &InputFacts,
    files: &[RenditionFiles],
    published_early: &[PathBuf],
    encode_time: Duration,
    on_event: &mut (dyn FnMut(JobEvent) + Send),
) -> Result<Report> {
    let ffmpeg = job.tools.ffmpeg.as_str();
    for file in files {
        // A rendition published early was fixed and moved already.
        if !published_early.contains(&job.output_dir.join(&file.playlist)) {
            rewrite_playlist(&staging.join(&file.playlist))?;
        }
    }

    let storyboard = match (plan.source, plan.duration) {
        (VideoSource::Input, Some(duration)) => {
            let original = &plan.renditions[0];
            storyboard_layout(original.width, original.height, duration)
        }
        _ => None,
    };
    if let Some(layout) = &storyboard {
        on_event(JobEvent::Step("storyboard"));
        let command = storyboard_command(ffmpeg, &job.input, layout, &staging.join(STORYBOARD_FILE));
        run_ffmpeg::run(&command, &mut |_| {}).await.context("cannot make the storyboard")?;
    }

    let report = report(job, plan, facts, files, storyboard, encode_time);
    let json = serde_json::to_string_pretty(&report).context("cannot serialise the report")?;
    std::fs::write(staging.join(REPORT_FILE), json + "\n").context("cannot write renditions.json")?;
    Ok(report)
}

/// What the report says about the input beyond the plan.
struct InputFacts {
    aspect_ratio: f64,
    has_audio: bool,
}

/// PeerTube's `aspectRatio`: of the displayed frame, or of the still image an audio file becomes.
fn aspect_ratio(probe: &Probe) -> f64 {
    let (width, height) = probe.video.as_ref().map_or(STILL_IMAGE_SIZE, |v| v.display_size());
    (width as f64 / height as f64 * 10_000.0).round() / 10_000.0
}

fn stem(naming: &Naming) -> String {
    match naming {
        Naming::FreshUuids => uuid::Uuid::new_v4().to_string(),
        Naming::Stem(stem) => stem.clone(),
    }
}

fn rewrite_playlist(path: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("ffmpeg wrote no {}", path.display()))?;
    let fixed = bare_map_uri(&text);
    if fixed != text {
        std::fs::write(path, fixed).with_context(|| format!("cannot rewrite {}", path.display()))?;
    }
    Ok(())
}

fn rendition_report(rendition: &Rendition, files: &RenditionFiles) -> RenditionReport {
    RenditionReport {
        resolution: rendition.resolution,
        width: rendition.width,
        height: rendition.height,
        fps: rendition.fps,
        bitrate_target: rendition.bitrate,
        playlist: files.playlist.clone(),
        file: files.fragmented_mp4.clone(),
    }
}

/// The plan (and files) of the lowest rendition alone, and of the others; `files[i]` names
/// `plan.renditions[i]`, which are largest first.
fn split_lowest(
    plan: &TranscodePlan,
    files: &[RenditionFiles],
) -> ((TranscodePlan, Vec<RenditionFiles>), (TranscodePlan, Vec<RenditionFiles>)) {
    let cut = plan.renditions.len().saturating_sub(1);
    let part = |range: std::ops::Range<usize>| {
        let renditions = plan.renditions[range.clone()].to_vec();
        (TranscodePlan { renditions, ..plan.clone() }, files[range].to_vec())
    };
    let (lowest, rest) = (part(cut..plan.renditions.len()), part(0..cut));
    (lowest, rest)
}

/// The lowest rendition's pass as a share of the encoding, for the progress bar: each pass
/// decodes the input once, and encoding costs about its output's pixel rate.
fn lowest_share(plan: &TranscodePlan) -> f64 {
    let pixel_rate = |r: &Rendition| f64::from(r.width) * f64::from(r.height) * f64::from(r.fps);
    let decode = plan.renditions.first().map_or(0.0, pixel_rate);
    let lowest = plan.renditions.last().map_or(0.0, pixel_rate);
    let all: f64 = plan.renditions.iter().map(pixel_rate).sum();
    let total = 2.0 * decode + all;
    if total > 0.0 {
        (decode + lowest) / total
    } else {
        0.5
    }
}

fn move_file(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).with_context(|| format!("cannot move a file to {}", to.display()))
}

fn remove_files(paths: &[PathBuf]) {
    for path in paths {
        if let Err(error) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), %error, "cannot remove a rendition published early");
        }
    }
}

/// Moves every finished file from the staging directory into the output directory.
fn publish(staging: &Path, output_dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(staging).context("cannot list the staging directory")? {
        let entry = entry?;
        let target = output_dir.join(entry.file_name());
        std::fs::rename(entry.path(), &target)
            .with_context(|| format!("cannot move a file to {}", target.display()))?;
    }
    Ok(())
}

fn report(
    job: &LocalJob,
    plan: &TranscodePlan,
    facts: &InputFacts,
    files: &[RenditionFiles],
    storyboard: Option<StoryboardLayout>,
    encode_time: Duration,
) -> Report {
    Report {
        input: job.input.display().to_string(),
        duration: plan.duration,
        aspect_ratio: facts.aspect_ratio,
        has_audio: facts.has_audio,
        source: match plan.source {
            VideoSource::Input => "video",
            VideoSource::StillImage => "still_image",
        },
        renditions: plan.renditions.iter().zip(files).map(|(r, f)| rendition_report(r, f)).collect(),
        thumbnail: THUMBNAIL_FILE.into(),
        preview: PREVIEW_FILE.into(),
        storyboard: storyboard.map(|layout| StoryboardReport { file: STORYBOARD_FILE.into(), layout }),
        encode_seconds: encode_time.as_secs_f64(),
    }
}
