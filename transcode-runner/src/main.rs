//! `transcode-runner`: the one process of Edgetube that is not an edge function.
//!
//! `run` registers with an instance (registration token once; the runner token is kept in the
//! state directory), waits for `vod-hls-ladder` jobs (on the instance's wait socket, or by polling), downloads the input in ranges, encodes the
//! whole ladder with one ffmpeg, uploads each rendition smallest first and reports it, then the
//! images, and calls `success`; see PROTOCOL.md. `check` checks the settings and ffmpeg, and
//! `transcode-local` does the transcoding part on local files.
//!
//! Progress is a bar when stderr is a terminal and `tracing` log lines otherwise (`RUST_LOG`
//! sets the level). SIGTERM or SIGINT during a job aborts it on the instance, then exits; a second
//! signal exits at once.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;
use transcode_runner::cli_units::{parse_chunk_size, parse_duration};
use transcode_runner::job_runner::{self, RunnerConfig};
use transcode_runner::ladder::LadderConfig;
use transcode_runner::progress_display::ProgressDisplay;
use transcode_runner::transcode_local::{transcode_local, JobEvent, LocalJob, Naming, Strategy, Tools};
use transcode_runner::transfer::TransferSettings;
use transcode_runner::wake::WakeSettings;

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
    /// Take transcoding jobs from an instance and run them, one at a time, until stopped
    ///
    /// Registers with the registration token on first start and keeps the runner token in
    /// `<state-dir>/runner.json`, so restarts are the same runner (a token the instance no longer
    /// knows is replaced by registering again). SIGTERM or SIGINT during a job aborts the job on the
    /// instance (it goes back to pending), then exits. With `--once`, exits after one job: 0 if it
    /// succeeded, 1 otherwise; any registration failure exits 1.
    Run(RunArgs),
    /// Start runners only while there is work: a loopback HTTP API through which the instance
    /// (its fleet object, where Cloudflare Containers are not available: `make dev`) starts
    /// `run --exit-when-idle <secs>` processes in slots 0..max; each exits once idle
    Launcher(LauncherArgs),
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

        /// single: one ffmpeg decodes once and encodes every rendition; lowest-first: the lowest
        /// rendition alone first, then one ffmpeg for the rest (what `run` does by default);
        /// per-resolution: PeerTube's one ffmpeg per rendition, for benchmarks
        #[arg(long, value_enum, default_value_t = StrategyArg::Single)]
        strategy: StrategyArg,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Origin of the Edgetube instance to take jobs from, e.g. https://tube.example
    #[arg(long, env = "EDGETUBE_URL")]
    url: String,

    /// Registration token from the instance's administrator (`ptrrt-…`, or the instance's
    /// RUNNER_REGISTRATION_TOKEN); only needed while no runner token is stored
    #[arg(long, env = "EDGETUBE_RUNNER_REGISTRATION_TOKEN", hide_env_values = true)]
    registration_token: Option<String>,

    /// Name the administrator sees for this runner [default: this machine's host name]
    #[arg(long, env = "EDGETUBE_RUNNER_NAME")]
    name: Option<String>,

    /// Directory keeping the runner token (`runner.json`) across restarts
    /// [default: $XDG_STATE_HOME/edgetube-transcode-runner, else ~/.local/state/edgetube-transcode-runner]
    #[arg(long, env = "EDGETUBE_RUNNER_STATE_DIR")]
    state_dir: Option<PathBuf>,

    /// Directory for the running job's input and outputs; each job's files are removed when it
    /// ends [default: a fresh temporary directory, removed at exit]
    #[arg(long, env = "EDGETUBE_RUNNER_WORK_DIR")]
    work_dir: Option<PathBuf>,

    /// Shortest time between two requests for jobs while none is pending, on an instance without
    /// the wait socket that answers at once (older instances, PeerTube) or with `--wait false`
    /// (e.g. 500ms, 1s, 2m)
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    poll_interval: Duration,

    /// On an instance without the wait socket (Spin), ask it to hold each request for jobs until
    /// one is available, for up to this long (a long poll; 0s polls every --poll-interval). Keep
    /// it under the idle timeout of any proxy between the runner and the instance
    #[arg(long, default_value = "45s", value_parser = parse_duration)]
    long_poll: Duration,

    /// Wait for jobs on the instance's WebSocket (`/api/v1/runners/jobs/wait`) instead of
    /// polling: the instance says when a job is pending, and an idle runner makes a few requests
    /// an hour. Instances without it are asked with long polls (--long-poll); `false` polls
    /// every --poll-interval
    #[arg(long, env = "EDGETUBE_RUNNER_WAIT", default_value_t = true, action = clap::ArgAction::Set)]
    wait: bool,

    /// While waiting on the socket, ask for jobs anyway after this long without asking, in case
    /// a signal was lost
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    safety_poll: Duration,

    /// Keep-alive `ping` interval on the wait socket (Cloudflare closes WebSockets idle for 100 s)
    #[arg(long, default_value = "50s", value_parser = parse_duration)]
    wait_ping: Duration,

    /// Longest time between two progress updates while a job runs; the instance gives a job
    /// without updates to another runner after RUNNER_JOB_STALE_SECONDS (default 120 s)
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    heartbeat: Duration,

    /// Size of each download range and upload chunk (e.g. 512KiB, 8MiB; at most 32MiB)
    #[arg(long, default_value = "8MiB", value_parser = parse_chunk_size)]
    chunk_size: u64,

    /// ffmpeg -threads (default: ffmpeg decides)
    #[arg(long)]
    threads: Option<u32>,

    /// Encode the lowest rendition alone first and publish it at once, then encode the rest of
    /// the ladder from one more decode of the input. The video is playable after the cheapest
    /// encode instead of the whole ladder (for a 1080p ladder, after about a fifth of the encoding
    /// time); the cost is decoding the input twice, about 9 % more CPU and a later full ladder.
    /// `false` encodes every rendition from one decode, all finishing together
    #[arg(long, env = "EDGETUBE_RUNNER_LOWEST_FIRST", default_value_t = true, action = clap::ArgAction::Set)]
    lowest_first: bool,

    /// Exit after one job: 0 if it succeeded, 1 if it failed or was taken away
    #[arg(long)]
    once: bool,

    /// Exit (status 0) after this many seconds without a job, for runners started only while
    /// there is work (`launcher`, Cloudflare Containers). The instance is asked once more at the
    /// deadline, so a job made just then is still taken. Default: run until stopped
    #[arg(long, env = "EDGETUBE_RUNNER_EXIT_WHEN_IDLE", value_name = "SECS")]
    exit_when_idle: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct LauncherArgs {
    /// Loopback address to listen on (the instance's RUNNER_LAUNCHER_URL points here)
    #[arg(long, default_value = "127.0.0.1:8790")]
    listen: std::net::SocketAddr,

    /// Most runners alive at once (slots 0..max)
    #[arg(long, default_value_t = 2)]
    max: u32,

    /// Origin of the Edgetube instance the runners take jobs from
    #[arg(long, env = "EDGETUBE_URL")]
    url: String,

    /// Registration token the runners register with (once per slot)
    #[arg(long, env = "EDGETUBE_RUNNER_REGISTRATION_TOKEN", hide_env_values = true)]
    registration_token: String,

    /// Seconds without a job after which a runner exits
    #[arg(long, default_value_t = 60)]
    exit_when_idle: u64,

    /// Directory with one state directory per slot (`slot-<n>`)
    #[arg(long)]
    state_dir: PathBuf,

    /// Runner names are `<prefix>-slot-<n>`
    #[arg(long, default_value = "on-demand")]
    name_prefix: String,

    /// More `run` options for every runner, after `--` (e.g. `-- --threads 2`)
    #[arg(last = true)]
    run_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StrategyArg {
    Single,
    LowestFirst,
    PerResolution,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let interactive = std::io::stderr().is_terminal();
    // Job bars and log lines share stderr: log lines are written with the bars hidden.
    let bars = (interactive && matches!(args.command, Some(Command::Run(_)))).then(MultiProgress::new);
    let logs = tracing_subscriber::fmt().with_ansi(interactive).with_env_filter(
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    );
    match &bars {
        Some(bars) => {
            let bars = bars.clone();
            logs.with_writer(move || BelowBars(bars.clone())).init();
        }
        None => logs.with_writer(std::io::stderr).init(),
    }
    match args.command {
        Some(Command::Check { ref url, .. }) => check(&args.ffmpeg, url),
        Some(Command::Launcher(launcher)) => run_launcher(launcher),
        Some(Command::Run(run)) => {
            let tools = Tools { ffmpeg: args.ffmpeg, ffprobe: args.ffprobe };
            let display = bars.map_or(ProgressDisplay::Logs, ProgressDisplay::Bars);
            run_jobs(run, tools, display)
        }
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
                    StrategyArg::LowestFirst => Strategy::LowestFirst,
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
            bail!("to take jobs, use the `run` subcommand (see --help)")
        }
    }
}

/// A stderr writer that hides the job bars while a log line is written, so neither tears the other.
struct BelowBars(MultiProgress);

impl Write for BelowBars {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn run_jobs(run: RunArgs, tools: Tools, display: ProgressDisplay) -> Result<()> {
    let url = run.url.trim_end_matches('/').to_owned();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("--url must be an http(s) origin, got {url:?}");
    }
    // Held until the end of the function: dropping it removes the default work directory.
    let temporary_work_dir;
    let work_dir = match run.work_dir {
        Some(dir) => dir,
        None => {
            temporary_work_dir = tempfile::Builder::new()
                .prefix("transcode-runner-")
                .tempdir()
                .context("cannot create a temporary work directory")?;
            temporary_work_dir.path().to_owned()
        }
    };
    let config = RunnerConfig {
        url,
        registration_token: run.registration_token.filter(|t| !t.trim().is_empty()),
        name: run.name.unwrap_or_else(host_name),
        state_dir: match run.state_dir {
            Some(dir) => dir,
            None => default_state_dir()?,
        },
        work_dir,
        wake: WakeSettings {
            use_socket: run.wait,
            long_poll: run.long_poll,
            safety_poll: run.safety_poll,
            ping_interval: run.wait_ping,
            ..WakeSettings::new(run.poll_interval)
        },
        heartbeat: run.heartbeat,
        transfer: TransferSettings { chunk_size: run.chunk_size, ..TransferSettings::default() },
        threads: run.threads,
        lowest_first: run.lowest_first,
        tools,
        once: run.once,
        exit_when_idle: run.exit_when_idle.map(Duration::from_secs),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let (shutdown, shutdown_requested) = watch::channel(None);
        tokio::spawn(forward_signals(shutdown));
        job_runner::run(&config, display, shutdown_requested).await
    })?;
    Ok(())
}

fn run_launcher(args: LauncherArgs) -> Result<()> {
    let program = std::env::current_exe().context("cannot find this executable to start runners")?;
    let mut run_args: Vec<std::ffi::OsString> = vec![
        "run".into(),
        "--url".into(),
        args.url.into(),
        "--registration-token".into(),
        args.registration_token.into(),
        "--exit-when-idle".into(),
        args.exit_when_idle.to_string().into(),
    ];
    run_args.extend(args.run_args.into_iter().map(Into::into));
    let config = transcode_runner::launcher::LauncherConfig {
        listen: args.listen,
        max: args.max,
        program,
        run_args,
        state_root: args.state_dir,
        name_prefix: args.name_prefix,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = async {
            if let Some(signal) = next_signal().await {
                tracing::info!(signal, "stopping the launcher and its runners");
            }
        };
        // A runner aborts its job on SIGTERM within seconds; 30 s covers a slow instance.
        transcode_runner::launcher::serve(config, shutdown, Duration::from_secs(30)).await
    })?;
    Ok(())
}

/// Turns the first SIGTERM/SIGINT into a shutdown reason; a second one exits at once.
async fn forward_signals(shutdown: watch::Sender<Option<String>>) {
    let Some(signal) = next_signal().await else { return };
    tracing::info!(signal, "stopping: the running job is aborted first (signal again to exit at once)");
    shutdown.send_replace(Some(format!("the runner received {signal} and is shutting down")));
    if let Some(signal) = next_signal().await {
        tracing::warn!(signal, "exiting at once");
        std::process::exit(130);
    }
}

#[cfg(unix)]
async fn next_signal() -> Option<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::warn!("cannot listen for signals; SIGTERM will not abort running jobs");
        return None;
    };
    tokio::select! {
        _ = terminate.recv() => Some("SIGTERM"),
        _ = interrupt.recv() => Some("SIGINT"),
    }
}

#[cfg(not(unix))]
async fn next_signal() -> Option<&'static str> {
    tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
}

/// Where the runner token lives by default: the XDG state directory, as for any per-user daemon.
fn default_state_dir() -> Result<PathBuf> {
    let base = match (std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME")) {
        (Some(state), _) if !state.is_empty() => PathBuf::from(state),
        (_, Some(home)) if !home.is_empty() => PathBuf::from(home).join(".local/state"),
        _ => bail!("give --state-dir: neither XDG_STATE_HOME nor HOME is set"),
    };
    Ok(base.join("edgetube-transcode-runner"))
}

/// The machine's host name, which is what an administrator recognises a runner by.
fn host_name() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let from_env = || std::env::var("HOSTNAME").ok();
    from_kernel
        .or_else(from_env)
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "transcode-runner".to_owned())
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
        JobEvent::Planned { renditions, duration, .. } => {
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
        JobEvent::RenditionReady(rendition) => {
            let seconds = format!("{:.1}", started.elapsed().as_secs_f64());
            tracing::info!(resolution = rendition.resolution, seconds, "rendition ready early");
        }
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
