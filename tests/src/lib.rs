//! The end-to-end harness: real Edgetube instances (the built worker bundle under
//! `wrangler dev`, each on its own loopback port with its own state folder), and helpers to
//! run real clients against them.
//!
//! The bundle is built once, before the tests, by `scripts/test.sh`; the harness never builds.
//! Every instance is started in its own process group and stopped by that PID when its
//! [`Instance`] is dropped, also when a test fails.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `../shared/`, beside the repository.
pub fn shared_dir() -> PathBuf {
    repo_root().join("../shared")
}

/// The shell an [`Instance`] runs, chosen for a whole test run by `EDGETUBE_E2E_PLATFORM`:
/// `cloudflare` (the default: the Worker under `wrangler dev`) or `spin` (the Spin component
/// under the local harness `edgetube-spin-host`, with an S3 server). The suites are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// `scripts/run-instance.sh`: the Worker bundle under `wrangler dev`.
    Cloudflare,
    /// `scripts/run-spin-instance.sh`: the Spin component under `edgetube-spin-host`.
    Spin,
}

impl Platform {
    /// The platform of this test run (`EDGETUBE_E2E_PLATFORM`).
    pub fn from_env() -> Result<Self> {
        match std::env::var("EDGETUBE_E2E_PLATFORM").as_deref() {
            Err(_) | Ok("") | Ok("cloudflare") => Ok(Self::Cloudflare),
            Ok("spin") => Ok(Self::Spin),
            Ok(other) => bail!("EDGETUBE_E2E_PLATFORM={other:?}: expected cloudflare or spin"),
        }
    }

    /// The platform of a second instance in federation tests (`EDGETUBE_E2E_PEER_PLATFORM`,
    /// else this run's): one Worker and one Spin instance following each other.
    pub fn peer_from_env() -> Result<Self> {
        match std::env::var("EDGETUBE_E2E_PEER_PLATFORM").as_deref() {
            Err(_) | Ok("") => Self::from_env(),
            Ok("cloudflare") => Ok(Self::Cloudflare),
            Ok("spin") => Ok(Self::Spin),
            Ok(other) => bail!("EDGETUBE_E2E_PEER_PLATFORM={other:?}: expected cloudflare or spin"),
        }
    }

    fn script(self) -> &'static str {
        match self {
            Self::Cloudflare => "scripts/run-instance.sh",
            Self::Spin => "scripts/run-spin-instance.sh",
        }
    }
}

/// How long an instance may take to answer after `wrangler dev` starts.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running local instance.
pub struct Instance {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The loopback port.
    pub port: u16,
    state: PathBuf,
    // Keeps a temporary state folder alive for as long as the instance.
    _owned_state: Option<tempfile::TempDir>,
    child: Option<Child>,
    // What `scripts/run-instance.sh` was given, for `restart`.
    env: Vec<(String, String)>,
    /// The shell this instance runs.
    pub platform: Platform,
}

/// Polls `check` every 250 ms until it gives `Some`, for at most `limit`; the error names `what`
/// and the last error `check` gave.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    let mut last_error = String::new();
    while started.elapsed() < limit {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = format!("{e:#}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("{what}: not within {limit:?} {last_error}")
}

/// A free loopback port, as the OS hands them out.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Instance {
    /// Starts an instance with a fresh state folder on a free port.
    pub async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    /// Starts an instance with a fresh state folder on a free port, with extra environment for
    /// `scripts/run-instance.sh` (e.g. `EDGETUBE_API_RATE_LIMIT`).
    pub async fn start_with(env: &[(&str, &str)]) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("edgetube-e2e-").tempdir()?;
        let mut instance = Self::start_at_with(dir.path(), free_port()?, env).await?;
        instance._owned_state = Some(dir);
        Ok(instance)
    }

    /// Starts an instance on `port` over the state folder `state` (kept by the caller).
    pub async fn start_at(state: &Path, port: u16) -> Result<Self> {
        Self::start_at_with(state, port, &[]).await
    }

    /// Starts an instance of `platform`, whatever this run's platform is, with a fresh state
    /// folder on a free port (federation between a Worker and a Spin instance).
    pub async fn start_on(platform: Platform, env: &[(&str, &str)]) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("edgetube-e2e-").tempdir()?;
        let mut instance = Self::launch(platform, dir.path(), free_port()?, env).await?;
        instance._owned_state = Some(dir);
        Ok(instance)
    }

    async fn start_at_with(state: &Path, port: u16, env: &[(&str, &str)]) -> Result<Self> {
        Self::launch(Platform::from_env()?, state, port, env).await
    }

    async fn launch(platform: Platform, state: &Path, port: u16, env: &[(&str, &str)]) -> Result<Self> {
        std::fs::create_dir_all(state)?;
        let env: Vec<(String, String)> =
            env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let child = Self::spawn(platform, state, port, &env)?;
        let mut instance = Self {
            origin: format!("http://127.0.0.1:{port}"),
            port,
            state: state.to_path_buf(),
            _owned_state: None,
            child: Some(child),
            env,
            platform,
        };
        instance.wait_until_ready().await?;
        Ok(instance)
    }

    fn spawn(platform: Platform, state: &Path, port: u16, env: &[(String, String)]) -> Result<Child> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(state.join("wrangler.log"))?;
        Command::new(repo_root().join(platform.script()))
            .arg(port.to_string())
            .arg(state)
            .env("EDGETUBE_ADMIN_PASSWORD", "e2e-admin-password")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", platform.script()))
    }

    /// Starts a stopped instance again on the same port, state and settings (as after a
    /// deployment's outage).
    pub async fn restart(&mut self) -> Result<()> {
        self.stop();
        self.child = Some(Self::spawn(self.platform, &self.state, self.port, &self.env)?);
        self.wait_until_ready().await
    }

    async fn wait_until_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("the instance exited with {status} before answering; log:\n{}", self.log_tail());
                }
            }
            let answer = client.get(format!("{}/api/v1/config", self.origin)).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("the instance did not answer within {START_TIMEOUT:?}; log:\n{}", self.log_tail())
    }

    /// The last lines `wrangler dev` printed.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.state.join("wrangler.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The file with a line per request the instance answered (`POST /path 200 ...`):
    /// `wrangler dev`'s log for the Worker, the harness's `--request-log` for Spin.
    pub fn request_log(&self) -> PathBuf {
        match self.platform {
            Platform::Cloudflare => self.state.join("wrangler.log"),
            Platform::Spin => self.state.join("requests.log"),
        }
    }

    /// The state folder (D1, KV, R2 and `.dev.vars`).
    pub fn state_dir(&self) -> &Path {
        &self.state
    }

    /// The admin password this instance was given.
    pub fn admin_password(&self) -> Result<String> {
        let vars = std::fs::read_to_string(self.state.join(".dev.vars"))?;
        vars.lines()
            .find_map(|line| line.strip_prefix("ADMIN_PASSWORD="))
            .map(str::to_owned)
            .context("no ADMIN_PASSWORD in .dev.vars")
    }

    /// Every SQLite file of the instance's local D1 and Durable Objects, for tests that inspect
    /// what is stored.
    pub fn sqlite_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![self.state.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "sqlite" || e == "db") {
                    found.push(path);
                }
            }
        }
        found
    }

    /// Runs SQL against the instance's local D1 (through `wrangler d1 execute`), for seeding
    /// data that has no API yet.
    pub fn execute_sql(&self, sql: &str) -> Result<()> {
        if self.platform == Platform::Spin {
            // The Spin harness keeps the `default` database in this file.
            let conn = rusqlite::Connection::open(self.state.join("default.db"))?;
            conn.busy_timeout(Duration::from_secs(10))?;
            return conn.execute_batch(sql).context("executing SQL on the Spin database");
        }
        let file = self.state.join("seed.sql");
        std::fs::write(&file, sql)?;
        let root = repo_root();
        let wrangler = root.join("node_modules/.bin/wrangler");
        let config = root.join("wrangler.toml");
        let output = run_with_timeout(
            wrangler.to_str().context("path")?,
            &[
                "d1",
                "execute",
                "DB",
                "--local",
                "--persist-to",
                self.state.to_str().context("path")?,
                "--config",
                config.to_str().context("path")?,
                "--file",
                file.to_str().context("path")?,
                "--yes",
            ],
            Duration::from_secs(300),
        )?;
        if !output.status.success() {
            bail!(
                "wrangler d1 execute failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Inserts `count` published public videos into `channel` (a channel name), with tags and
    /// search rows, as the domain code writes them. Returns their UUIDs.
    pub fn seed_videos(&self, channel: &str, count: usize) -> Result<Vec<String>> {
        let mut sql = String::new();
        let mut uuids = Vec::with_capacity(count);
        for i in 0..count {
            let uuid = format!("00000000-0000-4000-8000-{:012x}", i + 1);
            let short = edgetube_domain::videos::short_uuid::short_uuid(&uuid).context("short uuid")?;
            let name = format!("Seeded video {i}");
            let created = 1_795_000_000_000_i64 + i as i64 * 1000;
            sql.push_str(&format!(
                "INSERT INTO videos (uuid, short_uuid, channel_id, name, description, category, licence, language, \
                 privacy, state, duration, views, published_at, created_at, updated_at, thumbnail_key, preview_key) \
                 SELECT '{uuid}', '{short}', id, '{name}', 'A seeded description for video {i}', {category}, 1, 'en', \
                 1, 1, {duration}, {views}, {created}, {created}, {created}, \
                 'videos/{uuid}/thumbnail.jpg', 'videos/{uuid}/preview.jpg' \
                 FROM actors WHERE host IS NULL AND username = '{channel}';\n\
                 INSERT INTO video_tags (video_id, tag, position) SELECT id, 'seed', 0 FROM videos WHERE uuid = '{uuid}';\n\
                 INSERT INTO videos_fts (rowid, name, description, tags) SELECT id, name, description, 'seed' FROM videos WHERE uuid = '{uuid}';\n",
                category = i % 18 + 1,
                duration = 10 + i % 600,
                views = (i * 7919) % 10_000,
            ));
            uuids.push(uuid);
        }
        self.execute_sql(&sql)?;
        Ok(uuids)
    }

    /// Fires the platform's scheduled housekeeping once: the Cron Trigger under `wrangler dev`
    /// (`/__scheduled`), the authenticated tick with `?housekeeping=1` on Spin. Both log
    /// `housekeeping: ...` in the instance's log.
    pub async fn run_scheduled(&self) -> Result<reqwest::Response> {
        let client = reqwest::Client::new();
        let request = match self.platform {
            Platform::Cloudflare => client.get(self.url("/__scheduled?cron=*/10+*+*+*+*")),
            Platform::Spin => {
                let vars = std::fs::read_to_string(self.state.join(".dev.vars"))?;
                let token = vars
                    .lines()
                    .find_map(|line| line.strip_prefix("TICK_TOKEN="))
                    .context("no TICK_TOKEN in .dev.vars")?;
                client.post(self.url("/_edgetube/tick?housekeeping=1")).bearer_auth(token)
            }
        };
        Ok(request.send().await?)
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Kills the instance's whole process group at once (SIGKILL: no shutdown, as in a crash or
    /// an evicted pod) and reaps it. [`Instance::restart`] starts it again.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        let _ = child.wait();
    }

    /// Freezes every process of the instance (SIGSTOP): connections to it are accepted by the
    /// kernel and never answered, as with a hung server.
    pub fn pause(&self) -> Result<()> {
        let child = self.child.as_ref().context("the instance is not running")?;
        killpg(Pid::from_raw(child.id() as i32), Signal::SIGSTOP).context("SIGSTOP")?;
        Ok(())
    }

    /// Stops the instance and waits for its process group to end.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let group = Pid::from_raw(child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        // A paused instance only acts on the SIGTERM once it runs again.
        let _ = killpg(group, Signal::SIGCONT);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // workerd children may outlive wrangler's own exit: end the whole group.
        let _ = killpg(group, Signal::SIGKILL);
        let _ = child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `program` with `args` from the repository root, failing after `timeout`.
pub fn run_with_timeout(program: &str, args: &[&str], timeout: Duration) -> Result<std::process::Output> {
    run_with_env(program, args, &[], timeout)
}

/// [`run_with_timeout`] with extra environment variables.
pub fn run_with_env(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    timeout: Duration,
) -> Result<std::process::Output> {
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    let started = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            return Ok(child.wait_with_output()?);
        }
        if started.elapsed() > timeout {
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
            bail!("{program} {args:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Instance {
    /// The transcoding job of video `uuid`, from the administrators' job list (`admin` is a
    /// moderator's token).
    pub async fn runner_job_of(&self, admin: &str, uuid: &str) -> Result<Option<serde_json::Value>> {
        let jobs: serde_json::Value = reqwest::Client::new()
            .get(self.url("/api/v1/runners/jobs?count=100"))
            .bearer_auth(admin)
            .send()
            .await?
            .json()
            .await?;
        Ok(jobs["data"].as_array().into_iter().flatten().find(|j| j["payload"]["videoUUID"] == uuid).cloned())
    }

    /// Uploads `file` through the legacy multipart upload as a public video in the first channel
    /// of the user `token` belongs to, waiting for transcoding before publication; its UUID.
    pub async fn upload_video(&self, token: &str, file: &Path, name: &str) -> Result<String> {
        let client = reqwest::Client::new();
        let me: serde_json::Value =
            client.get(self.url("/api/v1/users/me")).bearer_auth(token).send().await?.json().await?;
        let channel = me["videoChannels"][0]["id"].as_i64().context("the user has no channel")?;
        let file_name = file.file_name().and_then(|n| n.to_str()).unwrap_or("video.mp4").to_owned();
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_owned())
            .text("channelId", channel.to_string())
            .text("privacy", "1")
            .text("waitTranscoding", "true")
            .part("videofile", reqwest::multipart::Part::bytes(std::fs::read(file)?).file_name(file_name));
        let response =
            client.post(self.url("/api/v1/videos/upload")).bearer_auth(token).multipart(form).send().await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        ensure!(status.is_success(), "upload of {} answered {status}: {body}", file.display());
        body["video"]["uuid"].as_str().map(str::to_owned).context("the upload's answer has no uuid")
    }

    /// Waits (up to `limit`) until video `uuid` is published with its HLS files and its images,
    /// read with `token` when given; its details. On time-out the error carries `runner_log()`.
    pub async fn wait_published(
        &self,
        token: Option<&str>,
        uuid: &str,
        limit: Duration,
        runner_log: impl Fn() -> String,
    ) -> Result<serde_json::Value> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut details = serde_json::Value::Null;
        while started.elapsed() < limit {
            let mut request = client.get(self.url(&format!("/api/v1/videos/{uuid}")));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            details = request.send().await?.json().await?;
            let has_files =
                details["streamingPlaylists"][0]["files"].as_array().is_some_and(|f| !f.is_empty());
            // The images come with the job's completion, after the first rendition published it.
            if details["state"]["id"] == 1 && has_files && details["previewPath"].is_string() {
                return Ok(details);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("{uuid} was not published within {limit:?}: {details}\nrunner log:\n{}", runner_log())
    }

    /// The registration token the instance gives its local runner (`RUNNER_REGISTRATION_TOKEN`).
    pub fn runner_registration_token(&self) -> Result<String> {
        let vars = std::fs::read_to_string(self.state.join(".dev.vars"))?;
        vars.lines()
            .find_map(|line| line.strip_prefix("RUNNER_REGISTRATION_TOKEN="))
            .map(str::to_owned)
            .context("no RUNNER_REGISTRATION_TOKEN in .dev.vars")
    }

    /// An access token for `username`, through PeerTube's password grant.
    pub async fn login(&self, username: &str, password: &str) -> Result<String> {
        let client = reqwest::Client::new();
        let local: serde_json::Value = client
            .get(self.url("/api/v1/oauth-clients/local"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let form = [
            ("client_id", local["client_id"].as_str().unwrap_or_default()),
            ("client_secret", local["client_secret"].as_str().unwrap_or_default()),
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ];
        let tokens: serde_json::Value = client
            .post(self.url("/api/v1/users/token"))
            .form(&form)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        tokens["access_token"].as_str().map(str::to_owned).context("no access_token")
    }
}

/// A `transcode-runner run` process against an instance, in its own process group, killed by
/// PID when dropped.
pub struct RunnerProcess {
    child: Option<Child>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// The dev build of `transcode-runner`, which the workspace's test build makes (its integration
/// tests need the binary). Its dependencies are optimised in the dev profile, so it hashes
/// segments at full speed, and building it costs no second, release-profile build of its
/// dependency tree (an LTO'd, single-codegen-unit build: minutes of a CI run).
pub fn runner_binary() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
    target.join("debug/transcode-runner")
}

impl RunnerProcess {
    /// Starts a runner registered with `instance`'s local registration token.
    pub fn start(instance: &Instance, name: &str, extra: &[&str]) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("edgetube-runner-").tempdir()?;
        let log = dir.path().join("runner.log");
        let file = std::fs::File::create(&log)?;
        let child = Command::new(runner_binary())
            .args(["run", "--url", &instance.origin, "--name", name])
            .arg("--registration-token")
            .arg(instance.runner_registration_token()?)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--work-dir")
            .arg(dir.path().join("work"))
            .args(extra)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", runner_binary().display()))?;
        Ok(Self { child: Some(child), log, _dir: dir })
    }

    /// What the runner logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the runner's process group without warning (SIGKILL): a crash.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        let _ = child.wait();
    }
}

impl Drop for RunnerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How long the Fedify peer may take to answer after `node` starts (it makes RSA keys first).
const PEER_START_TIMEOUT: Duration = Duration::from_secs(90);

/// The Fedify peer of `tests/fedify-peer/peer.mjs` (Node, `@fedify/fedify` from the root
/// `package.json`), listening over plain HTTP on loopback, in its own process group, stopped by
/// that PID when dropped. Its control API (`/control/...`) is described atop the script.
pub struct FedifyPeer {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The loopback port (also on [`FedifyPeer::also_listen`] when given).
    pub port: u16,
    /// A second loopback address the same peer answers on, as another server.
    pub also_listen: Option<String>,
    child: Option<Child>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl FedifyPeer {
    /// Starts the peer on a free port of 127.0.0.1 (and of `also_listen`, a loopback address,
    /// when given), and waits until its control API answers.
    pub async fn start(also_listen: Option<&str>) -> Result<Self> {
        if let Some(address) = also_listen {
            anyhow::ensure!(address.starts_with("127."), "{address} is not a loopback address");
        }
        let dir = tempfile::Builder::new().prefix("edgetube-fedify-peer-").tempdir()?;
        let log = dir.path().join("peer.log");
        let file = std::fs::File::create(&log)?;
        let port = free_port()?;
        let mut command = Command::new("node");
        command
            .arg(repo_root().join("tests/fedify-peer/peer.mjs"))
            .args(["--port", &port.to_string()])
            .arg("--log")
            .arg(dir.path().join("received.jsonl"));
        if let Some(address) = also_listen {
            command.args(["--also-listen", address]);
        }
        let child = command
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .process_group(0)
            .spawn()
            .context("starting node tests/fedify-peer/peer.mjs (is Node 20 on PATH?)")?;
        let mut peer = Self {
            origin: format!("http://127.0.0.1:{port}"),
            port,
            also_listen: also_listen.map(str::to_owned),
            child: Some(child),
            log,
            _dir: dir,
        };
        peer.wait_until_ready().await?;
        Ok(peer)
    }

    async fn wait_until_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let started = Instant::now();
        while started.elapsed() < PEER_START_TIMEOUT {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("the Fedify peer exited with {status} before answering; log:\n{}", self.log());
                }
            }
            let answer = client.get(self.url("/control/health")).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        bail!("the Fedify peer did not answer within {PEER_START_TIMEOUT:?}; log:\n{}", self.log())
    }

    /// The absolute URL of `path` on 127.0.0.1.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// The peer's origin as seen at `address` (its ids follow the Host it is reached at).
    pub fn origin_at(&self, address: &str) -> String {
        format!("http://{address}:{}", self.port)
    }

    /// What the peer printed: one JSON line per inbox POST, and its errors.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the peer's process group.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let group = Pid::from_raw(child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        // A paused instance only acts on the SIGTERM once it runs again.
        let _ = killpg(group, Signal::SIGCONT);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = child.wait();
    }
}

impl Drop for FedifyPeer {
    fn drop(&mut self) {
        self.stop();
    }
}
