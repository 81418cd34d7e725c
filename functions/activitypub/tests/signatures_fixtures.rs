//! PeerTube's own signature fixtures (`shared/fixtures/activitypub`, from PeerTube's test suite):
//! Mastodon's signed request and keys, good and bad, and JSON-LD-signed activities.
//!
//! The Mastodon request's body is stored as parsed JSON, so its raw bytes (and their digest) are
//! lost: like PeerTube's own unit test, the good one is checked at the signing-string level, and
//! the full inbox plan is shown refusing the stored body for its digest.

#![allow(clippy::unwrap_used)]

mod signatures_support;

use edgetube_activitypub::signatures::incoming::verification_plan;
use edgetube_activitypub::signatures::{
    cavage, integrity, ld_signature, Algorithm, SignatureError, DEFAULT_MAX_SKEW,
};
use http::{HeaderMap, Method};
use serde_json::Value;
use signatures_support::*;
use url::Url;

/// PeerTube's test posts it to `/accounts/ronan/inbox` (the only path its signature fits).
const PATH: &str = "/accounts/ronan/inbox";

fn mastodon(file: &str) -> (HeaderMap, Value) {
    let fixture = read_json(fixtures().join("mastodon").join(file));
    let headers = fixture["headers"].as_object().unwrap();
    let map = header_map(headers.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())));
    (map, fixture["body"].clone())
}

fn mastodon_key(file: &str) -> Vec<u8> {
    spki(read_json(fixtures().join("mastodon").join(file))["publicKey"].as_str().unwrap())
}

/// Parses the signature and verifies its signing string with `key`, as PeerTube's unit test does.
fn signature_verifies(headers: &HeaderMap, key: &[u8]) -> bool {
    let sig = cavage::parse(headers.get("signature").unwrap().to_str().unwrap()).unwrap();
    assert_eq!(sig.algorithm(), Ok(Algorithm::RsaSha256));
    assert_eq!(sig.headers, ["(request-target)", "host", "date", "digest", "content-type"]);
    let message = cavage::signing_string(&sig, &Method::POST, PATH, headers).unwrap();
    verify_rsa_sha256(key, &message, &sig.signature)
}

fn now_of(headers: &HeaderMap) -> u64 {
    date_ms(headers.get("date").unwrap().to_str().unwrap())
}

#[test]
fn mastodon_good_signature_verifies() {
    let (headers, _) = mastodon("http-signature.json");
    assert!(signature_verifies(&headers, &mastodon_key("public-key.json")));
}

#[test]
fn mastodon_bad_signature_is_refused() {
    let (headers, _) = mastodon("bad-http-signature.json");
    assert!(!signature_verifies(&headers, &mastodon_key("public-key.json")));
}

#[test]
fn mastodon_bad_public_key_is_refused() {
    let (headers, _) = mastodon("http-signature.json");
    assert!(!signature_verifies(&headers, &mastodon_key("bad-public-key.json")));
}

#[test]
fn mastodon_bad_body_is_refused_by_its_digest() {
    let (headers, body) = mastodon("bad-body-http-signature.json");
    let url = Url::parse(&format!("http://localhost{PATH}")).unwrap();
    let bytes = serde_json::to_vec(&body).unwrap();
    let plan =
        verification_plan(&Method::POST, &url, &headers, Some(&bytes), now_of(&headers), DEFAULT_MAX_SKEW);
    assert_eq!(plan, Err(SignatureError::DigestMismatch("Digest")));
}

#[test]
fn mastodon_signature_from_2018_is_too_old_today() {
    let (headers, _) = mastodon("http-signature.json");
    let url = Url::parse(&format!("http://localhost{PATH}")).unwrap();
    let plan = verification_plan(
        &Method::POST,
        &url,
        &headers,
        None,
        date_ms("Sat, 21 Nov 2026 21:37:10 GMT"),
        DEFAULT_MAX_SKEW,
    );
    assert!(matches!(plan, Err(SignatureError::TooOld { what: "date", .. })));
}

#[test]
fn mastodon_signature_with_a_scheme_prefix_parses() {
    let (mut headers, _) = mastodon("http-signature.json");
    let value = format!("Signature {}", headers.get("signature").unwrap().to_str().unwrap());
    headers.insert("signature", value.parse().unwrap());
    assert!(signature_verifies(&headers, &mastodon_key("public-key.json")));
}

#[test]
fn ld_signatures_parse() {
    for file in ["create.json", "create-bad-signature.json"] {
        let activity = read_json(fixtures().join("mastodon").join(file));
        let signature = ld_signature::parse(&activity).unwrap().unwrap();
        assert_eq!(signature.kind, "RsaSignature2017");
        assert_eq!(signature.creator_actor(), "http://localhost:3000/users/ronan2");
        assert_eq!(signature.creator_actor(), activity["actor"].as_str().unwrap());
        // No `proof`: nothing for FEP-8b32 to check either.
        assert!(integrity::parse_proof(&activity).is_err());
    }
    let (_, body) = mastodon("http-signature.json");
    assert!(ld_signature::parse(&body).unwrap().is_some());
    let announce = read_json(fixtures().join("peertube/announce-without-context.json"));
    assert_eq!(ld_signature::parse(&announce), Ok(None));
}
