//! PeerTube's JSON-LD signatures (`RsaSignature2017`), read but not verified.
//!
//! Verifying one needs URDNA2015 canonicalization, i.e. JSON-LD expansion against remote
//! contexts: too heavy for a Worker, and only needed for activities forwarded by a third party
//! (PeerTube verifies them only when the body's `actor` is not the HTTP signer). Edgetube instead
//! refetches such an activity's object from its origin. This module only parses the `signature`
//! object, so the caller can tell a forwarded, LD-signed activity from a plain one and log who
//! claims to have signed it.

use serde_json::Value;

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
