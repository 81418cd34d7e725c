//! `transcode-runner`: the one process of Edgetube that is not an edge function.
//!
//! It will register with an instance using a registration token, take transcoding jobs, run
//! ffmpeg and upload HLS renditions (see ARCHITECTURE.md). For now it can check its settings
//! (`check`) and transcode a local file into PeerTube's layout (`transcode-local`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use transcode_runner::ladder::LadderConfig;
use transcode_runner::transcode_local::{transcode_local, JobEvent, LocalJob, Naming, Strategy, Tools};

/// Runs Edgetube transcoding jobs with ffmpeg.
///
/// Without a subcommand, `--url <origin> --check` behaves as `check` (kept for existing
/// deployments).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,

    /// ffmpeg executable to run
    #[arg(long, global = true, env = "FFMPEG", default_value = "ffmpeg")]
    ffmpeg: String,

    /// ffprobe executable to run
    #[arg(long, global = true, env = "FFPROBE", default_value = "ffprobe")]
    ffprobe: String,

    /// Origin of the Edgetube instance (legacy form of `check --url`)
    #[arg(long, env = "EDGETUBE_URL")]
    url: Option<String>,

    /// Check the settings and ffmpeg, then exit (legacy form of `check`)
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the instance settings and that ffmpeg runs, then exit
    Check {
        /// Origin of the Edgetube instance to take jobs from, e.g. https://tube.example
        #[arg(long, env = "EDGETUBE_URL")]
        url: String,

        /// Registration token issued by the instance's administrator
        #[arg(long, env = "EDGETUBE_RUNNER_REGISTRATION_TOKEN")]
        registration_token: Option<String>,
    },
    /// Transcode one local file into PeerTube's HLS renditions, thumbnail, preview and storyboard
    ///
    /// Writes `<name>-<res>.m3u8` + `<name>-<res>-fragmented.mp4` per rendition, `thumbnail.jpg`
    /// (280x157), `preview.jpg` (850x480), `storyboard.jpg` (videos of 3 s or more) and
    /// `renditions.json`. Nothing is left in the output directory if the job fails.
    TranscodeLocal {
        /// Video or audio file to transcode
        #[arg(long)]
        input: PathBuf,

        /// Directory to write into; created if missing
        #[arg(long)]
        output: PathBuf,

        /// File name stem shared by all renditions; by default each gets a fresh UUID, as in PeerTube
        #[arg(long)]
        name: Option<String>,

        /// Resolutions (short side) to make when the input is at least as large
        #[arg(long, value_delimiter = ',', default_value = "1080,720,480,360,240")]
        resolutions: Vec<u32>,

        /// Do not add the input's own resolution to the ladder
        #[arg(long)]
        no_original_resolution: bool,

        /// Highest output frame rate
        #[arg(long, default_value_t = 60)]
        max_fps: u32,

        /// ffmpeg -threads of each rendition's encoder, as PeerTube's transcoding.threads
        /// (default: ffmpeg decides)
        #[arg(long)]
        threads: Option<u32>,

        /// single: one ffmpeg decodes once and encodes every rendition; per-resolution: PeerTube's
        /// one ffmpeg per rendition, for benchmarks
        #[arg(long, value_enum, default_value_t = StrategyArg::Single)]
        strategy: StrategyArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StrategyArg {
    Single,
    PerResolution,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    match args.command {
        Some(Command::Check { ref url, .. }) => check(&args.ffmpeg, url),
        Some(Command::TranscodeLocal {
            input,
            output,
            name,
            resolutions,
            no_original_resolution,
            max_fps,
            threads,
            strategy,
        }) => {
            let job = LocalJob {
                tools: Tools { ffmpeg: args.ffmpeg, ffprobe: args.ffprobe },
                input,
                output_dir: output,
                ladder: LadderConfig {
                    resolutions,
                    always_transcode_original_resolution: !no_original_resolution,
                    max_fps,
                },
                naming: name.map_or(Naming::FreshUuids, Naming::Stem),
                strategy: match strategy {
                    StrategyArg::Single => Strategy::SingleDecode,
                    StrategyArg::PerResolution => Strategy::PerResolution,
                },
                threads,
            };
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(run_local(&job))
        }
        None => {
            let Some(url) = &args.url else {
                bail!("give a subcommand (see --help), or --url with --check");
            };
            check(&args.ffmpeg, url)?;
            if args.check {
                return Ok(());
            }
            bail!("job processing is not implemented yet; run with --check")
        }
    }
}

fn check(ffmpeg: &str, url: &str) -> Result<()> {
    let origin = url.trim_end_matches('/');
    if !(origin.starts_with("https://") || origin.starts_with("http://")) {
        bail!("--url must be an http(s) origin, got {origin:?}");
    }
    let output = std::process::Command::new(ffmpeg)
        .arg("-version")
        .output()
        .with_context(|| format!("cannot run {ffmpeg}"))?;
    let version = String::from_utf8_lossy(&output.stdout);
    let first_line = version.lines().next().unwrap_or_default();
    tracing::info!(instance = origin, ffmpeg = first_line, "transcode-runner ready");
    Ok(())
}

async fn run_local(job: &LocalJob) -> Result<()> {
    let started = Instant::now();
    // A bar for people at a terminal; one log line per 10 % for logs read by machines.
    let bar = std::io::stdout().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stdout());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg:24} [{bar:40}] {percent:>3}% {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut last_logged_decile = 0;
    let mut on_event = |event: JobEvent| match event {
        JobEvent::Planned { renditions, duration } => {
            tracing::info!(?renditions, ?duration, input = %job.input.display(), "planned");
        }
        JobEvent::Step(step) => match &bar {
            Some(bar) => bar.set_message(step),
            None => tracing::info!(step, "step"),
        },
        JobEvent::Progress(fraction) => match &bar {
            Some(bar) => bar.set_position((fraction * 1000.0) as u64),
            None => {
                let decile = (fraction * 10.0).floor() as u32;
                if decile > last_logged_decile {
                    last_logged_decile = decile;
                    tracing::info!(percent = decile * 10, "encoding");
                }
            }
        },
    };
    let result = transcode_local(job, &mut on_event).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result?;
    tracing::info!(
        output = %job.output_dir.display(),
        renditions = ?report.renditions.iter().map(|r| r.resolution).collect::<Vec<_>>(),
        encode_seconds = format!("{:.2}", report.encode_seconds),
        total_seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
        "done"
    );
    Ok(())
}
