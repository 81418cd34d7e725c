//! `POST /_edgetube/tick`: the work a queue consumer and a Cron Trigger do on Workers, on demand.
//!
//! Authenticated with `Authorization: Bearer <tick_token>` (a Spin variable, a secret): the
//! caller is Spin's cron trigger, a Kubernetes CronJob or the tests. Drains the outbox
//! ([`outbox::drain`], up to [`TICK_DRAIN_LIMIT`] messages) and, with `?housekeeping=1`, runs the
//! housekeeping. Answers JSON of what was done. Without a configured token the path is not
//! mounted (the app answers 404), so an instance never has an open tick.

use bytes::Bytes;
use edgetube_app::{App, Body};
use edgetube_ports::Ports;

use crate::config;
use crate::outbox;

/// The endpoint's path.
const PATH: &str = "/_edgetube/tick";
/// The most messages one tick runs.
const TICK_DRAIN_LIMIT: usize = 100;

fn json(status: u16, value: &serde_json::Value) -> http::Response<Body> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Full(Bytes::from(value.to_string())))
        .unwrap_or_default()
}

/// Constant-time comparison: the token is a secret.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs a tick for a tick request, `None` for every other request.
pub async fn handle<B>(
    app: &App,
    ports: &Ports<'_>,
    request: &http::Request<B>,
) -> Option<http::Response<Body>> {
    if request.uri().path() != PATH {
        return None;
    }
    let token = config::var("tick_token")?;
    if request.method() != http::Method::POST {
        return Some(json(405, &serde_json::json!({"error": "POST only"})));
    }
    let presented = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same(presented.as_bytes(), token.as_bytes()) {
        return Some(json(401, &serde_json::json!({"error": "a valid tick token is required"})));
    }
    let housekeeping = request.uri().query().is_some_and(|q| q.split('&').any(|p| p == "housekeeping=1"));
    let drained = outbox::drain(app, ports, TICK_DRAIN_LIMIT).await;
    let mut report = serde_json::json!({"drained": drained});
    if housekeeping {
        match app.run_housekeeping(ports).await {
            Ok(done) => {
                // The Worker's Cron Trigger logs the same line.
                eprintln!(
                    "housekeeping: {} abandoned uploads removed, {} stale jobs released, {} jobs made for lost \
                     storage events, {} deleted actors' keys dropped",
                    done.abandoned_uploads, done.released_jobs, done.recovered_jobs, done.departed_keys_dropped
                );
                report["housekeeping"] = serde_json::json!({
                    "abandoned_uploads": done.abandoned_uploads,
                    "released_jobs": done.released_jobs,
                    "recovered_jobs": done.recovered_jobs,
                    "departed_keys_dropped": done.departed_keys_dropped,
                });
            }
            Err(e) => {
                eprintln!("housekeeping failed: {e}");
                return Some(json(500, &serde_json::json!({"error": format!("housekeeping failed: {e}")})));
            }
        }
    }
    Some(json(200, &report))
}
