//! Runners that exist only while there is work: the fleet object starts transcoding runners
//! when jobs wait, up to `RUNNER_MAX_INSTANCES`, and each runner stops itself after
//! `RUNNER_IDLE_SECONDS` without a job (`transcode-runner run --exit-when-idle`).
//!
//! The core sends the backlog with its runner hint (`RunnerSignal::jobs_pending`, here through
//! [`crate::runner_wake::DurableRunnerSignal`]); [`RunnerFleetObject`], one per instance, asks
//! which slots are alive, lets `edgetube_media::runner_fleet::slots_to_start` name the slots to
//! start, and starts them through one of two drivers:
//!
//! - **Cloudflare Containers** (deployed): slot `n` is the container of the
//!   [`RunnerContainerObject`] named `slot-n` (`[[containers]]` in `wrangler.toml`, the image of
//!   `transcode-runner/Dockerfile`), started with the runner's settings in its environment;
//! - **a local launcher** (`make dev`, the end-to-end tests, where wrangler dev would need
//!   Docker): with `RUNNER_LAUNCHER_URL` set, the same decisions go over loopback HTTP to
//!   `transcode-runner launcher`, which starts processes (its API: transcode-runner/src/launcher.rs).
//!
//! Starting an alive slot is a no-op for both, so hints racing each other never exceed the
//! maximum. A failed start is logged; the housekeeping repeats the hint while jobs wait.

use edgetube_media::runner_fleet::slots_to_start;
use edgetube_ports::Backlog;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use worker::{
    console_error, console_log, durable_object, DurableObject, Env, Fetch, Method, ObjectNamespace, Request,
    RequestInit, Response, State,
};

use crate::bindings;

/// The one fleet object of an instance: one place decides, so slots are counted once.
const FLEET: &str = "fleet";

/// Idle time of a runner on demand when `RUNNER_IDLE_SECONDS` is not set.
const DEFAULT_IDLE_SECONDS: u64 = 60;

/// The fleet's settings from the Worker's variables.
#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// `RUNNER_MAX_INSTANCES`; 0 (or unset) turns runners on demand off.
    pub max: u32,
    /// `RUNNER_IDLE_SECONDS`.
    pub idle_seconds: u64,
    /// `RUNNER_LAUNCHER_URL`: a local launcher instead of containers.
    pub launcher: Option<String>,
}

impl FleetSettings {
    pub fn from_env(env: &Env) -> Self {
        let read = |name: &str| {
            let value = env.var(name).ok()?.to_string();
            (!value.trim().is_empty()).then(|| value.trim().to_owned())
        };
        let max = read("RUNNER_MAX_INSTANCES").and_then(|v| v.parse().ok()).unwrap_or(0);
        let idle_seconds =
            read("RUNNER_IDLE_SECONDS").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_IDLE_SECONDS);
        let launcher = read("RUNNER_LAUNCHER_URL").map(|url| url.trim_end_matches('/').to_owned());
        Self { max, idle_seconds, launcher }
    }

    pub fn enabled(&self) -> bool {
        self.max > 0
    }
}

/// Sends a backlog to the fleet object; its error says why no runner was started.
pub async fn demand(namespace: &ObjectNamespace, backlog: Backlog) -> Result<String, String> {
    let stub = namespace.get_by_name(FLEET).map_err(|e| e.to_string())?;
    let body = serde_json::to_string(&Demand { pending: backlog.pending, processing: backlog.processing })
        .map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://runner-fleet/demand", &init).map_err(|e| e.to_string())?;
    let mut response = stub.fetch_with_request(request).await.map_err(|e| e.to_string())?;
    let text = response.text().await.unwrap_or_default();
    match response.status_code() {
        200..=299 => Ok(text),
        status => Err(format!("the fleet answered {status}: {text}")),
    }
}

#[derive(Serialize, Deserialize)]
struct Demand {
    pending: u64,
    processing: u64,
}

#[derive(Serialize)]
struct Decided {
    alive: Vec<u32>,
    started: Vec<u32>,
    failed: Vec<String>,
}

/// Where slots live: a launcher's processes, or containers.
enum Driver {
    Launcher(String),
    Containers(ObjectNamespace),
}

impl Driver {
    fn new(env: &Env, settings: &FleetSettings) -> worker::Result<Self> {
        Ok(match &settings.launcher {
            Some(url) => Driver::Launcher(url.clone()),
            None => Driver::Containers(env.durable_object(bindings::RUNNER_CONTAINER)?),
        })
    }

    /// The slots alive now.
    async fn alive(&self, max: u32) -> Result<Vec<u32>, String> {
        match self {
            Driver::Launcher(url) => {
                #[derive(Deserialize)]
                struct Slots {
                    alive: Vec<u32>,
                }
                let mut response =
                    Fetch::Url(parse(&format!("{url}/slots"))?).send().await.map_err(|e| e.to_string())?;
                if response.status_code() != 200 {
                    return Err(format!("the launcher answered {} to GET /slots", response.status_code()));
                }
                let slots: Slots = response.json().await.map_err(|e| e.to_string())?;
                Ok(slots.alive)
            }
            Driver::Containers(namespace) => {
                let mut alive = Vec::new();
                for slot in 0..max {
                    let mut response = slot_call(namespace, slot, "status", Method::Get, None).await?;
                    let status: ContainerStatus = response.json().await.map_err(|e| e.to_string())?;
                    if status.running {
                        alive.push(slot);
                    }
                }
                Ok(alive)
            }
        }
    }

    async fn start(&self, slot: u32, settings: &FleetSettings, env: &Env) -> Result<(), String> {
        match self {
            Driver::Launcher(url) => {
                let mut init = RequestInit::new();
                init.with_method(Method::Post);
                let request = Request::new_with_init(&format!("{url}/slots/{slot}/start"), &init)
                    .map_err(|e| e.to_string())?;
                let mut response = Fetch::Request(request).send().await.map_err(|e| e.to_string())?;
                match response.status_code() {
                    200..=299 => Ok(()),
                    status => Err(format!(
                        "the launcher answered {status}: {}",
                        response.text().await.unwrap_or_default()
                    )),
                }
            }
            Driver::Containers(namespace) => {
                let origin = env.var("PUBLIC_ORIGIN").map_err(|e| e.to_string())?.to_string();
                let token = env
                    .secret("RUNNER_REGISTRATION_TOKEN")
                    .or_else(|_| env.var("RUNNER_REGISTRATION_TOKEN"))
                    .map_err(|_| {
                        "RUNNER_REGISTRATION_TOKEN is not set: containers cannot register".to_owned()
                    })?
                    .to_string();
                let start = ContainerStart {
                    url: origin,
                    registration_token: token,
                    name: format!("container-slot-{slot}"),
                    exit_when_idle: settings.idle_seconds,
                };
                let body = serde_json::to_string(&start).map_err(|e| e.to_string())?;
                slot_call(namespace, slot, "start", Method::Post, Some(body)).await.map(|_| ())
            }
        }
    }
}

fn parse(url: &str) -> Result<worker::Url, String> {
    worker::Url::parse(url).map_err(|e| format!("RUNNER_LAUNCHER_URL: {e}"))
}

async fn slot_call(
    namespace: &ObjectNamespace,
    slot: u32,
    path: &str,
    method: Method,
    body: Option<String>,
) -> Result<Response, String> {
    let stub = namespace.get_by_name(&format!("slot-{slot}")).map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(method).with_body(body.map(|b| JsValue::from_str(&b)));
    let request = Request::new_with_init(&format!("https://runner-container/{path}"), &init)
        .map_err(|e| e.to_string())?;
    let mut response = stub.fetch_with_request(request).await.map_err(|e| e.to_string())?;
    match response.status_code() {
        200..=299 => Ok(response),
        status => {
            Err(format!("slot {slot} answered {status}: {}", response.text().await.unwrap_or_default()))
        }
    }
}

/// Decides and starts. It keeps nothing: each hint asks the driver what is alive.
#[durable_object]
pub struct RunnerFleetObject {
    env: Env,
}

impl DurableObject for RunnerFleetObject {
    fn new(_state: State, env: Env) -> Self {
        Self { env }
    }

    /// `POST /demand` with `{"pending", "processing"}`: starts the slots the backlog needs.
    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if req.path() != "/demand" || req.method() != Method::Post {
            return Response::error("not found", 404);
        }
        let demand: Demand = match req.json().await {
            Ok(demand) => demand,
            Err(e) => return Response::error(format!("bad demand: {e}"), 400),
        };
        let settings = FleetSettings::from_env(&self.env);
        let driver = Driver::new(&self.env, &settings)?;
        let alive = match driver.alive(settings.max).await {
            Ok(alive) => alive,
            Err(e) => {
                console_error!("runner fleet: cannot tell which runners are alive: {e}");
                return Response::error(format!("cannot tell which runners are alive: {e}"), 503);
            }
        };
        let backlog = Backlog { pending: demand.pending, processing: demand.processing };
        let mut decided = Decided { alive: alive.clone(), started: Vec::new(), failed: Vec::new() };
        for slot in slots_to_start(backlog, settings.max, &alive) {
            match driver.start(slot, &settings, &self.env).await {
                Ok(()) => {
                    console_log!(
                        "runner fleet: started slot {slot} for {} pending and {} processing jobs",
                        backlog.pending,
                        backlog.processing
                    );
                    decided.started.push(slot);
                }
                Err(e) => {
                    console_error!("runner fleet: cannot start slot {slot}: {e}");
                    decided.failed.push(format!("slot {slot}: {e}"));
                }
            }
        }
        Response::from_json(&decided)
    }
}

#[derive(Serialize, Deserialize)]
struct ContainerStatus {
    running: bool,
}

/// What a slot's container is started with (its environment; `transcode-runner run` reads it).
#[derive(Serialize, Deserialize)]
struct ContainerStart {
    url: String,
    registration_token: String,
    name: String,
    exit_when_idle: u64,
}

/// One runner slot: the Durable Object that owns slot `n`'s container (`[[containers]]`
/// `class_name`). `/status` says whether it runs; `/start` starts it unless it does.
#[durable_object]
pub struct RunnerContainerObject {
    state: State,
}

impl DurableObject for RunnerContainerObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let Some(container) = self.state.container() else {
            return Response::error(
                "no container here: this object has none bound ([[containers]] missing, or wrangler dev \
                 without Docker; set RUNNER_LAUNCHER_URL to use a local launcher)",
                503,
            );
        };
        match req.path().as_str() {
            "/status" => Response::from_json(&ContainerStatus { running: container.running() }),
            "/start" => {
                if container.running() {
                    return Response::from_json(&ContainerStatus { running: true });
                }
                let start: ContainerStart = req.json().await?;
                start_container(&container, &start)?;
                Response::from_json(&ContainerStatus { running: true })
            }
            _ => Response::error("not found", 404),
        }
    }
}

/// `ctx.container.start({ env, enableInternet })`, the options object built by hand: the
/// image's entry point (`transcode-runner run`) is kept, and the runner reads its settings from
/// the environment. Hand-built because worker 0.8.7's `ContainerStartupOptions` conversion drops
/// the very fields it was given (`From<ContainerStartupOptions> for Object` deletes each one set).
fn start_container(container: &worker::Container, start: &ContainerStart) -> worker::Result<()> {
    let env = js_sys::Object::new();
    let set = |target: &js_sys::Object, key: &str, value: &JsValue| {
        js_sys::Reflect::set(target, &JsValue::from_str(key), value).map(|_| ())
    };
    let vars = [
        ("EDGETUBE_URL", start.url.clone()),
        ("EDGETUBE_RUNNER_REGISTRATION_TOKEN", start.registration_token.clone()),
        ("EDGETUBE_RUNNER_NAME", start.name.clone()),
        ("EDGETUBE_RUNNER_EXIT_WHEN_IDLE", start.exit_when_idle.to_string()),
    ];
    for (key, value) in vars {
        set(&env, key, &JsValue::from_str(&value))?;
    }
    let options = js_sys::Object::new();
    set(&options, "env", &env)?;
    // The runner reaches the instance's public origin (and R2's S3 endpoint for presigned URLs).
    set(&options, "enableInternet", &JsValue::TRUE)?;
    let target: &JsValue = container.as_ref();
    let start_fn: js_sys::Function = js_sys::Reflect::get(target, &JsValue::from_str("start"))?.dyn_into()?;
    start_fn.call1(target, &options)?;
    Ok(())
}
