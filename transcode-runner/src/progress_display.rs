//! Showing a job's progress: a bar for someone at a terminal, log lines for log collectors.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// How progress is shown; cheap to clone, shared by the job and its heartbeat.
#[derive(Debug, Clone)]
pub enum ProgressDisplay {
    /// Bars drawn in this set, which also keeps log lines from tearing them (see `main.rs`).
    Bars(MultiProgress),
    /// One `tracing` line per step and per 10 % of progress.
    Logs,
}

impl ProgressDisplay {
    /// Starts showing the job `job_uuid`.
    pub fn start(&self, job_uuid: &str) -> JobProgressView {
        let bar = match self {
            ProgressDisplay::Bars(bars) => {
                let bar = bars.add(ProgressBar::new(100));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix} {msg:22} [{bar:40}] {pos:>3}% {elapsed}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(job_uuid.chars().take(8).collect::<String>());
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
                Some(bar)
            }
            ProgressDisplay::Logs => None,
        };
        JobProgressView { bar, job_uuid: job_uuid.to_owned(), logged_decile: 0 }
    }
}

/// The display of one running job.
#[derive(Debug)]
pub struct JobProgressView {
    bar: Option<ProgressBar>,
    job_uuid: String,
    logged_decile: u8,
}

impl JobProgressView {
    pub fn step(&mut self, step: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(step.to_owned()),
            None => tracing::info!(job = %self.job_uuid, step, "step"),
        }
    }

    /// `percent` of the whole job, 0–100.
    pub fn progress(&mut self, percent: u8) {
        match &self.bar {
            Some(bar) => bar.set_position(percent.into()),
            None => {
                let decile = percent / 10;
                if decile > self.logged_decile {
                    self.logged_decile = decile;
                    tracing::info!(job = %self.job_uuid, percent = decile * 10, "progress");
                }
            }
        }
    }
}

impl Drop for JobProgressView {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
