//! `run`: register once, then ask the instance for jobs whenever there may be some, and run
//! them one at a time.
//!
//! When it has nothing to do the runner waits on the instance's wait socket ([`crate::wake`]):
//! it asks for jobs when the instance signals one, when the socket (re)opens and after a slow
//! safety interval; an instance without that route is asked with long polls (each request held
//! until a job is available, up to `--long-poll`; Spin), or polled every `--poll-interval` where
//! it answers at once.
//! The runner token is kept in the state directory so a restart is the same runner; a 401 means
//! the instance forgot it (runner deleted, instance reset), and the runner registers again with
//! its registration token. Errors asking for jobs back off up to half a minute so an instance
//! that is down is not hammered.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;

use crate::instance_client::{AcceptedJob, ClientError, InstanceClient, LADDER_JOB_TYPE};
use crate::ladder_job::{run_job, shutdown_requested, JobContext, JobOutcome};
use crate::progress_display::ProgressDisplay;
use crate::runner_state::{self, RunnerState, StateError};
use crate::transcode_local::Tools;
use crate::transfer::TransferSettings;
use crate::wake::{Waiter, WakeSettings};

/// Everything `run` is configured with.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Instance origin, e.g. `https://tube.example`.
    pub url: String,
    /// Needed only when no usable runner token is stored.
    pub registration_token: Option<String>,
    pub name: String,
    pub state_dir: PathBuf,
    pub work_dir: PathBuf,
    /// How an idle runner waits for jobs (wait socket or polling).
    pub wake: WakeSettings,
    pub heartbeat: Duration,
    pub transfer: TransferSettings,
    pub threads: Option<u32>,
    /// See [`JobContext::lowest_first`].
    pub lowest_first: bool,
    pub tools: Tools,
    /// Return after the first job taken, with its outcome.
    pub once: bool,
    /// Return (success) after this long without a job: a runner started for a backlog
    /// (`launcher`, a Cloudflare Container) goes away once the backlog is gone.
    pub exit_when_idle: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("cannot set up the HTTP client")]
    Http(#[source] reqwest::Error),
    #[error("no runner token is stored in {} and no registration token was given", state_dir.display())]
    NoRegistrationToken { state_dir: PathBuf },
    #[error("cannot register with {url}")]
    Registration {
        url: String,
        #[source]
        source: ClientError,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot create the work directory {}", path.display())]
    WorkDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("job {job} failed: {message}")]
    JobFailed { job: String, message: String },
    #[error("job {job} was taken away by the instance before it was done")]
    JobGone { job: String },
}

/// Longest wait between two polls while the instance fails to answer.
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(30);
/// Registration attempts when the instance cannot be reached (not when it refuses).
const REGISTRATION_ATTEMPTS: u32 = 5;

/// Takes and runs jobs until `shutdown` gives a reason (or, with `once`, after one job).
pub async fn run(
    config: &RunnerConfig,
    display: ProgressDisplay,
    mut shutdown: watch::Receiver<Option<String>>,
) -> Result<(), RunnerError> {
    let client = InstanceClient::new(&config.url).map_err(RunnerError::Http)?;
    std::fs::create_dir_all(&config.work_dir)
        .map_err(|source| RunnerError::WorkDir { path: config.work_dir.clone(), source })?;
    let mut waiter = Waiter::new(&client, config.wake).map_err(RunnerError::Http)?;
    let mut runner_token = stored_or_new_token(&client, config).await?;
    tracing::info!(instance = client.origin(), name = config.name, "taking jobs");
    let mut failed_polls = 0;
    // When the runner last had nothing to do: at start, and after each job.
    let mut idle_since = tokio::time::Instant::now();
    let idle_deadline = |since: tokio::time::Instant| config.exit_when_idle.map(|limit| since + limit);
    let idle_over = |since: tokio::time::Instant| {
        idle_deadline(since).is_some_and(|deadline| tokio::time::Instant::now() >= deadline)
    };
    // Runs until shutdown (or, with `once`, one job); every pass asks once and then waits.
    loop {
        let answer = tokio::select! {
            answer = client.request_jobs(&runner_token, waiter.hold()) => answer,
            _ = shutdown_requested(&mut shutdown) => return Ok(()),
        };
        let pause = match answer {
            Ok(jobs) => {
                failed_polls = 0;
                let ladder_jobs = jobs.into_iter().filter(|job| job.kind == LADDER_JOB_TYPE);
                match take_first(&client, &runner_token, ladder_jobs.map(|job| job.uuid)).await {
                    Taken::Job(job) => {
                        let job_uuid = job.uuid.clone();
                        let ctx = JobContext {
                            client: &client,
                            runner_token: &runner_token,
                            tools: &config.tools,
                            threads: config.threads,
                            lowest_first: config.lowest_first,
                            transfer: config.transfer,
                            heartbeat: config.heartbeat,
                            work_dir: &config.work_dir,
                            display: &display,
                        };
                        let outcome = run_job(&ctx, *job, &mut shutdown).await;
                        idle_since = tokio::time::Instant::now();
                        match outcome {
                            JobOutcome::Aborted => return Ok(()),
                            _ if config.once => return once_result(job_uuid, outcome),
                            // More jobs may be waiting: ask again at once.
                            _ => continue,
                        }
                    }
                    Taken::Nothing => {
                        // Checked after asking, so a job made as the idle time ran out is still taken.
                        if idle_over(idle_since) {
                            log_idle_exit(config);
                            return Ok(());
                        }
                        tokio::select! {
                            _ = waiter.next(&runner_token) => {}
                            // Ask once more at the deadline, then exit if still nothing.
                            () = sleep_until(idle_deadline(idle_since)) => {}
                            _ = shutdown_requested(&mut shutdown) => return Ok(()),
                        }
                        continue;
                    }
                    Taken::UnknownRunner => {
                        runner_token = reregister(&client, config).await?;
                        continue;
                    }
                    // Jobs are there but accepting failed: try again soon, not at the next signal.
                    Taken::Failed => config.wake.poll_interval,
                }
            }
            Err(ClientError::UnknownRunner) => {
                runner_token = reregister(&client, config).await?;
                continue;
            }
            Err(error) if idle_over(idle_since) => {
                // Nothing to do and the instance unreachable: a runner on demand stops all the same.
                tracing::warn!(error = %crate::error_chain(&error), "cannot ask for jobs");
                log_idle_exit(config);
                return Ok(());
            }
            Err(error) => {
                failed_polls += 1;
                let pause =
                    (config.wake.poll_interval * 2u32.pow(failed_polls.min(16))).min(MAX_POLL_BACKOFF);
                tracing::warn!(error = %crate::error_chain(&error), retry_in = ?pause, "cannot ask for jobs");
                pause
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = shutdown_requested(&mut shutdown) => return Ok(()),
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn log_idle_exit(config: &RunnerConfig) {
    if let Some(limit) = config.exit_when_idle {
        tracing::info!(idle_seconds = limit.as_secs_f64(), "no job for the idle time: exiting");
    }
}

fn once_result(job: String, outcome: JobOutcome) -> Result<(), RunnerError> {
    match outcome {
        JobOutcome::Succeeded | JobOutcome::Aborted => Ok(()),
        JobOutcome::Failed(message) => Err(RunnerError::JobFailed { job, message }),
        JobOutcome::Gone => Err(RunnerError::JobGone { job }),
    }
}

enum Taken {
    Job(Box<AcceptedJob>),
    Nothing,
    UnknownRunner,
    Failed,
}

/// Accepts the first of `candidates` that no other runner took meanwhile.
async fn take_first(
    client: &InstanceClient,
    runner_token: &str,
    candidates: impl Iterator<Item = String>,
) -> Taken {
    for uuid in candidates {
        match client.accept(runner_token, &uuid).await {
            Ok(job) => return Taken::Job(Box::new(job)),
            Err(ClientError::JobGone { .. }) => tracing::debug!(job = %uuid, "taken by another runner"),
            Err(ClientError::UnknownRunner) => return Taken::UnknownRunner,
            Err(error) => {
                tracing::warn!(job = %uuid, error = %crate::error_chain(&error), "cannot accept the job");
                return Taken::Failed;
            }
        }
    }
    Taken::Nothing
}

/// The stored token for this instance, or a fresh registration.
async fn stored_or_new_token(client: &InstanceClient, config: &RunnerConfig) -> Result<String, RunnerError> {
    match runner_state::load(&config.state_dir)? {
        Some(state) if state.url == client.origin() => {
            tracing::info!(runner_id = ?state.runner_id, "using the stored runner token");
            Ok(state.runner_token)
        }
        Some(state) => {
            tracing::info!(stored_for = state.url, "the stored runner token is for another instance");
            register(client, config).await
        }
        None => register(client, config).await,
    }
}

async fn reregister(client: &InstanceClient, config: &RunnerConfig) -> Result<String, RunnerError> {
    tracing::warn!("the instance does not know this runner any more; registering again");
    register(client, config).await
}

async fn register(client: &InstanceClient, config: &RunnerConfig) -> Result<String, RunnerError> {
    let Some(registration_token) = &config.registration_token else {
        return Err(RunnerError::NoRegistrationToken { state_dir: config.state_dir.clone() });
    };
    let description = concat!("Edgetube transcode-runner ", env!("CARGO_PKG_VERSION"));
    let mut attempt = 1;
    let registration = loop {
        match client.register(registration_token, &config.name, Some(description)).await {
            Ok(registration) => break registration,
            Err(error) if error.is_retryable() && attempt < REGISTRATION_ATTEMPTS => {
                let wait = Duration::from_secs(1 << attempt);
                tracing::warn!(attempt, ?wait, error = %crate::error_chain(&error), "cannot register yet");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(source) => return Err(RunnerError::Registration { url: client.origin().to_owned(), source }),
        }
    };
    let state = RunnerState {
        url: client.origin().to_owned(),
        runner_id: registration.id,
        runner_token: registration.runner_token,
        name: config.name.clone(),
    };
    runner_state::save(&config.state_dir, &state)?;
    tracing::info!(runner_id = ?state.runner_id, name = state.name, "registered");
    Ok(state.runner_token)
}
