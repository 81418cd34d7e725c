//! A small in-process instance on 127.0.0.1 that speaks the runner protocol (PROTOCOL.md):
//! registration, one job, ranged input download, chunked uploads with 308/201/409, and job
//! calls, with injectable faults (cut bodies, 5xx, lost answers, a job given away).
//!
//! It keeps just enough state to be strict where the runner could go wrong: chunks must come in
//! order, tokens must match, and a job that is no longer processing answers 409.
//!
//! The wait route (`GET /api/v1/runners/jobs/wait`) is absent (404, as on older instances)
//! unless a test sets [`World::wait`]: then it refuses with a status or opens a WebSocket that
//! says `available-jobs` on [`FakeInstance::signal`], answers `ping`s and can be dropped.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::broadcast;

pub const REGISTRATION_TOKEN: &str = "ptrrt-test-registration";
pub const JOB_UUID: &str = "0b8f0a53-5a7e-4d2c-9d0e-job000000001";
pub const VIDEO_UUID: &str = "73bad3ec-0474-4742-af5f-639d9e808e09";

/// What to break, counted in requests of each kind (0 = the first).
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Download requests whose body is cut after this many bytes.
    pub download_cut_after: BTreeMap<usize, usize>,
    /// Download requests answered 500.
    pub download_500: HashSet<usize>,
    /// Chunk PUTs stored but answered 500: the runner cannot know it was stored.
    pub upload_store_then_500: HashSet<usize>,
    /// Chunk PUTs answered 500 without storing.
    pub upload_500: HashSet<usize>,
    /// Chunk PUTs before which the instance forgets the file's last stored byte, so the chunk
    /// arrives out of order (409) and the runner must ask where to resume.
    pub upload_forget_before: HashSet<usize>,
    /// Job calls and transfers answer 409 once this many `update`s were received.
    pub gone_after_updates: Option<usize>,
    /// Job calls and transfers answer 409 once an `update` carried the video facts.
    pub gone_after_video_facts: bool,
    /// `request` answers 401 to these runner tokens.
    pub unknown_tokens: HashSet<String>,
}

/// What `GET /api/v1/runners/jobs/wait` does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WaitRoute {
    /// No such route: 404, as an instance from before it.
    #[default]
    Absent,
    /// Refused with this status (426, 501, 503, ...) after the token check.
    Refuse(u16),
    /// Opens the socket.
    Socket,
}

/// What the fake tells its open sockets.
#[derive(Debug, Clone, Copy)]
enum SocketCommand {
    Signal,
    Drop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Processing { job_token: String },
    Completed,
    Errored,
}

/// Everything the fake saw and holds; tests read it through [`FakeInstance::world`].
#[derive(Debug, Default)]
pub struct World {
    pub input: Vec<u8>,
    pub job_payload: Option<Value>,
    pub job_state: Option<JobState>,
    pub job_tokens_issued: usize,
    pub faults: Faults,
    pub registrations: Vec<Value>,
    pub runner_tokens: Vec<String>,
    /// `(first, last)` asked by each download request.
    pub download_ranges: Vec<(u64, u64)>,
    /// The `Content-Range` of every upload PUT, in order.
    pub upload_ranges: Vec<String>,
    /// Stored bytes by `<kind>/<name>`, and which are complete.
    pub stored: BTreeMap<String, Vec<u8>>,
    pub complete: HashSet<String>,
    pub updates: Vec<Value>,
    pub success: Option<Value>,
    pub errors: Vec<String>,
    pub aborts: Vec<String>,
    /// Where `upload-url` points (a fake bucket's origin); `None` answers 501, as an instance
    /// without R2 credentials does.
    pub presign_bucket: Option<String>,
    /// How many `upload-url` answers carry the signature `expired` before good ones.
    pub presign_expired_first: usize,
    /// The bodies of `upload-url` calls.
    pub upload_url_requests: Vec<Value>,
    /// Whether `accept` tells the runner that presigned uploads are available.
    pub offer_presigned: bool,
    /// See [`WaitRoute`].
    pub wait: WaitRoute,
    /// Whether open sockets answer `ping` with `pong`.
    pub answer_pings: bool,
    /// Wait requests received (any answer), sockets opened, `ping`s received.
    pub wait_requests: usize,
    pub sockets_opened: usize,
    pub pings: usize,
    /// `jobs/request` calls received, and when the job was accepted.
    pub job_requests: usize,
    /// `jobs/request`s that asked to be held (`?waitSeconds=`), with the seconds asked.
    pub held_requests: Vec<u64>,
    pub accepted_at: Option<std::time::Instant>,
    download_requests: usize,
    chunk_puts: usize,
}

impl World {
    fn job_is_gone(&self) -> bool {
        self.faults.gone_after_updates.is_some_and(|n| self.updates.len() >= n)
            || (self.faults.gone_after_video_facts && self.updates.iter().any(|u| u.get("video").is_some()))
    }

    fn job_token_ok(&self, token: Option<&str>) -> bool {
        matches!(&self.job_state, Some(JobState::Processing { job_token }) if Some(job_token.as_str()) == token)
            && !self.job_is_gone()
    }

    fn runner_ok(&self, token: Option<&str>) -> bool {
        token.is_some_and(|t| self.runner_tokens.iter().any(|known| known == t))
    }
}

#[derive(Clone)]
struct Shared(Arc<Mutex<World>>, broadcast::Sender<SocketCommand>);

pub struct FakeInstance {
    pub addr: SocketAddr,
    world: Arc<Mutex<World>>,
    sockets: broadcast::Sender<SocketCommand>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeInstance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeInstance {
    /// Starts an instance with no job.
    pub async fn start() -> FakeInstance {
        let world = Arc::new(Mutex::new(World { answer_pings: true, ..World::default() }));
        let (sockets, _) = broadcast::channel(16);
        let app = Router::new()
            .route("/api/v1/runners/jobs/wait", axum::routing::get(wait))
            .fallback(handle)
            .with_state(Shared(world.clone(), sockets.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds to loopback");
        let addr = listener.local_addr().expect("has an address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serves");
        });
        FakeInstance { addr, world, sockets, server }
    }

    /// Says `available-jobs` on every open wait socket.
    pub fn signal(&self) {
        let _ = self.sockets.send(SocketCommand::Signal);
    }

    /// Closes every open wait socket, as an instance restart would.
    pub fn drop_sockets(&self) {
        let _ = self.sockets.send(SocketCommand::Drop);
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().expect("world lock")
    }

    /// Adds the one pending `vod-hls-ladder` job, whose input is `input`.
    pub fn add_job(&self, input: Vec<u8>, resolutions: &[u32], transcode_original_resolution: bool) {
        let origin = self.origin();
        let mut world = self.world();
        world.job_payload = Some(json!({
            "videoUUID": VIDEO_UUID,
            "input": {
                "videoFileUrl": format!("{origin}/api/v1/runners/jobs/{JOB_UUID}/files/videos/{VIDEO_UUID}/max-quality"),
                "size": input.len(),
            },
            "output": {
                "resolutions": resolutions,
                "transcodeOriginalResolution": transcode_original_resolution,
                "fpsMax": 60,
                "uploadUrl": format!("{origin}/api/v1/runners/jobs/{JOB_UUID}/files/upload"),
            }
        }));
        world.input = input;
        world.job_state = Some(JobState::Pending);
    }

    /// Makes the job processing for a runner, as `accept` would, and returns
    /// `(runner token, job token)` for calling the transfer functions directly.
    pub fn processing_job(&self, input: Vec<u8>) -> (String, String) {
        self.add_job(input, &[240], false);
        let mut world = self.world();
        world.runner_tokens.push("ptrt-direct".into());
        world.job_state = Some(JobState::Processing { job_token: "job-token-direct".into() });
        ("ptrt-direct".into(), "job-token-direct".into())
    }

    pub fn download_url(&self) -> String {
        format!("{}/api/v1/runners/jobs/{JOB_UUID}/files/videos/{VIDEO_UUID}/max-quality", self.origin())
    }

    pub fn upload_url(&self, kind: &str, name: &str) -> String {
        format!("{}/api/v1/runners/jobs/{JOB_UUID}/files/upload/{kind}/{name}", self.origin())
    }
}

async fn wait(
    State(Shared(world, sockets)): State<Shared>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    {
        let mut world = world.lock().expect("world lock");
        world.wait_requests += 1;
        let token = headers.get("x-runner-token").and_then(|v| v.to_str().ok());
        match world.wait {
            WaitRoute::Absent => return problem(StatusCode::NOT_FOUND, "no such route"),
            _ if !world.runner_ok(token) => return problem(StatusCode::UNAUTHORIZED, "Unknown runner token"),
            WaitRoute::Refuse(status) => {
                return problem(StatusCode::from_u16(status).expect("status"), "refused by the test")
            }
            WaitRoute::Socket => {}
        }
    }
    let Ok(upgrade) = upgrade else { return problem(StatusCode::UPGRADE_REQUIRED, "not a WebSocket") };
    let commands = sockets.subscribe();
    upgrade.on_upgrade(move |socket| serve_socket(world, socket, commands)).into_response()
}

/// One wait socket: `pong` for `ping`, `available-jobs` on a signal, closed on a drop.
async fn serve_socket(
    world: Arc<Mutex<World>>,
    mut socket: WebSocket,
    mut commands: broadcast::Receiver<SocketCommand>,
) {
    world.lock().expect("world lock").sockets_opened += 1;
    // Ends when the runner or the test closes the socket, or the server stops.
    loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) if text.as_str() == "ping" => {
                    let answer = {
                        let mut world = world.lock().expect("world lock");
                        world.pings += 1;
                        world.answer_pings
                    };
                    if answer && socket.send(Message::Text("pong".into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            command = commands.recv() => match command {
                Ok(SocketCommand::Signal) => {
                    if socket.send(Message::Text("available-jobs".into())).await.is_err() {
                        return;
                    }
                }
                Ok(SocketCommand::Drop) | Err(broadcast::error::RecvError::Closed) => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
            },
        }
    }
}

async fn handle(State(Shared(world, _)): State<Shared>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let mut world = world.lock().expect("world lock");
    route(&mut world, &parts.method, &parts.uri, &parts.headers, body)
}

fn route(world: &mut World, method: &Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Response {
    let path = uri.path();
    let json_body = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let job_prefix = format!("/api/v1/runners/jobs/{JOB_UUID}/");
    match (method.as_str(), path) {
        ("POST", "/api/v1/runners/register") => register(world, json_body()),
        ("POST", "/api/v1/runners/jobs/request") => {
            // This fake answers at once, as PeerTube does; it only records the long poll asked.
            let hold: Option<u64> =
                uri.query().and_then(|q| q.strip_prefix("waitSeconds=")).and_then(|s| s.parse().ok());
            world.held_requests.extend(hold);
            request_jobs(world, json_body())
        }
        ("POST", p) if p.starts_with(&job_prefix) && p.contains("/files/videos/") => {
            download(world, headers, json_body())
        }
        ("PUT", p) if p.starts_with(&format!("{job_prefix}files/upload/")) => {
            let key = p[job_prefix.len() + "files/upload/".len()..].to_owned();
            upload(world, headers, key, body)
        }
        ("POST", p) if p == format!("{job_prefix}files/upload-url") => upload_url(world, json_body()),
        ("POST", p) if p.starts_with(&job_prefix) => job_call(world, &p[job_prefix.len()..], json_body()),
        _ => problem(StatusCode::NOT_FOUND, "no such route"),
    }
}

fn register(world: &mut World, body: Value) -> Response {
    if body["registrationToken"] != REGISTRATION_TOKEN {
        return problem(StatusCode::BAD_REQUEST, "unknown registration token");
    }
    world.registrations.push(body);
    let token = format!("ptrt-{}", world.registrations.len());
    world.runner_tokens.push(token.clone());
    json_response(StatusCode::OK, json!({"id": world.registrations.len(), "runnerToken": token}))
}

fn request_jobs(world: &mut World, body: Value) -> Response {
    world.job_requests += 1;
    let token = body["runnerToken"].as_str();
    if !world.runner_ok(token) || token.is_some_and(|t| world.faults.unknown_tokens.contains(t)) {
        return problem(StatusCode::UNAUTHORIZED, "unknown runner token");
    }
    let jobs = match (&world.job_state, &world.job_payload) {
        (Some(JobState::Pending), Some(payload)) => {
            vec![json!({"uuid": JOB_UUID, "type": "vod-hls-ladder", "payload": payload})]
        }
        _ => vec![],
    };
    json_response(StatusCode::OK, json!({"availableJobs": jobs}))
}

fn job_call(world: &mut World, call: &str, body: Value) -> Response {
    if !world.runner_ok(body["runnerToken"].as_str()) {
        return problem(StatusCode::UNAUTHORIZED, "unknown runner token");
    }
    if call == "accept" {
        if world.job_state != Some(JobState::Pending) {
            return problem(StatusCode::CONFLICT, "already taken");
        }
        world.job_tokens_issued += 1;
        world.accepted_at = Some(std::time::Instant::now());
        let job_token = format!("ptrjt-{}", world.job_tokens_issued);
        world.job_state = Some(JobState::Processing { job_token: job_token.clone() });
        let mut payload = world.job_payload.clone().unwrap_or_default();
        if world.offer_presigned {
            payload["output"]["presignedUploads"] = json!(true);
        }
        let job = json!({"uuid": JOB_UUID, "type": "vod-hls-ladder", "state": {"id": 2, "label": "Processing"},
            "payload": payload, "failures": 0, "jobToken": job_token});
        return json_response(StatusCode::OK, json!({"job": job}));
    }
    if !world.job_token_ok(body["jobToken"].as_str()) {
        return problem(StatusCode::CONFLICT, "this job is not processing under this token");
    }
    match call {
        "update" => world.updates.push(body),
        "success" => {
            world.success = Some(body["payload"].clone());
            world.job_state = Some(JobState::Completed);
        }
        "error" => {
            world.errors.push(body["message"].as_str().unwrap_or_default().to_owned());
            world.job_state = Some(JobState::Errored);
        }
        "abort" => {
            world.aborts.push(body["reason"].as_str().unwrap_or_default().to_owned());
            world.job_state = Some(JobState::Pending);
        }
        _ => return problem(StatusCode::NOT_FOUND, "no such job call"),
    }
    Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).expect("response")
}

/// A presigned `PUT` on the fake bucket for `{kind, name}`, after the same token checks as a job call.
fn upload_url(world: &mut World, body: Value) -> Response {
    if !world.runner_ok(body["runnerToken"].as_str()) {
        return problem(StatusCode::UNAUTHORIZED, "unknown runner token");
    }
    if !world.job_token_ok(body["jobToken"].as_str()) {
        return problem(StatusCode::CONFLICT, "this job is not processing under this token");
    }
    world.upload_url_requests.push(body.clone());
    let Some(bucket) = world.presign_bucket.clone() else {
        return problem(StatusCode::NOT_IMPLEMENTED, "no R2 credentials");
    };
    let handed = world.upload_url_requests.len();
    let signature =
        if handed <= world.presign_expired_first { "expired".to_owned() } else { format!("sig{handed}") };
    let (kind, name) = (body["kind"].as_str().unwrap_or(""), body["name"].as_str().unwrap_or(""));
    json_response(
        StatusCode::OK,
        json!({"url": format!("{bucket}/media/{kind}/{name}?X-Amz-Date=20261121T215012Z&X-Amz-Signature={signature}"),
               "expiresAt": "2026-11-21T22:50:12.000Z", "headers": {"content-type": "application/x-test"}}),
    )
}

fn download(world: &mut World, headers: &HeaderMap, body: Value) -> Response {
    if !world.runner_ok(body["runnerToken"].as_str()) {
        return problem(StatusCode::UNAUTHORIZED, "unknown runner token");
    }
    if !world.job_token_ok(body["jobToken"].as_str()) {
        return problem(StatusCode::CONFLICT, "this job is not processing under this token");
    }
    let index = world.download_requests;
    world.download_requests += 1;
    let total = world.input.len() as u64;
    let range = headers.get("range").and_then(|v| v.to_str().ok()).and_then(|v| {
        let (first, last) = v.strip_prefix("bytes=")?.split_once('-')?;
        Some((first.parse::<u64>().ok()?, last.parse::<u64>().ok()?))
    });
    let Some((first, last)) = range else { return problem(StatusCode::BAD_REQUEST, "Range is required") };
    world.download_ranges.push((first, last));
    if world.faults.download_500.contains(&index) {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "injected failure");
    }
    if first > last || first >= total || last - first + 1 > 32 * 1024 * 1024 {
        return problem(StatusCode::RANGE_NOT_SATISFIABLE, "bad range");
    }
    let last = last.min(total - 1);
    let bytes = Bytes::copy_from_slice(&world.input[first as usize..=last as usize]);
    let builder = Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header("content-range", format!("bytes {first}-{last}/{total}"))
        .header("content-length", bytes.len());
    match world.faults.download_cut_after.get(&index) {
        // Fewer bytes than announced, then an error: the connection drops mid-body.
        Some(&cut) => {
            let head = bytes.slice(..cut.min(bytes.len()));
            // The pause lets the head reach the runner before the connection breaks.
            let cut = futures::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Err(std::io::Error::other("injected cut"))
            });
            let stream =
                futures::StreamExt::chain(futures::stream::iter([Ok::<Bytes, std::io::Error>(head)]), cut);
            builder.body(Body::from_stream(stream)).expect("response")
        }
        None => builder.body(Body::from(bytes)).expect("response"),
    }
}

fn upload(world: &mut World, headers: &HeaderMap, key: String, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(content_range) = header("content-range") else {
        return problem(StatusCode::BAD_REQUEST, "Content-Range is required");
    };
    world.upload_ranges.push(content_range.clone());
    if !world.runner_ok(header("x-runner-token").as_deref()) {
        return problem(StatusCode::UNAUTHORIZED, "unknown runner token");
    }
    if !world.job_token_ok(header("x-job-token").as_deref()) {
        return problem(StatusCode::CONFLICT, "this job is not processing under this token");
    }
    let Some(spec) = content_range.strip_prefix("bytes ") else {
        return problem(StatusCode::BAD_REQUEST, "bad Content-Range");
    };
    let Some((range, total)) = spec.split_once('/') else {
        return problem(StatusCode::BAD_REQUEST, "no total");
    };
    let Ok(total) = total.parse::<usize>() else { return problem(StatusCode::BAD_REQUEST, "bad total") };
    if range == "*" {
        return upload_status(world, &key, total);
    }
    let index = world.chunk_puts;
    world.chunk_puts += 1;
    if world.faults.upload_forget_before.contains(&index) {
        if let Some(stored) = world.stored.get_mut(&key) {
            stored.pop();
        }
    }
    if world.faults.upload_500.contains(&index) {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "injected failure");
    }
    let Some((first, last)) =
        range.split_once('-').and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
    else {
        return problem(StatusCode::BAD_REQUEST, "bad range");
    };
    if last < first || last >= total || body.len() != last - first + 1 {
        return problem(StatusCode::BAD_REQUEST, "the body does not match Content-Range");
    }
    let stored = world.stored.entry(key.clone()).or_default();
    if first != stored.len() {
        let mut response = problem(StatusCode::CONFLICT, "not the next byte");
        if !stored.is_empty() {
            let range = format!("bytes=0-{}", stored.len() - 1);
            response.headers_mut().insert("range", range.parse().expect("header"));
        }
        return response;
    }
    stored.extend_from_slice(&body);
    if world.faults.upload_store_then_500.contains(&index) {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "injected failure after storing");
    }
    upload_status(world, &key, total)
}

fn upload_status(world: &mut World, key: &str, total: usize) -> Response {
    let stored = world.stored.get(key).map_or(0, Vec::len);
    if stored == total && total > 0 {
        world.complete.insert(key.to_owned());
        return json_response(StatusCode::CREATED, json!({"key": key, "size": total}));
    }
    let mut builder = Response::builder().status(StatusCode::PERMANENT_REDIRECT);
    if stored > 0 {
        builder = builder.header("range", format!("bytes=0-{}", stored - 1));
    }
    builder.body(Body::empty()).expect("response")
}

fn json_response(status: StatusCode, value: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(value.to_string()))
        .expect("response")
}

fn problem(status: StatusCode, detail: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/problem+json")
        .body(Body::from(json!({"status": status.as_u16(), "detail": detail}).to_string()))
        .expect("response")
}
