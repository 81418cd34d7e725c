//! `/__bench/crypto`: RSA-2048 in this Worker through WebCrypto and through the pure-Rust `rsa`
//! crate, measured in the same isolate. Mounted only when `BENCH_ENDPOINTS` is `true` (local
//! configuration); `tests/bench/worker.sh` drives it and writes BENCHMARKS.md figures.

use edgetube_ports::Crypto;
use rand::rngs::OsRng;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use worker::{Env, Response};

use crate::crypto::WebCrypto;

/// The password hashes' iteration count (`edgetube_domain::password::ITERATIONS`).
const ITERATIONS: u32 = edgetube_domain::password::ITERATIONS;

const MESSAGE: &[u8] =
    b"(request-target): post /inbox\nhost: tube.example\ndate: Sat, 21 Nov 2026 21:39:23 GMT";

/// Handles a benchmark request when benchmarks are enabled, `None` otherwise.
pub async fn handle<B>(env: &Env, request: &http::Request<B>) -> Option<worker::Result<Response>> {
    if request.uri().path() != "/__bench/crypto" {
        return None;
    }
    let enabled = env.var("BENCH_ENDPOINTS").map(|v| v.to_string() == "true").unwrap_or(false);
    if !enabled {
        return None;
    }
    let query = request.uri().query().unwrap_or_default();
    let param = |name: &str| {
        query.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
    };
    let n: u32 = param("n").and_then(|v| v.parse().ok()).unwrap_or(1).clamp(1, 200);
    Some(run(param("impl").unwrap_or("webcrypto"), param("op").unwrap_or("sign"), n).await)
}

async fn run(implementation: &str, op: &str, n: u32) -> worker::Result<Response> {
    let crypto = WebCrypto::new()?;
    let fail = |e: edgetube_ports::PortError| worker::Error::RustError(e.to_string());
    // A key made outside the timed section, so `sign` measures signatures only.
    let pair = crypto.generate_rsa(2048).await.map_err(fail)?;
    let started = worker::Date::now().as_millis();
    let mut output_len = 0usize;
    for _ in 0..n {
        match (implementation, op) {
            ("webcrypto", "sign") => {
                output_len =
                    crypto.sign_rsa_sha256(&pair.private_pkcs8_der, MESSAGE).await.map_err(fail)?.len();
            }
            ("webcrypto", "keygen") => {
                output_len = crypto.generate_rsa(2048).await.map_err(fail)?.private_pkcs8_der.len();
            }
            ("rust", "sign") => {
                let key = RsaPrivateKey::from_pkcs8_der(&pair.private_pkcs8_der)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                output_len = SigningKey::<Sha256>::new(key).sign(MESSAGE).to_vec().len();
            }
            ("webcrypto", "pbkdf2") => {
                let derived = crypto
                    .pbkdf2_sha256(b"a password", b"a sixteen-byte s", ITERATIONS)
                    .await
                    .map_err(fail)?;
                output_len = derived.len();
            }
            ("rust", "pbkdf2") => {
                let mut derived = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(b"a password", b"a sixteen-byte s", ITERATIONS, &mut derived);
                output_len = derived.len();
            }
            ("rust", "keygen") => {
                let key = RsaPrivateKey::new(&mut OsRng, 2048)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                output_len = key.size();
            }
            _ => return Response::error("impl must be webcrypto or rust, op sign, keygen or pbkdf2", 400),
        }
    }
    let elapsed_ms = worker::Date::now().as_millis() - started;
    Response::from_json(&serde_json::json!({
        "impl": implementation, "op": op, "n": n, "elapsed_ms_inside": elapsed_ms, "output_len": output_len
    }))
}
