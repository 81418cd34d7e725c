//! FEP-8b32 object integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C Data Integrity
//! EdDSA Cryptosuites v1.0, §3.3): an Ed25519 signature over JCS-canonical JSON that travels
//! inside the object, so a relayed activity can be checked without asking its origin.
//!
//! - proof options: `{type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022",
//!   verificationMethod, proofPurpose: "assertionMethod", created}`, plus the document's
//!   `@context` when it has one;
//! - hash data: SHA-256(JCS(proof options)) ‖ SHA-256(JCS(document without `proof`));
//! - `proofValue`: `z` + base58-btc of the Ed25519 signature over those 64 bytes.
//!
//! JCS (RFC 8785) is `serde_json_canonicalizer`: maintained, pure Rust (builds for wasm), numbers
//! printed the ECMAScript way through `ryu-js`, and tested upstream against the RFC's own
//! examples; `serde_jcs` was revived only recently after years without a release.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::SignatureError;

/// The proof type.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The cryptosuite implemented here.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// The only purpose FEP-8b32 uses.
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// Adds an `eddsa-jcs-2022` proof to `document` (a JSON object without a `proof`).
///
/// `verification_method` is the key's id (`https://…/users/alice#ed25519-key`), `created` an
/// ISO 8601 UTC time (`2023-02-24T23:36:38Z`). Ed25519 is deterministic: the same inputs give the
/// same proof.
pub fn sign_proof(
    document: &Value,
    verification_method: &str,
    created: &str,
    signing_key: &SigningKey,
) -> Result<Value, SignatureError> {
    let cannot = |what: &str| SignatureError::CannotSign(what.to_owned());
    let Value::Object(object) = document else { return Err(cannot("the document is not a JSON object")) };
    if object.contains_key("proof") {
        return Err(cannot("the document already has a proof"));
    }
    if !is_utc_timestamp(created) {
        return Err(cannot("created is not an ISO 8601 UTC time like 2023-02-24T23:36:38Z"));
    }
    let mut options = Map::new();
    options.insert("type".into(), PROOF_TYPE.into());
    options.insert("cryptosuite".into(), CRYPTOSUITE.into());
    options.insert("verificationMethod".into(), verification_method.into());
    options.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    options.insert("created".into(), created.into());
    if let Some(context) = object.get("@context") {
        options.insert("@context".into(), context.clone());
    }
    let data = hash_data(&options, object)?;
    let signature = signing_key.sign(&data);
    options
        .insert("proofValue".into(), format!("z{}", bs58::encode(signature.to_bytes()).into_string()).into());
    let mut signed = object.clone();
    signed.insert("proof".into(), Value::Object(options));
    Ok(Value::Object(signed))
}

/// A parsed proof: which key to fetch, and what it must have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// `verificationMethod`: the key's id, to dereference (FEP-521a `assertionMethod` entry).
    pub verification_method: String,
    /// `created`, as written.
    pub created: Option<String>,
    signature: [u8; 64],
    hash_data: Vec<u8>,
}

impl Proof {
    /// The key's controller: `verificationMethod` without its `#fragment`. It must be the
    /// activity's actor (or the object's `attributedTo`) for the proof to mean anything.
    pub fn controller(&self) -> &str {
        self.verification_method.split_once('#').map_or(self.verification_method.as_str(), |(c, _)| c)
    }

    /// Verifies the proof with the key `verification_method` resolves to.
    pub fn verify(&self, public_key: &[u8; 32]) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(public_key)
            .map_err(|_| SignatureError::InvalidKey("not an Ed25519 public key".into()))?;
        key.verify_strict(&self.hash_data, &Signature::from_bytes(&self.signature))
            .map_err(|_| SignatureError::BadSignature)
    }
}

/// Reads the `eddsa-jcs-2022` proof of `document` and computes what it signs. The caller then
/// fetches [`Proof::verification_method`] and calls [`Proof::verify`].
pub fn parse_proof(document: &Value) -> Result<Proof, SignatureError> {
    let invalid = |what: &str| SignatureError::InvalidProof(what.to_owned());
    let Value::Object(object) = document else { return Err(invalid("the document is not a JSON object")) };
    let proof = match object.get("proof") {
        None => return Err(invalid("the document has no proof")),
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(set)) => match set.as_slice() {
            [Value::Object(proof)] => proof,
            _ => return Err(invalid("proof sets of more than one proof are not supported")),
        },
        Some(_) => return Err(invalid("proof is not an object")),
    };
    let text = |key: &str| proof.get(key).and_then(Value::as_str);
    if text("type") != Some(PROOF_TYPE) {
        return Err(invalid("type is not DataIntegrityProof"));
    }
    match text("cryptosuite") {
        Some(CRYPTOSUITE) => {}
        Some(other) => {
            return Err(SignatureError::InvalidProof(format!("cryptosuite {other:?} is not supported")))
        }
        None => return Err(invalid("cryptosuite is missing")),
    }
    if text("proofPurpose") != Some(PROOF_PURPOSE) {
        return Err(invalid("proofPurpose is not assertionMethod"));
    }
    let verification_method =
        text("verificationMethod").ok_or_else(|| invalid("verificationMethod is missing"))?;
    let created = match proof.get("created") {
        None => None,
        Some(Value::String(created)) if is_utc_timestamp(created) => Some(created.clone()),
        Some(_) => return Err(invalid("created is not an ISO 8601 UTC time")),
    };
    let value = text("proofValue").ok_or_else(|| invalid("proofValue is missing"))?;
    let encoded = value.strip_prefix('z').ok_or_else(|| invalid("proofValue is not base58-btc multibase"))?;
    if encoded.len() > 100 {
        return Err(invalid("proofValue is too long for an Ed25519 signature"));
    }
    let bytes = bs58::decode(encoded).into_vec().map_err(|_| invalid("proofValue is not base58"))?;
    let signature: [u8; 64] =
        bytes.as_slice().try_into().map_err(|_| invalid("proofValue is not 64 bytes"))?;

    let mut options = proof.clone();
    options.remove("proofValue");
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    if let Some(context) = options.get("@context") {
        if !context_starts_with(unsecured.get("@context"), context) {
            return Err(invalid("the proof's @context does not begin the document's @context"));
        }
        unsecured.insert("@context".into(), context.clone());
    }
    Ok(Proof {
        verification_method: verification_method.to_owned(),
        created,
        signature,
        hash_data: hash_data(&options, &unsecured)?,
    })
}

/// [`parse_proof`], then [`Proof::verify`] with the key `resolve` gives for the verification
/// method (`None`: unknown key, refused). Returns the proof, whose controller the caller must
/// still match against the actor.
pub fn verify_proof(
    document: &Value,
    resolve: impl FnOnce(&str) -> Option<[u8; 32]>,
) -> Result<Proof, SignatureError> {
    let proof = parse_proof(document)?;
    let key = resolve(&proof.verification_method).ok_or_else(|| {
        SignatureError::InvalidProof(format!("no key for verificationMethod {}", proof.verification_method))
    })?;
    proof.verify(&key)?;
    Ok(proof)
}

/// SHA-256(JCS(options)) ‖ SHA-256(JCS(document)).
fn hash_data(options: &Map<String, Value>, document: &Map<String, Value>) -> Result<Vec<u8>, SignatureError> {
    let jcs = |value: &Map<String, Value>| {
        serde_json_canonicalizer::to_vec(value).map_err(|e| SignatureError::InvalidProof(format!("JCS: {e}")))
    };
    let mut data = Sha256::digest(jcs(options)?).to_vec();
    data.extend_from_slice(&Sha256::digest(jcs(document)?));
    Ok(data)
}

/// Whether the document's `@context` begins with the proof's (W3C vc-di-eddsa §3.3.2 step 3):
/// equal values, or arrays of which the proof's is a prefix.
fn context_starts_with(document: Option<&Value>, proof: &Value) -> bool {
    let as_list = |value: &Value| match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let Some(document) = document else { return false };
    let (document, proof) = (as_list(document), as_list(proof));
    document.len() >= proof.len() && document.iter().zip(&proof).all(|(d, p)| d == p)
}

/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z`: the XML Schema dateTime in UTC that
/// Data Integrity's `created` is, as every implementation writes it.
fn is_utc_timestamp(text: &str) -> bool {
    let Some(rest) = text.strip_suffix('Z') else { return false };
    let (main, fraction) = match rest.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (rest, None),
    };
    let shape = main.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 | 16 => b == b':',
        _ => b.is_ascii_digit(),
    });
    let fraction_ok =
        fraction.is_none_or(|f| !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()));
    main.len() == 19 && shape && fraction_ok
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // W3C vc-di-eddsa, TestVectors/keyPair.json, unsigned.json and eddsa-jcs-2022/*.
    const SECRET_MULTIBASE: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
    const PUBLIC_MULTIBASE: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const VERIFICATION_METHOD: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const CREATED: &str = "2023-02-24T23:36:38Z";
    const PROOF_VALUE: &str =
        "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX";
    const PROOF_HASH: &str = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db";
    const DOC_HASH: &str = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19";

    fn unsigned() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
        })
    }

    fn signing_key() -> SigningKey {
        let bytes = bs58::decode(&SECRET_MULTIBASE[1..]).into_vec().unwrap();
        assert_eq!(bytes[..2], [0x80, 0x26], "ed25519-priv multicodec");
        SigningKey::from_bytes(&bytes[2..].try_into().unwrap())
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn w3c_vector() {
        let key = signing_key();
        let public = super::super::keys::ed25519_from_multibase(PUBLIC_MULTIBASE).unwrap();
        assert_eq!(key.verifying_key().to_bytes(), public);
        let signed = sign_proof(&unsigned(), VERIFICATION_METHOD, CREATED, &key).unwrap();
        assert_eq!(signed["proof"]["proofValue"], PROOF_VALUE);
        assert_eq!(signed["proof"]["@context"], unsigned()["@context"]);
        let proof = parse_proof(&signed).unwrap();
        assert_eq!(hex(&proof.hash_data), format!("{PROOF_HASH}{DOC_HASH}"));
        assert_eq!(proof.controller(), "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");
        assert_eq!(proof.created.as_deref(), Some(CREATED));
        let verified = verify_proof(&signed, |vm| (vm == VERIFICATION_METHOD).then_some(public)).unwrap();
        assert_eq!(verified, proof);
    }

    #[test]
    fn activity_round_trip_and_tampering() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key().to_bytes();
        let note = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
            "id": "https://edgetube.example/videos/watch/1/comments/2",
            "type": "Note",
            "attributedTo": "https://edgetube.example/accounts/alice",
            "content": "café ☕ 1e21 \u{2028}",
            "likes": 1.5e21,
        });
        let vm = "https://edgetube.example/accounts/alice#ed25519-key";
        let signed = sign_proof(&note, vm, "2026-11-21T21:37:10.123Z", &key).unwrap();
        assert_eq!(
            verify_proof(&signed, |_| Some(public)).map(|p| p.controller().to_owned()).as_deref(),
            Ok("https://edgetube.example/accounts/alice")
        );
        assert_eq!(signed, sign_proof(&note, vm, "2026-11-21T21:37:10.123Z", &key).unwrap(), "deterministic");

        let bad = |doc: &Value| verify_proof(doc, |_| Some(public)).is_err();
        let mut changed = signed.clone();
        changed["content"] = "other".into();
        assert!(bad(&changed), "changed field");
        let mut later = signed.clone();
        later["proof"]["created"] = "2026-11-21T21:37:11Z".into();
        assert!(bad(&later), "changed created");
        let mut context = signed.clone();
        context["@context"] = json!(["https://www.w3.org/ns/activitystreams"]);
        assert!(bad(&context), "changed @context");
        assert!(
            verify_proof(&signed, |_| Some(SigningKey::from_bytes(&[8; 32]).verifying_key().to_bytes()))
                .is_err(),
            "wrong key"
        );
        assert!(verify_proof(&signed, |_| None).is_err(), "unknown key");
        let mut removed = signed.clone();
        removed.as_object_mut().unwrap().remove("proof");
        assert!(bad(&removed), "proof removed");
        let mut suite = signed.clone();
        suite["proof"]["cryptosuite"] = "eddsa-rdfc-2022".into();
        assert!(
            matches!(parse_proof(&suite), Err(SignatureError::InvalidProof(m)) if m.contains("eddsa-rdfc-2022"))
        );
        let mut purpose = signed.clone();
        purpose["proof"]["proofPurpose"] = "authentication".into();
        assert!(bad(&purpose));
        let mut value = signed.clone();
        value["proof"]["proofValue"] = "zabc".into();
        assert!(bad(&value));
        let mut set = signed.clone();
        set["proof"] = json!([signed["proof"].clone()]);
        assert!(!bad(&set), "a set of one proof");
        set["proof"] = json!([signed["proof"].clone(), signed["proof"].clone()]);
        assert!(bad(&set));
    }

    #[test]
    fn signing_refusals() {
        let key = SigningKey::from_bytes(&[7; 32]);
        assert!(sign_proof(&json!([]), "k", CREATED, &key).is_err());
        assert!(sign_proof(&json!({"proof": {}}), "k", CREATED, &key).is_err());
        for created in [
            "2023-02-24 23:36:38Z",
            "2023-02-24T23:36:38",
            "2023-02-24T23:36:38+01:00",
            "2023-02-24T23:36:38.Z",
            "",
        ] {
            assert!(sign_proof(&json!({}), "k", created, &key).is_err(), "{created}");
        }
        assert!(sign_proof(&json!({}), "k", "2023-02-24T23:36:38.5Z", &key).is_ok());
    }
}
