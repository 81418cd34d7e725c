//! Runners that exist only while there is work, end to end, with the local process launcher:
//! the real worker under wrangler dev (its fleet Durable Object deciding from the backlog the
//! core sends), the real `transcode-runner launcher` starting real `transcode-runner run
//! --exit-when-idle` processes, and ffmpeg.
//!
//! One upload starts one runner (slot 0), the video is published and the runner exits by itself
//! after its idle time (its PID is gone). Then two uploads at once, with a maximum of two,
//! start two runners (slots 0 and 1) and never a third. The latency from the upload's answer to
//! the runner's start and to the job's acceptance by that cold runner is printed (measured, not
//! asserted; BENCHMARKS.md, `tests/bench/runner-cold-start.sh`).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use edgetube_domain::parse_iso8601_millis;
use edgetube_e2e::{free_port, runner_binary, shared_dir, Instance};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "e2e-admin-password";
const MAX_RUNNERS: u32 = 2;
/// The runners' `--exit-when-idle`.
const IDLE_SECONDS: u64 = 8;

/// `transcode-runner launcher` in its own process group (its runners with it), killed by that
/// PID when dropped.
struct Launcher {
    child: Option<Child>,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Launcher {
    fn start(instance: &Instance, port: u16) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("edgetube-launcher-").tempdir()?;
        let log = dir.path().join("launcher.log");
        let file = std::fs::File::create(&log)?;
        let child = Command::new(runner_binary())
            .arg("launcher")
            .args(["--listen", &format!("127.0.0.1:{port}"), "--max", &MAX_RUNNERS.to_string()])
            .args(["--url", &instance.origin, "--exit-when-idle", &IDLE_SECONDS.to_string()])
            .arg("--registration-token")
            .arg(instance.runner_registration_token()?)
            .arg("--state-dir")
            .arg(dir.path().join("slots"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .process_group(0)
            .spawn()
            .context("starting transcode-runner launcher")?;
        Ok(Self { child: Some(child), url: format!("http://127.0.0.1:{port}"), log, _dir: dir })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn slots(&self) -> Result<Value> {
        Ok(reqwest::get(format!("{}/slots", self.url)).await?.error_for_status()?.json().await?)
    }

    async fn wait_ready(&self) -> Result<()> {
        for _ in 0..100 {
            if self.slots().await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the launcher did not answer; its log:\n{}", self.log())
    }

    /// Every runner process it started so far.
    async fn launched(&self) -> Result<Vec<Value>> {
        Ok(self.slots().await?["launched"].as_array().cloned().unwrap_or_default())
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        let _ = child.wait();
    }
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Waits (bounded) until the video's job is accepted; its `startedAt` (ms).
async fn job_started(instance: &Instance, admin: &str, uuid: &str, limit: Duration) -> Result<i64> {
    let started = Instant::now();
    while started.elapsed() < limit {
        let job = instance.runner_job_of(admin, uuid).await?;
        if let Some(at) = job.as_ref().and_then(|j| j["startedAt"].as_str()).and_then(parse_iso8601_millis) {
            return Ok(at);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("no runner accepted the job of {uuid} within {limit:?}")
}

/// Waits (bounded) until every launched runner has exited with status 0, each after at least
/// the idle time, and its PID is gone.
async fn all_exited_when_idle(launcher: &Launcher) -> Result<Vec<Value>> {
    let limit = Duration::from_secs(IDLE_SECONDS + 60);
    let started = Instant::now();
    loop {
        let launched = launcher.launched().await?;
        if launched.iter().all(|l| l["exitedAtMs"].is_u64()) {
            for launch in &launched {
                ensure!(
                    launch["exitCode"] == 0,
                    "a runner did not exit cleanly: {launch}\n{}",
                    launcher.log()
                );
                let lived =
                    launch["exitedAtMs"].as_u64().unwrap_or(0) - launch["startedAtMs"].as_u64().unwrap_or(0);
                ensure!(
                    lived >= IDLE_SECONDS * 1000,
                    "a runner exited after {lived} ms, before its idle time"
                );
                let pid = launch["pid"].as_u64().context("pid")?;
                ensure!(!Path::new(&format!("/proc/{pid}")).exists(), "runner {pid} is still there");
            }
            return Ok(launched);
        }
        if started.elapsed() > limit {
            bail!("runners still alive {limit:?} on: {launched:?}\nlauncher log:\n{}", launcher.log());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_start_runners_up_to_the_maximum_and_idle_runners_exit() -> Result<()> {
    let port = free_port()?;
    let vars = format!(
        "RUNNER_MAX_INSTANCES:{MAX_RUNNERS} RUNNER_LAUNCHER_URL:http://127.0.0.1:{port} TRANSCODING_RESOLUTIONS:240"
    );
    let instance = Instance::start_with(&[("EDGETUBE_VARS", &vars)]).await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let launcher = Launcher::start(&instance, port)?;
    launcher.wait_ready().await?;
    ensure!(launcher.launched().await?.is_empty(), "a runner was started with no work");
    let bunny = shared_dir().join("fixtures/video/big-buck-bunny-720p-5s.mp4");

    // One upload: one runner, started for it.
    let uuid = instance.upload_video(&admin, &bunny, "Cold start").await?;
    let uploaded_at = now_millis();
    let accepted_at = job_started(&instance, &admin, &uuid, Duration::from_secs(60)).await?;
    let launched = launcher.launched().await?;
    ensure!(launched.len() == 1, "one upload started {} runners: {launched:?}", launched.len());
    ensure!(launched[0]["slot"] == 0, "{launched:?}");
    let runner_started_at = launched[0]["startedAtMs"].as_i64().context("startedAtMs")?;
    eprintln!(
        "cold start: runner started {} ms and job accepted {} ms after the upload answered",
        runner_started_at - uploaded_at,
        accepted_at - uploaded_at
    );
    instance.wait_published(Some(&admin), &uuid, Duration::from_secs(300), || launcher.log()).await?;
    let exited = all_exited_when_idle(&launcher).await?;
    ensure!(exited.len() == 1, "{exited:?}");
    eprintln!(
        "the runner exited {} ms after it started",
        exited[0]["exitedAtMs"].as_i64().unwrap_or(0) - runner_started_at
    );

    // Two uploads at once, a maximum of two: two runners, slots 0 and 1, no third.
    let (first, second) = tokio::join!(
        instance.upload_video(&admin, &bunny, "Backlog one"),
        instance.upload_video(&admin, &bunny, "Backlog two")
    );
    let (first, second) = (first?, second?);
    for uuid in [&first, &second] {
        job_started(&instance, &admin, uuid, Duration::from_secs(120)).await?;
    }
    for uuid in [&first, &second] {
        instance.wait_published(Some(&admin), uuid, Duration::from_secs(300), || launcher.log()).await?;
    }
    let launched = launcher.launched().await?;
    let backlog: Vec<&Value> = launched[1..].iter().collect();
    let mut slots: Vec<u64> = backlog.iter().filter_map(|l| l["slot"].as_u64()).collect();
    slots.sort_unstable();
    ensure!(slots == [0, 1], "two uploads at once started runners in slots {slots:?}: {launched:?}");
    let exited = all_exited_when_idle(&launcher).await?;
    ensure!(exited.len() == 3, "a third runner was started: {exited:?}");
    Ok(())
}
