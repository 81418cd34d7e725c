//! `/__bench/crypto` on Workers: binds the shared benchmark (`edgetube_bench::crypto`) to
//! WebCrypto and the Worker's clock. Mounted only when `BENCH_ENDPOINTS` is `true` (local
//! configuration); `tests/bench/worker.sh`, `federation.sh`, `api.sh` and `platforms.sh` drive it.

use edgetube_app::Body;
use worker::{Env, Response};

use crate::clock::WorkersClock;
use crate::crypto::WebCrypto;

/// Handles a benchmark request when benchmarks are enabled, `None` otherwise.
pub async fn handle<B>(env: &Env, request: &http::Request<B>) -> Option<worker::Result<Response>> {
    if request.uri().path() != edgetube_bench::CRYPTO_PATH {
        return None;
    }
    let enabled = env.var("BENCH_ENDPOINTS").map(|v| v.to_string() == "true").unwrap_or(false);
    if !enabled {
        return None;
    }
    let crypto = match WebCrypto::new() {
        Ok(crypto) => crypto,
        Err(e) => return Some(Err(e)),
    };
    let response = edgetube_bench::crypto(&crypto, &WorkersClock, request.uri().query()).await;
    Some(crate::from_http(response.map(Body::Full)))
}
