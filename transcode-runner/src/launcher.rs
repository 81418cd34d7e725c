//! `transcode-runner launcher`: runners that exist only while there is work, on one machine.
//!
//! The instance's fleet object (functions/cloudflare `runner_fleet.rs`) decides which runner
//! slots should be alive (`edgetube_media::runner_fleet`) and, where it cannot start Cloudflare
//! Containers (`make dev`, the end-to-end tests: wrangler dev needs Docker for them), asks this
//! launcher over loopback HTTP instead:
//!
//! - `GET /slots`: `{"max": 2, "alive": [0], "launched": [{"slot", "pid", "startedAtMs",
//!   "exitedAtMs", "exitCode"}]}`, every process started since the launcher started;
//! - `POST /slots/{n}/start`: starts `transcode-runner run --exit-when-idle <secs>` in slot `n`
//!   (`{"slot", "pid", "started": true}`), or does nothing if it is alive (`"started": false`);
//!   a slot at or beyond the maximum is refused (409).
//!
//! Each slot keeps its own state directory, so a slot started again is the same registered
//! runner. It listens on loopback only: anyone who can reach it can start processes.
//! On SIGTERM or SIGINT it passes SIGTERM to its runners (each aborts its job on the instance)
//! and waits for them.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

/// What the launcher starts.
#[derive(Debug, Clone)]
pub struct LauncherConfig {
    /// Loopback address to listen on.
    pub listen: SocketAddr,
    /// Slots `0..max`.
    pub max: u32,
    /// The `transcode-runner` executable.
    pub program: PathBuf,
    /// Arguments of every runner (`run --url … --exit-when-idle …`); the slot's `--name` and
    /// `--state-dir` are appended.
    pub run_args: Vec<OsString>,
    /// Slot `n` keeps its runner token in `<state_root>/slot-<n>`.
    pub state_root: PathBuf,
    /// Runner names are `<name_prefix>-slot-<n>`.
    pub name_prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    #[error("the launcher listens on loopback only, not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the launcher's server failed")]
    Serve(#[source] std::io::Error),
}

/// One runner process started by the launcher.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Launch {
    pub slot: u32,
    pub pid: u32,
    pub started_at_ms: u64,
    pub exited_at_ms: Option<u64>,
    pub exit_code: Option<i32>,
}

#[derive(Debug, Default)]
struct Slots {
    /// Slot → index in `launched` of its live process.
    alive: BTreeMap<u32, usize>,
    launched: Vec<Launch>,
}

#[derive(Clone)]
struct Shared {
    config: Arc<LauncherConfig>,
    slots: Arc<Mutex<Slots>>,
}

impl Shared {
    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        // A panic while holding the lock leaves consistent data (each update is one assignment).
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Serves until `shutdown` completes, then stops the runners (SIGTERM, up to `grace`).
pub async fn serve(
    config: LauncherConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), LauncherError> {
    if !config.listen.ip().is_loopback() {
        return Err(LauncherError::NotLoopback(config.listen));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| LauncherError::Listen { addr: config.listen, source })?;
    let shared = Shared { config: Arc::new(config), slots: Arc::default() };
    let app = Router::new()
        .route("/slots", get(list))
        .route("/slots/{slot}/start", post(start))
        .with_state(shared.clone());
    tracing::info!(
        listen = %shared.config.listen,
        max = shared.config.max,
        "launcher ready: runners are started when the instance has jobs"
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(LauncherError::Serve)?;
    stop_runners(&shared, grace).await;
    Ok(())
}

async fn list(State(shared): State<Shared>) -> Response {
    let slots = shared.slots();
    json(
        StatusCode::OK,
        &serde_json::json!({
            "max": shared.config.max,
            "alive": slots.alive.keys().collect::<Vec<_>>(),
            "launched": slots.launched,
        }),
    )
}

async fn start(State(shared): State<Shared>, Path(slot): Path<u32>) -> Response {
    if slot >= shared.config.max {
        let detail = format!("slot {slot} is beyond the maximum of {} runners", shared.config.max);
        return json(StatusCode::CONFLICT, &serde_json::json!({ "detail": detail }));
    }
    // Held across the spawn, so two requests for one slot start one process.
    let mut slots = shared.slots();
    if let Some(&index) = slots.alive.get(&slot) {
        let pid = slots.launched[index].pid;
        return json(StatusCode::OK, &serde_json::json!({ "slot": slot, "pid": pid, "started": false }));
    }
    let config = &shared.config;
    let state_dir = config.state_root.join(format!("slot-{slot}"));
    let mut command = tokio::process::Command::new(&config.program);
    command
        .args(&config.run_args)
        .arg("--name")
        .arg(format!("{}-slot-{slot}", config.name_prefix))
        .arg("--state-dir")
        .arg(&state_dir)
        .stdin(std::process::Stdio::null());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            tracing::error!(slot, error = %e, "cannot start a runner");
            let detail = format!("cannot start {}: {e}", config.program.display());
            return json(StatusCode::INTERNAL_SERVER_ERROR, &serde_json::json!({ "detail": detail }));
        }
    };
    let pid = child.id().unwrap_or_default();
    let index = slots.launched.len();
    slots.launched.push(Launch { slot, pid, started_at_ms: now_ms(), exited_at_ms: None, exit_code: None });
    slots.alive.insert(slot, index);
    drop(slots);
    tracing::info!(slot, pid, "runner started");
    let reaper = shared.clone();
    tokio::spawn(async move {
        let status = child.wait().await;
        let code = status.as_ref().ok().and_then(std::process::ExitStatus::code);
        tracing::info!(slot, pid, exit_code = ?code, "runner exited");
        let mut slots = reaper.slots();
        slots.launched[index].exited_at_ms = Some(now_ms());
        slots.launched[index].exit_code = code;
        if slots.alive.get(&slot) == Some(&index) {
            slots.alive.remove(&slot);
        }
    });
    json(StatusCode::OK, &serde_json::json!({ "slot": slot, "pid": pid, "started": true }))
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// SIGTERM to every live runner, then waits (bounded) for the reaper to see them go.
async fn stop_runners(shared: &Shared, grace: Duration) {
    let pids: Vec<u32> = {
        let slots = shared.slots();
        slots.alive.values().map(|&i| slots.launched[i].pid).collect()
    };
    for pid in &pids {
        let Ok(pid) = i32::try_from(*pid) else { continue };
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + grace;
    while !shared.slots().alive.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left = shared.slots().alive.len();
    if left > 0 {
        tracing::warn!(left, "runners still running after the grace period");
    }
}
