//! Runs an ffmpeg command, reporting `-progress` as it goes and keeping its errors for the report.

use std::process::Stdio;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::ffmpeg_plan::{parse_progress_line, FfmpegCommand, ProgressLine};

/// Runs `command` to completion. `on_out_time` gets each `out_time_us` ffmpeg reports.
pub async fn run(command: &FfmpegCommand, on_out_time: &mut (dyn FnMut(u64) + Send)) -> Result<()> {
    tracing::debug!(command = %command.display(), "running ffmpeg");
    let mut child = tokio::process::Command::new(&command.program)
        .args(&command.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {}", command.program))?;
    let stdout = child.stdout.take().context("ffmpeg stdout is not piped")?;
    let mut stderr = child.stderr.take().context("ffmpeg stderr is not piped")?;
    // Drained concurrently: a full stderr pipe would block ffmpeg while we wait on stdout.
    let stderr_task = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await.context("cannot read ffmpeg progress")? {
        if let Some(ProgressLine::OutTime(us)) = parse_progress_line(&line) {
            on_out_time(us);
        }
    }
    let status = child.wait().await.context("cannot wait for ffmpeg")?;
    let stderr = stderr_task.await.unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("ffmpeg failed ({status}): {}", tail.join(" | "));
    }
    if !stderr.trim().is_empty() {
        tracing::warn!(stderr = stderr.trim(), "ffmpeg reported problems");
    }
    Ok(())
}
