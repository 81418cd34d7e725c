//! `transcode-runner`: the one process of Edgetube that is not an edge function.
//!
//! It will register with an instance using a registration token, take transcoding jobs, run
//! ffmpeg and upload HLS renditions (see ARCHITECTURE.md). For now it validates its settings
//! and checks that ffmpeg is runnable, so deployments can already ship the container.

use anyhow::{bail, Context, Result};
use clap::Parser;

/// Runs Edgetube transcoding jobs with ffmpeg.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Origin of the Edgetube instance to take jobs from, e.g. https://tube.example
    #[arg(long, env = "EDGETUBE_URL")]
    url: String,

    /// Registration token issued by the instance's administrator
    #[arg(long, env = "EDGETUBE_RUNNER_REGISTRATION_TOKEN")]
    registration_token: Option<String>,

    /// ffmpeg executable to run
    #[arg(long, env = "FFMPEG", default_value = "ffmpeg")]
    ffmpeg: String,

    /// Check the settings and ffmpeg, then exit
    #[arg(long)]
    check: bool,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args = Args::parse();
    let origin = args.url.trim_end_matches('/');
    if !(origin.starts_with("https://") || origin.starts_with("http://")) {
        bail!("--url must be an http(s) origin, got {origin:?}");
    }
    let output = std::process::Command::new(&args.ffmpeg)
        .arg("-version")
        .output()
        .with_context(|| format!("cannot run {}", args.ffmpeg))?;
    let version = String::from_utf8_lossy(&output.stdout);
    let first_line = version.lines().next().unwrap_or_default();
    tracing::info!(instance = origin, ffmpeg = first_line, "transcode-runner ready");
    if args.check {
        return Ok(());
    }
    bail!("job processing is not implemented yet; run with --check")
}
