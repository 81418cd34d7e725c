//! `/__bench/crypto`: RSA-2048 in this Worker through WebCrypto and through the pure-Rust `rsa`
//! crate, measured in the same isolate; and federation's per-request crypto: verifying a signed
//! inbox POST (the whole `verification_plan` and the RSA check) and signing a delivery, both
//! ways, plus ed25519 (pure Rust everywhere). Mounted only when `BENCH_ENDPOINTS` is `true` (local
//! configuration); `tests/bench/worker.sh` drives it and writes BENCHMARKS.md figures.

use edgetube_ports::Crypto;
use rand::rngs::OsRng;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
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
    let signed = signed_inbox_post(&crypto, &pair).await?;
    let rust_key = RsaPrivateKey::from_pkcs8_der(&pair.private_pkcs8_der)
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    let ed25519 = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let ed25519_signature = ed25519.sign(MESSAGE);
    let started = worker::Date::now().as_millis();
    let mut output_len = 0usize;
    for _ in 0..n {
        match (implementation, op) {
            ("webcrypto", "inbox") => {
                let plan = signed.plan()?;
                let ok = crypto.verify_rsa_sha256(&pair.public_spki_der, &plan.message, &plan.signature).await;
                output_len = usize::from(ok.map_err(fail)?);
            }
            ("rust", "inbox") => {
                let plan = signed.plan()?;
                let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(rust_key.to_public_key());
                let signature = rsa::pkcs1v15::Signature::try_from(plan.signature.as_slice())
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                output_len = usize::from(key.verify(&plan.message, &signature).is_ok());
            }
            ("webcrypto", "delivery") => {
                let prepared = delivery_request()?;
                output_len = crypto
                    .sign_rsa_sha256(&pair.private_pkcs8_der, prepared.signing_string.as_bytes())
                    .await
                    .map_err(fail)?
                    .len();
            }
            ("rust", "delivery") => {
                let prepared = delivery_request()?;
                output_len =
                    SigningKey::<Sha256>::new(rust_key.clone()).sign(prepared.signing_string.as_bytes()).to_vec().len();
            }
            ("rust", "ed25519-sign") => output_len = ed25519.sign(MESSAGE).to_bytes().len(),
            ("rust", "ed25519-verify") => {
                output_len = usize::from(ed25519.verifying_key().verify_strict(MESSAGE, &ed25519_signature).is_ok());
            }
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
            _ => {
                return Response::error(
                    "impl must be webcrypto or rust, op sign, keygen, pbkdf2, inbox, delivery, ed25519-sign or ed25519-verify",
                    400,
                )
            }
        }
    }
    let elapsed_ms = worker::Date::now().as_millis() - started;
    if output_len == 0 && matches!(op, "inbox" | "ed25519-verify") {
        return Response::error("the benchmark's signature did not verify", 500);
    }
    Response::from_json(&serde_json::json!({
        "impl": implementation, "op": op, "n": n, "elapsed_ms_inside": elapsed_ms, "output_len": output_len
    }))
}

/// A PeerTube-shaped signed `Create` delivery, as an inbox receives it.
struct SignedPost {
    url: url::Url,
    headers: http::HeaderMap,
    body: Vec<u8>,
    now_ms: u64,
}

impl SignedPost {
    /// What the inbox does before the RSA check: parse, check the rules and the digest, build
    /// the signing string.
    fn plan(&self) -> worker::Result<edgetube_activitypub::signatures::incoming::Plan> {
        edgetube_activitypub::signatures::incoming::verification_plan(
            &http::Method::POST,
            &self.url,
            &self.headers,
            Some(&self.body),
            self.now_ms,
            std::time::Duration::from_secs(1800),
        )
        .map_err(|e| worker::Error::RustError(e.to_string()))
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

fn delivery_request() -> worker::Result<edgetube_activitypub::signatures::cavage::CavageOutgoing> {
    let url =
        url::Url::parse("https://peer.example/inbox").map_err(|e| worker::Error::RustError(e.to_string()))?;
    edgetube_activitypub::signatures::cavage::CavageOutgoing::prepare(
        &http::Method::POST,
        &url,
        Some(&activity_body()),
        1_795_297_812_254,
    )
    .map_err(|e| worker::Error::RustError(e.to_string()))
}

async fn signed_inbox_post(
    crypto: &WebCrypto,
    pair: &edgetube_ports::RsaKeyPair,
) -> worker::Result<SignedPost> {
    let fail = |e: String| worker::Error::RustError(e);
    let url = url::Url::parse("https://tube.example/inbox").map_err(|e| fail(e.to_string()))?;
    let body = activity_body();
    let now_ms = 1_795_297_812_254;
    let prepared = edgetube_activitypub::signatures::cavage::CavageOutgoing::prepare(
        &http::Method::POST,
        &url,
        Some(&body),
        now_ms,
    )
    .map_err(|e| fail(e.to_string()))?;
    let signature = crypto
        .sign_rsa_sha256(&pair.private_pkcs8_der, prepared.signing_string.as_bytes())
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut headers = http::HeaderMap::new();
    for (name, value) in &prepared.headers {
        headers.insert(name.clone(), value.parse().map_err(|_| fail("header".into()))?);
    }
    let value = prepared
        .signature_header("https://peer.example/accounts/alice#main-key", &signature)
        .map_err(|e| fail(e.to_string()))?;
    headers.insert("signature", value.parse().map_err(|_| fail("header".into()))?);
    headers.insert("content-type", http::HeaderValue::from_static("application/activity+json"));
    Ok(SignedPost { url, headers, body, now_ms })
}
