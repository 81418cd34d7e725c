//! `POST /_edgetube/conformance`: the port conformance suite run inside this component against
//! its real bindings (Spin SQLite, key-value, S3 over outbound HTTP, the SQL outbox, pure-Rust
//! crypto), answered as the suite's JSON report with status 200 whatever the outcome (the caller
//! decides). Mounted only when the variable `bench_endpoints` is `true`, as on Workers.
//!
//! `?http_target=<base URL>` adds the outbound HTTP checks against a server the caller runs.

use bytes::Bytes;
use edgetube_app::Body;
use edgetube_ports::Ports;
use edgetube_ports_conformance::{check_http_client, run_all, HttpTarget, Run};

use crate::config;

/// The endpoint's path.
const PATH: &str = "/_edgetube/conformance";

/// Runs the suite for a conformance request when enabled, `None` for every other request.
pub async fn handle<B>(ports: &Ports<'_>, request: &http::Request<B>) -> Option<http::Response<Body>> {
    if request.uri().path() != PATH || request.method() != http::Method::POST || !config::bench_endpoints() {
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
    let body = serde_json::to_vec(&report).unwrap_or_default();
    http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Full(Bytes::from(body)))
        .ok()
}
