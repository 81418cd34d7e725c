//! The 42 requests PeerTube 7.0.0 delivered to a test peer, and the 7 that peer sent back
//! (`shared/reference/peertube-samples/deliveries`): every signed one verifies with real RSA, any
//! change to it is refused, and our outgoing side rebuilds PeerTube's headers byte for byte.

#![allow(clippy::unwrap_used)]

mod signatures_support;

use std::time::Duration;

use edgetube_activitypub::signatures::incoming::{verification_plan, Plan};
use edgetube_activitypub::signatures::outgoing::CavageOutgoing;
use edgetube_activitypub::signatures::{keys, Algorithm, Scheme, SignatureError, DEFAULT_MAX_SKEW};
use http::{HeaderMap, HeaderValue, Method};
use rsa::pkcs1::DecodeRsaPrivateKey;
use serde_json::Value;
use signatures_support::*;
use url::Url;

/// One captured request.
struct Captured {
    n: u64,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Vec<u8>,
    vector: Value,
}

impl Captured {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }

    fn now_ms(&self) -> u64 {
        date_ms(self.header("date"))
    }

    fn body(&self) -> Option<&[u8]> {
        (self.method == Method::POST).then_some(self.body.as_slice())
    }

    fn plan(&self) -> Result<Plan, SignatureError> {
        self.plan_with(&self.headers, self.body(), self.now_ms())
    }

    fn plan_with(
        &self,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        now_ms: u64,
    ) -> Result<Plan, SignatureError> {
        verification_plan(&self.method, &self.url, headers, body, now_ms, DEFAULT_MAX_SKEW)
    }
}

fn captured(vector: &Value) -> Captured {
    let headers = header_map(pairs(&vector["headers"]));
    let host = headers.get("host").unwrap().to_str().unwrap();
    Captured {
        n: vector["n"].as_u64().unwrap(),
        method: vector["method"].as_str().unwrap().parse().unwrap(),
        url: Url::parse(&format!("http://{host}{}", vector["path"].as_str().unwrap())).unwrap(),
        body: vector["body"].as_str().unwrap().as_bytes().to_vec(),
        headers,
        vector: vector.clone(),
    }
}

fn vectors() -> Vec<Captured> {
    let all = read_json(deliveries().join("vectors.json"));
    let all: Vec<Captured> = all.as_array().unwrap().iter().map(captured).collect();
    assert_eq!(all.len(), 42);
    all
}

fn signed() -> Vec<Captured> {
    let signed: Vec<Captured> =
        vectors().into_iter().filter(|c| c.headers.contains_key("signature")).collect();
    assert_eq!(signed.len(), 38, "README: 25 POSTs and 13 GETs are signed");
    signed
}

/// The sender's public key as SPKI DER, from the file the vector names.
fn sender_key(c: &Captured) -> Vec<u8> {
    let file = c.vector["http_signature"]["public_key_file"].as_str().unwrap();
    spki(&std::fs::read_to_string(deliveries().join(file)).unwrap())
}

fn rsa_verifies(plan: &Plan, spki_der: &[u8]) -> bool {
    plan.check_rsa_key().is_ok() && plan.messages().any(|m| verify_rsa_sha256(spki_der, m, &plan.signature))
}

#[test]
fn every_signed_delivery_verifies() {
    let mut posts = 0;
    for c in signed() {
        let plan = c.plan().unwrap_or_else(|e| panic!("#{}: {e}", c.n));
        assert_eq!(plan.scheme, Scheme::Cavage);
        assert_eq!(plan.algorithm, Algorithm::RsaSha256);
        assert_eq!(plan.key_id, c.vector["http_signature"]["keyId"].as_str().unwrap());
        assert_eq!(plan.actor_id, plan.key_id, "PeerTube's keyId is the actor URL");
        assert_eq!(
            String::from_utf8(plan.message.clone()).unwrap(),
            c.vector["http_signature"]["signing_string"].as_str().unwrap(),
            "#{}",
            c.n
        );
        assert_eq!(plan.legacy_message, None, "no signed request has a query");
        assert!(rsa_verifies(&plan, &sender_key(&c)), "#{} does not verify", c.n);
        if c.method == Method::POST {
            posts += 1;
            assert_eq!(plan.covered, ["(request-target)", "host", "date", "digest"]);
        } else {
            assert_eq!(plan.covered, ["(request-target)", "host", "date"]);
        }
    }
    assert_eq!(posts, 25);
}

#[test]
fn unsigned_requests_are_refused_as_unsigned() {
    let unsigned: Vec<Captured> =
        vectors().into_iter().filter(|c| !c.headers.contains_key("signature")).collect();
    assert_eq!(unsigned.len(), 4, "the WebFinger lookups");
    for c in unsigned {
        assert_eq!(c.plan_with(&c.headers, None, 0), Err(SignatureError::Unsigned));
    }
}

#[test]
fn a_changed_signed_header_no_longer_verifies() {
    for c in signed() {
        for (name, value) in [("host", "127.0.0.1:8098"), ("date", "Sat, 21 Nov 2026 21:37:11 GMT")] {
            if name == "date" && c.header("date") == value {
                continue;
            }
            let mut headers = c.headers.clone();
            headers.insert(name, HeaderValue::from_static(value));
            let plan = c.plan_with(&headers, c.body(), c.now_ms()).unwrap();
            assert!(!rsa_verifies(&plan, &sender_key(&c)), "#{} verifies with {name} changed", c.n);
        }
        // The same request at another path.
        let mut moved = Captured { url: c.url.join("/other").unwrap(), ..captured(&c.vector) };
        moved.headers = c.headers.clone();
        assert!(!rsa_verifies(&moved.plan().unwrap(), &sender_key(&c)), "#{} verifies at another path", c.n);
        // An unsigned header may change freely.
        let mut headers = c.headers.clone();
        headers.insert("user-agent", HeaderValue::from_static("curl"));
        assert!(rsa_verifies(&c.plan_with(&headers, c.body(), c.now_ms()).unwrap(), &sender_key(&c)));
    }
}

#[test]
fn a_changed_body_is_refused_by_its_digest() {
    for c in signed().into_iter().filter(|c| c.method == Method::POST) {
        let mut body = c.body.clone();
        body.push(b' ');
        assert_eq!(
            c.plan_with(&c.headers, Some(&body), c.now_ms()),
            Err(SignatureError::DigestMismatch("Digest")),
            "#{}",
            c.n
        );
        assert_eq!(c.plan_with(&c.headers, None, c.now_ms()), Err(SignatureError::DigestMismatch("Digest")));
        // A digest of the changed body does not help: the digest header is signed.
        let mut headers = c.headers.clone();
        let digest = edgetube_activitypub::signatures::digest::digest_header(&body);
        headers.insert("digest", HeaderValue::from_str(&digest).unwrap());
        let plan = c.plan_with(&headers, Some(&body), c.now_ms()).unwrap();
        assert!(!rsa_verifies(&plan, &sender_key(&c)));
    }
}

#[test]
fn the_clock_window_is_1800_seconds_either_way() {
    for c in signed() {
        let now = c.now_ms();
        for ok in [now - 1_800_000, now + 1_800_999] {
            assert!(c.plan_with(&c.headers, c.body(), ok).is_ok(), "#{}", c.n);
        }
        assert!(matches!(
            c.plan_with(&c.headers, c.body(), now + 1_801_000),
            Err(SignatureError::TooOld { what: "date", age_s: 1801, max_skew_s: 1800 })
        ));
        assert!(matches!(
            c.plan_with(&c.headers, c.body(), now - 1_801_000),
            Err(SignatureError::InFuture { what: "date", ahead_s: 1801, max_skew_s: 1800 })
        ));
        let narrow =
            verification_plan(&c.method, &c.url, &c.headers, c.body(), now + 61_000, Duration::from_secs(60));
        assert!(matches!(narrow, Err(SignatureError::TooOld { .. })));
    }
}

#[test]
fn outgoing_rebuilds_peertube_headers_byte_for_byte() {
    for c in signed() {
        let body = c.body();
        let out = CavageOutgoing::prepare(&c.method, &c.url, body, c.now_ms()).unwrap();
        assert_eq!(
            out.signing_string,
            c.vector["http_signature"]["signing_string"].as_str().unwrap(),
            "#{}",
            c.n
        );
        for (name, value) in &out.headers {
            assert_eq!(c.header(name.as_str()), value, "#{} {name}", c.n);
        }
        let captured_signature = c.vector["http_signature"]["signature"].as_str().unwrap();
        let bytes = base64_decode(captured_signature);
        let key_id = c.vector["http_signature"]["keyId"].as_str().unwrap();
        assert_eq!(out.signature_header(key_id, &bytes).unwrap(), c.header("signature"), "#{}", c.n);
    }
}

/// PeerTube's private keys are not in the samples (only the actors' public keys are), so the
/// capture's own signatures cannot be remade. PeerTube's test key (`fixtures/.../keys.json`)
/// shows the other half: RSASSA-PKCS1-v1_5 is deterministic, and what we sign verifies.
#[test]
fn re_signing_a_capture_is_deterministic_and_verifies() {
    let fixture = read_json(fixtures().join("peertube/keys.json"));
    let private = rsa::RsaPrivateKey::from_pkcs1_pem(fixture["privateKey"].as_str().unwrap()).unwrap();
    let public = spki(fixture["publicKey"].as_str().unwrap());
    let invalid =
        spki(read_json(fixtures().join("peertube/invalid-keys.json"))["publicKey"].as_str().unwrap());
    let c = signed().into_iter().find(|c| c.n == 6).unwrap();
    let out = CavageOutgoing::prepare(&c.method, &c.url, c.body(), c.now_ms()).unwrap();
    let signature = sign_rsa_sha256(&private, out.signing_string.as_bytes());
    assert_eq!(signature, sign_rsa_sha256(&private, out.signing_string.as_bytes()));
    let header = out.signature_header("http://127.0.0.1:9000/accounts/peertube", &signature).unwrap();

    let mut headers = c.headers.clone();
    headers.insert("signature", HeaderValue::from_str(&header).unwrap());
    let plan = c.plan_with(&headers, c.body(), c.now_ms()).unwrap();
    assert!(rsa_verifies(&plan, &public));
    assert!(!rsa_verifies(&plan, &invalid), "invalid-keys.json's public key is not the private key's");
    assert!(!rsa_verifies(&plan, &sender_key(&c)));
}

#[test]
fn requests_signed_for_peertube_verify() {
    let inbound = read_json(deliveries().join("inbound-to-peertube.json"));
    let alice = spki(&std::fs::read_to_string(deliveries().join("keys/peer-alice.pem")).unwrap());
    let exchanges = inbound["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 7);
    for exchange in exchanges {
        let request = &exchange["request"];
        let headers = header_map(pairs(&request["headers"]));
        let host = headers.get("host").unwrap().to_str().unwrap();
        let url = Url::parse(&format!("http://{host}{}", request["path"].as_str().unwrap())).unwrap();
        let body = request["body"].as_str().unwrap().as_bytes();
        let now = date_ms(headers.get("date").unwrap().to_str().unwrap());
        let plan =
            verification_plan(&Method::POST, &url, &headers, Some(body), now, DEFAULT_MAX_SKEW).unwrap();
        assert_eq!(plan.key_id, "http://127.0.0.1:8097/users/alice#main-key");
        assert_eq!(plan.actor_id, "http://127.0.0.1:8097/users/alice");
        assert!(rsa_verifies(&plan, &alice), "{}", exchange["purpose"]);
        assert_eq!(exchange["response"]["status"], 204, "PeerTube accepted it too");
    }
}

#[test]
fn published_keys_round_trip_through_pem() {
    for file in
        ["account-root.pem", "channel-root_channel.pem", "instance-actor-peertube.pem", "peer-alice.pem"]
    {
        let pem = std::fs::read_to_string(deliveries().join("keys").join(file)).unwrap();
        let keys::PublicKey::Rsa { spki_der, bits } = keys::public_key_from_pem(&pem).unwrap() else {
            panic!("{file} is not RSA")
        };
        assert_eq!(bits, if file == "peer-alice.pem" { 2048 } else { 1024 });
        assert_eq!(keys::spki_der_to_pem(&spki_der), pem, "{file}");
    }
    let actor = read_json(shared().join("reference/peertube-samples/activitypub/actor-account-person.json"));
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    assert_eq!(keys::spki_der_to_pem(&keys::pem_to_spki_der(pem).unwrap()), pem);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
