//! PeerTube's (and Mastodon's) JSON-LD signatures, `RsaSignature2017`: parsed, and planned for
//! verification.
//!
//! PeerTube signs every activity it sends with one and checks it only on activities forwarded by
//! a third party (the body's `actor` is not the HTTP signer), as the author's word that survives
//! forwarding. The signed bytes are the 128 ASCII characters `optionsHash ‖ documentHash`:
//! - `optionsHash`: hex SHA-256 of the canonical N-Quads of `{"@context": [security/v1,
//!   {RsaSignature2017}], creator, created}` (the signature without `type`, `id` and
//!   `signatureValue`);
//! - `documentHash`: hex SHA-256 of the canonical N-Quads of the activity without `signature`.
//!
//! [`verification_plan`] computes them ([`super::urdna2015`], offline and bounded) and returns a
//! [`LdPlan`]: the key to fetch and the bytes to verify with RSASSA-PKCS1-v1_5 SHA-256, which the
//! caller does through its crypto port, as with HTTP signatures.

use base64::Engine;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::urdna2015::{self, CanonicalizationError, Limits};
use super::SignatureError;

/// The signature type PeerTube and Mastodon add.
pub const RSA_SIGNATURE_2017: &str = "RsaSignature2017";

/// An activity's `signature` object. Nothing in it is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdSignature {
    /// `type` (`RsaSignature2017`).
    pub kind: String,
    /// `creator`: the key id (`https://…/users/alice#main-key`).
    pub creator: String,
    /// `created`, as written.
    pub created: Option<String>,
    /// `signatureValue`, base64 as written.
    pub signature_value: String,
}

impl LdSignature {
    /// The creator without its `#fragment`: the actor who claims to have signed.
    pub fn creator_actor(&self) -> &str {
        self.creator.split_once('#').map_or(self.creator.as_str(), |(actor, _)| actor)
    }
}

/// The `signature` of an activity: `Ok(None)` when it has none, an error when it has one that
/// is not a well-formed `RsaSignature2017`.
pub fn parse(document: &Value) -> Result<Option<LdSignature>, SignatureError> {
    let invalid = |what: &str| SignatureError::InvalidProof(format!("signature: {what}"));
    let Some(signature) = document.get("signature") else { return Ok(None) };
    let Value::Object(signature) = signature else { return Err(invalid("not an object")) };
    let text = |key: &str| signature.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = text("type").ok_or_else(|| invalid("type is missing"))?;
    if kind != RSA_SIGNATURE_2017 {
        return Err(SignatureError::InvalidProof(format!("signature type {kind:?} is not RsaSignature2017")));
    }
    Ok(Some(LdSignature {
        kind,
        creator: text("creator").ok_or_else(|| invalid("creator is missing"))?,
        created: text("created"),
        signature_value: text("signatureValue").ok_or_else(|| invalid("signatureValue is missing"))?,
    }))
}

/// The `@context` PeerTube hashes the signature options under.
const OPTIONS_CONTEXT: [&str; 2] =
    ["https://w3id.org/security/v1", "https://w3id.org/security#RsaSignature2017"];

/// Why an `RsaSignature2017` cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LdSignatureError {
    /// The document is not an object.
    #[error("a JSON-LD signed document is an object")]
    NotAnObject,
    /// The document carries no `signature`.
    #[error("the document has no JSON-LD signature")]
    Unsigned,
    /// The `signature` is malformed or not an `RsaSignature2017`.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The document or the signature options cannot be canonicalized.
    #[error(transparent)]
    Canonicalization(#[from] CanonicalizationError),
}

/// What verifying an `RsaSignature2017` takes: the key of [`LdSignature::creator`], and the
/// message and signature for RSASSA-PKCS1-v1_5 SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdPlan {
    /// The parsed `signature`.
    pub signature: LdSignature,
    /// `optionsHash ‖ documentHash`: 128 lowercase hex characters, the bytes that were signed.
    pub message: String,
    /// `signatureValue`, decoded.
    pub signature_bytes: Vec<u8>,
}

impl LdPlan {
    /// The actor whose key must verify it: the creator without its `#fragment`.
    pub fn actor(&self) -> &str {
        self.signature.creator_actor()
    }
}

/// Plans the verification of `document`'s `RsaSignature2017` with the default [`Limits`].
pub fn verification_plan(document: &Value) -> Result<LdPlan, LdSignatureError> {
    verification_plan_with(document, &Limits::default())
}

/// Plans the verification of `document`'s `RsaSignature2017`: parses the signature, hashes the
/// options and the document as PeerTube does, and decodes the signature value.
pub fn verification_plan_with(document: &Value, limits: &Limits) -> Result<LdPlan, LdSignatureError> {
    let Value::Object(fields) = document else { return Err(LdSignatureError::NotAnObject) };
    let signature = parse(document)?.ok_or(LdSignatureError::Unsigned)?;
    let signature_bytes = base64::engine::general_purpose::STANDARD
        .decode(signature.signature_value.trim())
        .map_err(|_| SignatureError::InvalidBase64("signatureValue"))?;
    let mut options = Map::new();
    options.insert(
        "@context".into(),
        serde_json::json!([OPTIONS_CONTEXT[0], {RSA_SIGNATURE_2017: OPTIONS_CONTEXT[1]}]),
    );
    // Every member but type, id and signatureValue, as PeerTube's `omit` keeps them.
    if let Some(Value::Object(members)) = fields.get("signature") {
        for (key, value) in members {
            if !matches!(key.as_str(), "type" | "id" | "signatureValue") {
                options.insert(key.clone(), value.clone());
            }
        }
    }
    let options_hash = sha256_hex(&urdna2015::canonical_nquads_with(&Value::Object(options), limits)?);
    let mut unsigned = fields.clone();
    unsigned.remove("signature");
    let document_hash = sha256_hex(&urdna2015::canonical_nquads_with(&Value::Object(unsigned), limits)?);
    Ok(LdPlan { signature, message: options_hash + &document_hash, signature_bytes })
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cases() {
        assert_eq!(parse(&json!({"type": "Create"})), Ok(None));
        let signed = json!({"signature": {"type": "RsaSignature2017", "creator": "https://a/u#main-key", "created": "2018-10-22T12:43:08Z", "signatureValue": "AAAA"}});
        let parsed = parse(&signed).unwrap().unwrap();
        assert_eq!(parsed.creator_actor(), "https://a/u");
        assert_eq!(parsed.created.as_deref(), Some("2018-10-22T12:43:08Z"));
        assert!(parse(&json!({"signature": "x"})).is_err());
        assert!(parse(
            &json!({"signature": {"type": "Ed25519Signature2018", "creator": "a", "signatureValue": "b"}})
        )
        .is_err());
        assert!(parse(&json!({"signature": {"type": "RsaSignature2017", "signatureValue": "b"}})).is_err());
    }
}
