//! `RsaSignature2017` verification against real signed documents: the 25 JSON-LD-signed bodies
//! PeerTube 7.0.0 delivered (`shared/reference/peertube-samples/deliveries/vectors.json`) and
//! Mastodon's signed `Create` (`shared/fixtures/activitypub/mastodon`), with real RSA. Each must
//! verify as sent, and fail once any field of it is changed.

#![allow(clippy::unwrap_used)]

mod signatures_support;

use edgetube_activitypub::signatures::ld_signature::{verification_plan, LdPlan, LdSignatureError};
use edgetube_activitypub::signatures::urdna2015::CanonicalizationError;
use serde_json::{json, Value};
use signatures_support::*;

/// The signed deliveries: body, the signer's SPKI key, and the hashes PeerTube's side recorded.
fn signed_deliveries() -> Vec<(Value, Vec<u8>, Value)> {
    let all = read_json(deliveries().join("vectors.json"));
    all.as_array()
        .unwrap()
        .iter()
        .filter(|vector| vector.get("ld_signature").is_some())
        .map(|vector| {
            let body: Value = serde_json::from_str(vector["body"].as_str().unwrap()).unwrap();
            // The LD signature's creator is the HTTP signer: its key file is the HTTP signature's.
            let key_id = vector["http_signature"]["keyId"].as_str().unwrap();
            assert_eq!(body["signature"]["creator"].as_str().unwrap(), key_id);
            let file = vector["http_signature"]["public_key_file"].as_str().unwrap();
            let key = spki(&std::fs::read_to_string(deliveries().join(file)).unwrap());
            (body, key, vector["ld_signature"].clone())
        })
        .collect()
}

fn verifies(plan: &LdPlan, key: &[u8]) -> bool {
    verify_rsa_sha256(key, plan.message.as_bytes(), &plan.signature_bytes)
}

#[test]
fn every_peertube_delivery_verifies() {
    let deliveries = signed_deliveries();
    assert_eq!(deliveries.len(), 25);
    for (body, key, recorded) in &deliveries {
        let plan = verification_plan(body).unwrap();
        assert_eq!(plan.message, recorded["signed_string"].as_str().unwrap(), "{}", body["id"]);
        assert_eq!(plan.actor(), body["actor"].as_str().unwrap());
        assert!(verifies(&plan, key), "{}", body["id"]);
    }
}

/// Every scalar of the document (outside `@context` and `signature`), one at a time.
fn scalar_paths(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "@context" || key == "signature" {
                    continue;
                }
                path.push(json!(key));
                scalar_paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(json!(index));
                scalar_paths(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        Value::String(key) => &mut value[key.as_str()],
        Value::Number(index) => &mut value[usize::try_from(index.as_u64().unwrap()).unwrap()],
        _ => unreachable!(),
    })
}

/// A changed value of the same kind: what a forwarder would do to pass its own content off.
fn tampered(value: &Value) -> Value {
    match value {
        Value::String(text) if text.starts_with("http") => json!(format!("{text}x")),
        Value::String(text) => json!(format!("{text} (edited)")),
        Value::Number(number) => json!(number.as_f64().unwrap() + 1.0),
        Value::Bool(flag) => json!(!flag),
        Value::Null => json!("set"),
        _ => unreachable!(),
    }
}

/// Values JSON-LD drops before RDF (no term for them, or `null`) are not signed: changing them
/// cannot be detected, by PeerTube either. Everything else is.
#[test]
fn any_changed_field_fails() {
    let mut checked = 0;
    let mut unsigned = Vec::new();
    for (body, key, _) in signed_deliveries() {
        let mut paths = Vec::new();
        scalar_paths(&body, &mut Vec::new(), &mut paths);
        for path in paths {
            let mut changed = body.clone();
            let target = at(&mut changed, &path);
            if target.is_null() {
                // `null` is "no value" in JSON-LD: setting one adds a value instead.
                continue;
            }
            *target = tampered(target);
            let refused = match verification_plan(&changed) {
                Ok(plan) => !verifies(&plan, &key),
                Err(_) => true,
            };
            if !refused {
                unsigned.push(format!("{} {path:?}", body["type"]));
            }
            checked += 1;
        }
    }
    assert!(checked > 1_000, "{checked}");
    assert_eq!(unsigned, Vec::<String>::new());
}

#[test]
fn a_changed_signature_fails() {
    let (body, key, _) = signed_deliveries().swap_remove(0);
    for (member, value) in [
        ("created", json!("2020-01-01T00:00:00.000Z")),
        ("creator", json!("http://127.0.0.1:9000/accounts/other")),
    ] {
        let mut changed = body.clone();
        changed["signature"][member] = value;
        assert!(!verifies(&verification_plan(&changed).unwrap(), &key), "{member}");
    }
    let mut changed = body.clone();
    changed["signature"]["signatureValue"] = json!("AAAA");
    assert!(!verifies(&verification_plan(&changed).unwrap(), &key));
    changed["signature"]["signatureValue"] = json!("not base64!");
    assert!(matches!(verification_plan(&changed), Err(LdSignatureError::Signature(_))));
    changed.as_object_mut().unwrap().remove("signature");
    assert_eq!(verification_plan(&changed), Err(LdSignatureError::Unsigned));
}

#[test]
fn a_remote_context_is_refused_not_fetched() {
    let (mut body, _, _) = signed_deliveries().swap_remove(0);
    body["@context"].as_array_mut().unwrap().push(json!("https://evil.example/context"));
    assert_eq!(
        verification_plan(&body),
        Err(LdSignatureError::Canonicalization(CanonicalizationError::RemoteContext(
            "https://evil.example/context".into()
        )))
    );
}

#[test]
fn mastodon_create_verifies_and_its_tampered_copy_does_not() {
    let key = spki(read_json(fixtures().join("mastodon/public-key.json"))["publicKey"].as_str().unwrap());
    let good = read_json(fixtures().join("mastodon/create.json"));
    let plan = verification_plan(&good).unwrap();
    assert_eq!(plan.actor(), "http://localhost:3000/users/ronan2");
    assert!(verifies(&plan, &key));
    let bad = read_json(fixtures().join("mastodon/create-bad-signature.json"));
    assert!(!verifies(&verification_plan(&bad).unwrap(), &key));
}

/// Timing on the host: `cargo test -p edgetube-activitypub --release --test ld_signatures -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn time_a_create_video() {
    let deliveries = signed_deliveries();
    let (body, _, _) = deliveries
        .iter()
        .find(|(body, _, _)| body["type"] == "Create" && body["object"]["type"] == "Video")
        .unwrap();
    let rounds = 200u32;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        verification_plan(body).unwrap();
    }
    let each = start.elapsed() / rounds;
    println!(
        "Create{{Video}} ({} bytes): options + document canonicalized and hashed in {each:?}",
        body.to_string().len()
    );
}
