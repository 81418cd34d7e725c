//! `/__bench/crypto`, the one benchmark endpoint both shells mount (only when their
//! `BENCH_ENDPOINTS` / `bench_endpoints` variable is `true`: local configuration).
//!
//! It times, inside the running function, RSA-2048 sign, verify and keygen, PBKDF2, and federation's
//! per-request crypto (verifying a signed inbox POST: the whole `verification_plan` and the RSA
//! check; signing a delivery), each two ways: `impl=port` through the shell's [`Crypto`] port
//! (WebCrypto on Workers, the pure-Rust adapter on Spin; `impl=webcrypto` is the same, the name
//! the Worker's scripts use) and `impl=rust` through the pure-Rust crates called here directly;
//! plus ed25519 (pure Rust everywhere). Time comes from the [`Clock`] port, so the figure is
//! what the platform's clock says (local workerd's and WASI's advance during computation).
//! Drivers: `tests/bench/worker.sh`, `federation.sh`, `api.sh` and `platforms.sh`.

use bytes::Bytes;
use edgetube_ports::{Clock, Crypto, PortError, RsaKeyPair};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha2::Sha256;

/// The endpoint's path.
pub const CRYPTO_PATH: &str = "/__bench/crypto";

/// The password hashes' iteration count (`edgetube_domain::password::ITERATIONS`).
const ITERATIONS: u32 = edgetube_domain::password::ITERATIONS;

/// A fixed `now` for the signed requests, inside their validity window by construction.
const NOW_MS: u64 = 1_795_297_812_254;

const MESSAGE: &[u8] =
    b"(request-target): post /inbox\nhost: tube.example\ndate: Sat, 21 Nov 2026 21:39:23 GMT";

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The crypto port failed.
    #[error("crypto port: {0}")]
    Port(#[from] PortError),
    /// A pure-Rust crate or the signature rules refused the benchmark's own input.
    #[error("{0}")]
    Setup(String),
}

fn setup(e: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(e.to_string())
}

/// Answers a request for [`CRYPTO_PATH`] (the caller checks the path and that benchmarks are on):
/// `?impl=port|webcrypto|rust&op=sign|verify|keygen|pbkdf2|inbox|delivery|ed25519-sign|ed25519-verify&n=1..200`.
/// 200 with `{"impl", "op", "n", "elapsed_ms_inside", "output_len"}`, 400 for unknown
/// parameters, 500 when something failed.
pub async fn crypto(port: &dyn Crypto, clock: &dyn Clock, query: Option<&str>) -> http::Response<Bytes> {
    let query = query.unwrap_or_default();
    let param = |name: &str| {
        query.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
    };
    let n: u32 = param("n").and_then(|v| v.parse().ok()).unwrap_or(1).clamp(1, 200);
    let implementation = param("impl").unwrap_or("port");
    let op = param("op").unwrap_or("sign");
    let Some(case) = Case::parse(implementation, op) else {
        return text(
            400,
            "impl must be port (or webcrypto) or rust, op sign, verify, keygen, pbkdf2, inbox, delivery, \
             ed25519-sign or ed25519-verify (ed25519 with impl=rust only)",
        );
    };
    match run(port, clock, case, n).await {
        Ok((elapsed_ms, output_len)) => {
            let body = serde_json::json!({
                "impl": implementation, "op": op, "n": n, "elapsed_ms_inside": elapsed_ms, "output_len": output_len
            });
            http::Response::builder()
                .status(200)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Bytes::from(body.to_string()))
                .unwrap_or_default()
        }
        Err(e) => text(500, &format!("benchmark failed: {e}")),
    }
}

fn text(status: u16, message: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Bytes::from(message.to_owned()))
        .unwrap_or_default()
}

/// Whether an operation goes through the port or the pure-Rust crates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Port,
    Rust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Sign,
    Verify,
    Keygen,
    Pbkdf2,
    Inbox,
    Delivery,
    Ed25519Sign,
    Ed25519Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Case {
    via: Via,
    op: Op,
}

impl Case {
    fn parse(implementation: &str, op: &str) -> Option<Self> {
        let via = match implementation {
            "port" | "webcrypto" => Via::Port,
            "rust" => Via::Rust,
            _ => return None,
        };
        let op = match op {
            "sign" => Op::Sign,
            "verify" => Op::Verify,
            "keygen" => Op::Keygen,
            "pbkdf2" => Op::Pbkdf2,
            "inbox" => Op::Inbox,
            "delivery" => Op::Delivery,
            "ed25519-sign" if via == Via::Rust => Op::Ed25519Sign,
            "ed25519-verify" if via == Via::Rust => Op::Ed25519Verify,
            _ => return None,
        };
        Some(Self { via, op })
    }
}

/// Runs `n` operations of `case`; the elapsed clock milliseconds and the last output's length.
async fn run(port: &dyn Crypto, clock: &dyn Clock, case: Case, n: u32) -> Result<(i64, usize), BenchError> {
    // A key made outside the timed section, so `sign` measures signatures only.
    let pair = port.generate_rsa(2048).await?;
    let signed = signed_inbox_post(port, &pair).await?;
    let rust_key = RsaPrivateKey::from_pkcs8_der(&pair.private_pkcs8_der).map_err(setup)?;
    let ed25519 = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let ed25519_signature = ed25519.sign(MESSAGE);
    let rsa_signature = port.sign_rsa_sha256(&pair.private_pkcs8_der, MESSAGE).await?;
    let started = clock.now_millis();
    let mut output_len = 0usize;
    for _ in 0..n {
        output_len = match (case.via, case.op) {
            (Via::Port, Op::Inbox) => {
                let plan = signed.plan()?;
                usize::from(
                    port.verify_rsa_sha256(&pair.public_spki_der, &plan.message, &plan.signature).await?,
                )
            }
            (Via::Rust, Op::Inbox) => {
                let plan = signed.plan()?;
                let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(rust_key.to_public_key());
                let signature =
                    rsa::pkcs1v15::Signature::try_from(plan.signature.as_slice()).map_err(setup)?;
                usize::from(key.verify(&plan.message, &signature).is_ok())
            }
            (Via::Port, Op::Delivery) => {
                let prepared = delivery_request()?;
                port.sign_rsa_sha256(&pair.private_pkcs8_der, prepared.signing_string.as_bytes()).await?.len()
            }
            (Via::Rust, Op::Delivery) => {
                let prepared = delivery_request()?;
                SigningKey::<Sha256>::new(rust_key.clone())
                    .sign(prepared.signing_string.as_bytes())
                    .to_vec()
                    .len()
            }
            (_, Op::Ed25519Sign) => ed25519.sign(MESSAGE).to_bytes().len(),
            (_, Op::Ed25519Verify) => {
                usize::from(ed25519.verifying_key().verify_strict(MESSAGE, &ed25519_signature).is_ok())
            }
            (Via::Port, Op::Sign) => port.sign_rsa_sha256(&pair.private_pkcs8_der, MESSAGE).await?.len(),
            (Via::Rust, Op::Sign) => {
                // One PKCS#8 parse per signature, as the port's callers pay it.
                let key = RsaPrivateKey::from_pkcs8_der(&pair.private_pkcs8_der).map_err(setup)?;
                SigningKey::<Sha256>::new(key).sign(MESSAGE).to_vec().len()
            }
            (Via::Port, Op::Verify) => {
                usize::from(port.verify_rsa_sha256(&pair.public_spki_der, MESSAGE, &rsa_signature).await?)
            }
            (Via::Rust, Op::Verify) => {
                // One SPKI parse per verification, as the port's callers pay it.
                let key = rsa::RsaPublicKey::from_public_key_der(&pair.public_spki_der).map_err(setup)?;
                let signature =
                    rsa::pkcs1v15::Signature::try_from(rsa_signature.as_slice()).map_err(setup)?;
                usize::from(
                    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(MESSAGE, &signature).is_ok(),
                )
            }
            (Via::Port, Op::Keygen) => port.generate_rsa(2048).await?.private_pkcs8_der.len(),
            (Via::Rust, Op::Keygen) => {
                // The crate's own keygen is what is measured, so it draws from the OS generator
                // directly (getrandom: the shell picks its backend, JS on Workers, WASI on Spin).
                RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(setup)?.size()
            }
            (Via::Port, Op::Pbkdf2) => {
                port.pbkdf2_sha256(b"a password", b"a sixteen-byte s", ITERATIONS).await?.len()
            }
            (Via::Rust, Op::Pbkdf2) => {
                let mut derived = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(b"a password", b"a sixteen-byte s", ITERATIONS, &mut derived);
                derived.len()
            }
        };
    }
    let elapsed_ms = clock.now_millis() - started;
    if output_len == 0 && matches!(case.op, Op::Inbox | Op::Verify | Op::Ed25519Verify) {
        return Err(BenchError::Setup("the benchmark's signature did not verify".to_owned()));
    }
    Ok((elapsed_ms, output_len))
}

/// A PeerTube-shaped signed `Create` delivery, as an inbox receives it.
struct SignedPost {
    url: url::Url,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl SignedPost {
    /// What the inbox does before the RSA check: parse, check the rules and the digest, build
    /// the signing string.
    fn plan(&self) -> Result<edgetube_activitypub::signatures::incoming::Plan, BenchError> {
        edgetube_activitypub::signatures::incoming::verification_plan(
            &http::Method::POST,
            &self.url,
            &self.headers,
            Some(&self.body),
            NOW_MS,
            std::time::Duration::from_secs(1800),
        )
        .map_err(setup)
    }
}

/// The body of the measured deliveries: about the size of PeerTube's `Create{Video}` (9 kB).
fn activity_body() -> Vec<u8> {
    let padding = "x".repeat(8_000);
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "id": "https://tube.example/videos/watch/1/activity",
        "actor": "https://tube.example/accounts/root",
        "object": {"type": "Note", "id": "https://tube.example/videos/watch/1", "content": padding},
    })
    .to_string()
    .into_bytes()
}

fn delivery_request() -> Result<edgetube_activitypub::signatures::cavage::CavageOutgoing, BenchError> {
    let url = url::Url::parse("https://peer.example/inbox").map_err(setup)?;
    edgetube_activitypub::signatures::cavage::CavageOutgoing::prepare(
        &http::Method::POST,
        &url,
        Some(&activity_body()),
        NOW_MS,
    )
    .map_err(setup)
}

async fn signed_inbox_post(port: &dyn Crypto, pair: &RsaKeyPair) -> Result<SignedPost, BenchError> {
    let url = url::Url::parse("https://tube.example/inbox").map_err(setup)?;
    let body = activity_body();
    let prepared = edgetube_activitypub::signatures::cavage::CavageOutgoing::prepare(
        &http::Method::POST,
        &url,
        Some(&body),
        NOW_MS,
    )
    .map_err(setup)?;
    let signature = port.sign_rsa_sha256(&pair.private_pkcs8_der, prepared.signing_string.as_bytes()).await?;
    let mut headers = http::HeaderMap::new();
    for (name, value) in &prepared.headers {
        headers.insert(name.clone(), value.parse().map_err(setup)?);
    }
    let value = prepared
        .signature_header("https://peer.example/accounts/alice#main-key", &signature)
        .map_err(setup)?;
    headers.insert(http::header::HeaderName::from_static("signature"), value.parse().map_err(setup)?);
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/activity+json"));
    Ok(SignedPost { url, headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Clock for Fixed {
        fn now_millis(&self) -> i64 {
            0
        }
    }

    fn run_query(query: &str) -> http::Response<Bytes> {
        futures::executor::block_on(crypto(&edgetube_native::NativeCrypto, &Fixed, Some(query)))
    }

    #[test]
    fn signatures_verify_both_ways() {
        for implementation in ["port", "rust"] {
            for op in ["inbox", "verify"] {
                let response = run_query(&format!("impl={implementation}&op={op}&n=1"));
                assert_eq!(response.status(), 200, "{implementation} {op}");
                let body: serde_json::Value = serde_json::from_slice(response.body()).expect("json");
                assert_eq!(body["output_len"], 1, "{implementation} {op}");
            }
        }
    }

    #[test]
    fn unknown_parameters_are_refused() {
        assert_eq!(run_query("impl=port&op=ed25519-sign").status(), 400);
        assert_eq!(run_query("impl=java&op=sign").status(), 400);
    }
}
