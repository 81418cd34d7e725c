//! `POST /_edgetube/conformance`: the port conformance suite (`edgetube-ports-conformance`) run
//! inside this Worker against its real bindings (D1, KV, R2, the queue, the Durable Objects,
//! WebCrypto), answered as the suite's JSON report with status 200 whatever the outcome (the
//! caller, `tests/tests/conformance.rs`, decides). Mounted only when `BENCH_ENDPOINTS` is
//! `true` (local configuration, like `bench.rs`); otherwise the path falls through to the app's 404.
//!
//! `?http_target=<base URL>` adds the outbound HTTP checks against a server the caller runs
//! there (a Worker cannot listen), proving the `fetch` adapter's size and time limits on workerd.

use edgetube_ports::Ports;
use edgetube_ports_conformance::{check_http_client, run_all, HttpTarget, Run};
use worker::{Env, Response};

/// The endpoint's path.
const PATH: &str = "/_edgetube/conformance";

/// Runs the suite for a conformance request when enabled, `None` for every other request.
pub async fn handle<B>(
    env: &Env,
    ports: &Ports<'_>,
    request: &http::Request<B>,
) -> Option<worker::Result<Response>> {
    if request.uri().path() != PATH || request.method() != http::Method::POST {
        return None;
    }
    let enabled = env.var("BENCH_ENDPOINTS").map(|v| v.to_string() == "true").unwrap_or(false);
    if !enabled {
        return None;
    }
    let run = Run::fresh(ports.clock, ports.crypto);
    let mut report = run_all(ports, &run).await;
    let target = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "http_target")
            .map(|(_, base)| HttpTarget { base: base.into_owned() })
    });
    if let Some(target) = target {
        report.extend(check_http_client(ports.http, ports.clock, &run, &target).await);
    }
    Some(Response::from_json(&report))
}
