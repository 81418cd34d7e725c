//! What the signature tests share: the captured PeerTube and Mastodon material (read-only, under
//! `shared/reference` and `shared/fixtures`), request building, and real RSA with the `rsa` crate
//! standing in for the crypto port.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;

use edgetube_activitypub::signatures::keys;
use http::{HeaderMap, HeaderName, HeaderValue};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `/work/shared`, from this crate's manifest.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

pub fn deliveries() -> PathBuf {
    shared().join("reference/peertube-samples/deliveries")
}

pub fn fixtures() -> PathBuf {
    shared().join("fixtures/activitypub")
}

pub fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A header map from `[name, value]` pairs, in order, repeated names appended.
pub fn header_map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers
            .append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    headers
}

/// The `[name, value]` pairs of a vectors.json / inbound-to-peertube.json request.
pub fn pairs(headers: &Value) -> Vec<(&str, &str)> {
    headers
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
        .collect()
}

/// Unix milliseconds of an HTTP date.
pub fn date_ms(date: &str) -> u64 {
    let time = httpdate::parse_http_date(date).unwrap();
    u64::try_from(time.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// The crypto port's `verify_rsa_sha256(spki_der, message, signature)`.
pub fn verify_rsa_sha256(spki_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let key = RsaPublicKey::from_public_key_der(spki_der).unwrap();
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message), signature).is_ok()
}

/// The crypto port's `sign_rsa_sha256(private key, message)`.
pub fn sign_rsa_sha256(key: &RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message)).unwrap()
}

/// A `publicKeyPem` as the SPKI DER the port takes, through the crate's own reader.
pub fn spki(pem: &str) -> Vec<u8> {
    keys::pem_to_spki_der(pem).unwrap()
}
