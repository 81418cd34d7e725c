//! Edgetube on Spin: wiring only.
//!
//! A Spin HTTP component (`wasm32-wasip2`, `spin-sdk` 5.2: WASI 0.2 and `fermyon:spin/*@2.0.0`).
//! Each request builds [`Ports`] from Spin's capabilities: SQLite ([`sql`]), key-value ([`kv`]),
//! variables ([`config`]), outbound HTTP ([`http_client`], and [`s3`] for objects, signed with
//! `edgetube-sigv4`). Spin has no queues, so the job queue is a durable SQL outbox ([`outbox`])
//! drained by the requests themselves and by `POST /_edgetube/tick` ([`tick`]), which Spin's cron
//! trigger, a Kubernetes CronJob or the tests call. No video, federation or API logic lives here.

mod bench;
mod body;
mod clock;
mod config;
mod conformance;
mod crypto;
mod deadline;
mod http_client;
mod kv;
mod migrations;
mod outbox;
mod rate_limit;
mod runner_signal;
mod s3;
mod sql;
mod tick;
mod views;

use edgetube_app::App;
use edgetube_ports::Ports;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

/// The bindings of one request, owned so that [`Ports`] can borrow them.
pub(crate) struct Bound {
    sql: sql::SpinSql,
    kv: kv::SpinKv,
    objects: s3::S3Objects,
    queue: outbox::SqlOutbox,
    clock: clock::SystemClock,
    crypto: crypto::NativeCrypto,
    http: http_client::SpinHttp,
    rate_limiter: rate_limit::SqlRateLimiter,
    views: views::SqlViewCounter,
    runner_signal: runner_signal::HeldRequests,
}

impl Bound {
    fn new(config: &edgetube_domain::InstanceConfig) -> Result<Self, String> {
        let sql = sql::SpinSql::open().map_err(|e| e.to_string())?;
        Ok(Self {
            queue: outbox::SqlOutbox::new(sql.clone()),
            rate_limiter: rate_limit::SqlRateLimiter::new(sql.clone()),
            views: views::SqlViewCounter::new(sql.clone()),
            sql,
            kv: kv::SpinKv::open().map_err(|e| e.to_string())?,
            objects: s3::S3Objects::from_config(config)?,
            clock: clock::SystemClock,
            crypto: crypto::NativeCrypto,
            http: http_client::SpinHttp,
            runner_signal: runner_signal::HeldRequests,
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

/// Spin makes one instance per request, so configuration and bindings are read per request
/// (a few variable reads; the SQLite connection is opened lazily by the host).
/// The exported `wasi:http/incoming-handler`. The macro generates the component's ABI glue,
/// which is unsafe by nature; this module holds nothing else.
#[allow(unsafe_code)]
mod export {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};
    use spin_sdk::http_component;

    #[http_component]
    async fn handle(request: IncomingRequest, out: ResponseOutparam) {
        super::serve(request, out).await;
    }
}

async fn serve(request: IncomingRequest, out: ResponseOutparam) {
    let config = match config::instance_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("configuration error: {message}");
            return body::send_text(out, 500, &format!("Edgetube is misconfigured: {message}")).await;
        }
    };
    let bound = match Bound::new(&config) {
        Ok(bound) => bound,
        Err(message) => {
            eprintln!("binding error: {message}");
            return body::send_text(out, 500, &format!("Edgetube cannot bind its stores: {message}")).await;
        }
    };
    if let Err(e) = migrations::apply(&bound.sql).await {
        eprintln!("migrations failed: {e}");
        return body::send_text(out, 500, &format!("Edgetube could not migrate its database: {e}")).await;
    }
    let app = App::new(config);
    let ports = bound.ports();
    let request = match body::into_http(request) {
        Ok(request) => request,
        Err(message) => return body::send_text(out, 400, &message).await,
    };
    if let Some(response) = tick::handle(&app, &ports, &request).await {
        return body::send(out, response).await;
    }
    if let Some(response) = bench::handle(&ports, &request).await {
        return body::send(out, response).await;
    }
    if let Some(response) = conformance::handle(&ports, &request).await {
        return body::send(out, response).await;
    }
    let response = app.handle(&ports, request).await;
    if let Some(edgetube_api::InternalError(cause)) =
        response.extensions().get::<edgetube_api::InternalError>()
    {
        eprintln!("{}: {cause}", response.status());
    }
    body::send(out, response).await;
    // The request's own work may have queued jobs: run what is due now, after the response is
    // sent, so no job waits for the next tick (Spin keeps the instance until this returns).
    outbox::drain(&app, &ports, outbox::REQUEST_DRAIN_LIMIT).await;
}
