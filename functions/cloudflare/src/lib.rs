//! Edgetube on Cloudflare Workers: wiring only.
//!
//! Each entry point builds [`Ports`] from the Worker's bindings (names in [`bindings`], matching
//! `wrangler.toml`), converts the request to `http` types, calls the platform-free core and
//! converts back. No video, federation or API logic lives here.

mod bench;
mod bindings;
mod clock;
mod config;
mod conformance;
mod crypto;
mod d1;
mod http_client;
mod js_stream;
mod kv;
mod metered;
mod queue;
mod r2;
mod rate_limiter;
mod runner_fleet;
mod runner_wake;
mod tracker;
mod views;

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use edgetube_api::{InternalError, RunnerWait};
use edgetube_app::{App, Body, BodyError, QueueOutcome};
use edgetube_ports::r2_notification::{self, Translated};
use edgetube_ports::Ports;
use futures::StreamExt;
use worker::{
    console_error, console_log, event, Context, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder,
    Request, Response, ResponseBuilder, ScheduleContext, ScheduledEvent,
};

thread_local! {
    /// One `App` per isolate: it remembers that bootstrap already ran.
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

fn app(env: &Env) -> Result<Rc<App>, String> {
    if let Some(app) = APP.with(|cell| cell.borrow().clone()) {
        return Ok(app);
    }
    let config = config::instance_config(env).map_err(|e| e.to_string())?;
    let app = Rc::new(App::new(config));
    APP.with(|cell| *cell.borrow_mut() = Some(app.clone()));
    Ok(app)
}

/// The bindings of one invocation, owned so that [`Ports`] can borrow them.
struct Bound {
    sql: d1::D1Sql,
    kv: kv::WorkersKv,
    objects: r2::R2Objects,
    queue: queue::WorkersQueue,
    clock: clock::WorkersClock,
    crypto: crypto::WebCrypto,
    http: http_client::WorkersFetch,
    rate_limiter: rate_limiter::DurableRateLimiter,
    views: views::DurableViewCounter,
    runner_signal: runner_wake::DurableRunnerSignal,
}

impl Bound {
    fn new(env: &Env) -> worker::Result<Self> {
        Ok(Self {
            sql: d1::D1Sql::new(env.d1(bindings::DB)?),
            kv: kv::WorkersKv::new(env.kv(bindings::KV)?),
            objects: r2::R2Objects::new(env.bucket(bindings::MEDIA)?),
            queue: queue::WorkersQueue::new(env.queue(bindings::JOBS)?),
            clock: clock::WorkersClock,
            crypto: crypto::WebCrypto::new()?,
            http: http_client::WorkersFetch,
            rate_limiter: rate_limiter::DurableRateLimiter::new(env.durable_object(bindings::RATE_LIMITER)?),
            views: views::DurableViewCounter::new(env.durable_object(bindings::VIEW_COUNTER)?),
            runner_signal: runner_wake::DurableRunnerSignal::new(
                env.durable_object(bindings::RUNNER_WAKE)?,
                match runner_fleet::FleetSettings::from_env(env).enabled() {
                    true => Some(env.durable_object(bindings::RUNNER_FLEET)?),
                    false => None,
                },
            ),
        })
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            sql: &self.sql,
            kv: &self.kv,
            objects: &self.objects,
            queue: &self.queue,
            clock: &self.clock,
            crypto: &self.crypto,
            http: &self.http,
            rate_limiter: &self.rate_limiter,
            views: &self.views,
            runner_signal: &self.runner_signal,
        }
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let app = match app(&env) {
        Ok(app) => app,
        Err(message) => {
            console_error!("configuration error: {message}");
            return Response::error(format!("Edgetube is misconfigured: {message}"), 500);
        }
    };
    // Tracker sockets go to their video's Durable Object before anything reads the request.
    let req = match tracker::route_or_pass(req, &env).await {
        Ok(response) => return response,
        Err(req) => req,
    };
    let bound = Bound::new(&env)?;
    let request = into_http(req)?;
    if let Some(response) = metered::handle(&env, &request) {
        return response;
    }
    if let Some(response) = bench::handle(&env, &request).await {
        return response;
    }
    if let Some(response) = conformance::handle(&env, &bound.ports(), &request).await {
        return response;
    }
    // Local benchmarks count billable operations (`/__bench/counts`); deployments skip this.
    let metering = metered::enable_if_bench(&env).then(|| metered::MeteredPorts::new(bound.ports()));
    let ports = metering.as_ref().map_or_else(|| bound.ports(), |m| m.ports());
    if metering.is_some() {
        metered::bump("worker.fetch", 1.0);
        metered::bump(&format!("worker.fetch.{}", metered::request_class(request.uri().path())), 1.0);
    }
    let response = app.handle(&ports, request).await;
    if let Some(InternalError(cause)) = response.extensions().get::<InternalError>() {
        console_error!("{}: {cause}", response.status());
    }
    // The core has authenticated a runner that asked to wait for jobs: its socket goes to the
    // waiting room, which answers the upgrade.
    if let Some(cue) = response.extensions().get::<RunnerWait>() {
        return bound.runner_signal.wait(cue).await;
    }
    from_http(response)
}

/// The job queue's consumer. Two producers share the queue: R2's event notifications, which
/// are translated here into `ObjectCreated` (the core knows objects, not buckets or R2 actions),
/// and our own tagged messages, which pass through.
#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> worker::Result<()> {
    let app = app(&env).map_err(worker::Error::RustError)?;
    let bound = Bound::new(&env)?;
    let metering = metered::enable_if_bench(&env).then(|| metered::MeteredPorts::new(bound.ports()));
    let ports = metering.as_ref().map_or_else(|| bound.ports(), |m| m.ports());
    metered::bump("worker.queue_invocations", 1.0);
    for message in batch.messages()? {
        metered::bump("queue.messages_delivered", 1.0);
        let body = match r2_notification::translate(message.body()) {
            Translated::Message(body) => body,
            Translated::Ignore(reason) => {
                console_log!("ignoring queue message {}: {reason}", message.id());
                message.ack();
                continue;
            }
        };
        match app.handle_queue_message(&ports, &body).await {
            QueueOutcome::Done => message.ack(),
            QueueOutcome::DoneWith(note) => {
                console_log!("{note}");
                message.ack();
            }
            QueueOutcome::Drop(reason) => {
                console_error!("dropping queue message {}: {reason}", message.id());
                message.ack();
            }
            QueueOutcome::RetryLater => {
                metered::bump("queue.retries", 1.0);
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(5).build());
            }
        }
    }
    Ok(())
}

/// The Cron Trigger of `wrangler.toml`: housekeeping.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let outcome = async {
        let app = app(&env).map_err(worker::Error::RustError)?;
        let bound = Bound::new(&env)?;
        let metering = metered::enable_if_bench(&env).then(|| metered::MeteredPorts::new(bound.ports()));
        let ports = metering.as_ref().map_or_else(|| bound.ports(), |m| m.ports());
        metered::bump("worker.scheduled", 1.0);
        app.run_housekeeping(&ports).await.map_err(|e| worker::Error::RustError(e.to_string()))
    };
    match outcome.await {
        Ok(done) => console_log!(
            "housekeeping: {} abandoned uploads removed, {} stale jobs released, {} jobs made for lost storage events, \
             {} deleted actors' keys dropped",
            done.abandoned_uploads,
            done.released_jobs,
            done.recovered_jobs,
            done.departed_keys_dropped
        ),
        Err(e) => console_error!("housekeeping failed: {e}"),
    }
}

/// The request with its body still unread: the core streams the bodies that may be large (the
/// legacy upload, up to 100 MB in an isolate of 128 MB) and reads the others whole.
fn into_http(mut req: Request) -> worker::Result<http::Request<Body>> {
    let body = match req.stream() {
        Ok(stream) => Body::stream(
            js_stream::SendByteStream::new(stream).map(|r| r.map_err(|e| BodyError(e.to_string()))),
        ),
        // No body at all (GET, HEAD).
        Err(_) => Body::Full(Bytes::new()),
    };
    let url = req.url()?;
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut builder = http::Request::builder().method(req.method().as_ref()).uri(path_and_query);
    for (name, value) in req.headers().entries() {
        builder = builder.header(name, value);
    }
    builder.body(body).map_err(|e| worker::Error::RustError(e.to_string()))
}

pub(crate) fn from_http(response: http::Response<Body>) -> worker::Result<Response> {
    let (parts, body) = response.into_parts();
    let headers = worker::Headers::new();
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            headers.append(name.as_str(), value)?;
        }
    }
    let response = match body {
        Body::Full(bytes) if bytes.is_empty() => Response::empty()?,
        Body::Full(bytes) => Response::from_bytes(bytes.to_vec())?,
        Body::Stream(stream) => {
            let chunks = stream.map(|chunk| chunk.map(Vec::from).map_err(|e| worker::Error::RustError(e.0)));
            match content_length(&parts.headers) {
                // A stream of known length goes through a FixedLengthStream: workerd then sends
                // `Content-Length` instead of chunked encoding, and clients see the size.
                Some(length) => {
                    let fixed: worker::worker_sys::FixedLengthStream =
                        worker::FixedLengthStream::wrap(chunks, length).into();
                    ResponseBuilder::new().stream(fixed.readable())
                }
                None => Response::from_stream(chunks)?,
            }
        }
    };
    Ok(response.with_status(parts.status.as_u16()).with_headers(headers))
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers.get(http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}
