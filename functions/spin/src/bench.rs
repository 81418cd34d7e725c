//! `/__bench/crypto` on Spin: binds the shared benchmark (`edgetube_bench::crypto`) to this
//! component's crypto port (the pure-Rust `rsa` and `pbkdf2` crates) and WASI's clock, so RSA
//! inside the component can be set against WebCrypto in the Worker (`tests/bench/platforms.sh`).
//! Mounted only when the variable `bench_endpoints` is `true`, as on Workers.

use bytes::Bytes;
use edgetube_app::Body;
use edgetube_ports::Ports;

use crate::config;

/// Runs the benchmark for a `/__bench/crypto` request when enabled, `None` for every other one.
pub async fn handle<B>(ports: &Ports<'_>, request: &http::Request<B>) -> Option<http::Response<Body>> {
    if request.uri().path() != edgetube_bench::CRYPTO_PATH || !config::bench_endpoints() {
        return None;
    }
    let response: http::Response<Bytes> =
        edgetube_bench::crypto(ports.crypto, ports.clock, request.uri().query()).await;
    Some(response.map(Body::Full))
}
