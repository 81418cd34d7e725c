//! The inbox's front door: one call that reads whichever signature a request carries, applies
//! every rule that needs no key, and says which key to fetch and which bytes it must verify.
//!
//! A request with `Signature-Input` is RFC 9421; otherwise a `Signature` header is draft-cavage.
//! The caller then fetches `actor_id` (keys are cached per actor), and verifies `message` against
//! `signature`: RSA through the crypto port, Ed25519 with [`Plan::verify_ed25519`].

use std::time::Duration;

use ed25519_dalek::{Signature, VerifyingKey};
use http::{HeaderMap, Method};
use url::Url;

use super::headers;
use super::{cavage, rfc9421, Algorithm, Scheme, SignatureError};

/// What remains to do once the rules hold: fetch the key, verify the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The scheme the request was signed with.
    pub scheme: Scheme,
    /// `keyId` / `keyid`, as sent.
    pub key_id: String,
    /// The key id without its `#fragment`: the actor (or key) document to fetch.
    pub actor_id: String,
    /// The algorithm the request names.
    pub algorithm: Algorithm,
    /// The bytes the signature is over: the cavage signing string or the RFC 9421 signature base.
    pub message: Vec<u8>,
    /// For a cavage request whose URL has a query and whose `(request-target)` is covered: the
    /// signing string with the query left out, as PeerTube and Mastodon before 4.3 sign. Try it
    /// only when [`Plan::message`] fails.
    pub legacy_message: Option<Vec<u8>>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// The headers / components covered, lowercased, in order.
    pub covered: Vec<String>,
}

impl Plan {
    /// The messages to try, in order: [`Plan::message`], then [`Plan::legacy_message`] if any.
    pub fn messages(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(self.message.as_slice()).chain(self.legacy_message.as_deref())
    }

    /// Whether an RSA key may verify this signature; refused for an `ed25519` one.
    pub fn check_rsa_key(&self) -> Result<(), SignatureError> {
        if self.algorithm.accepts_rsa() {
            Ok(())
        } else {
            Err(SignatureError::WrongKeyType { key: "RSA", algorithm: self.algorithm.name() })
        }
    }

    /// Verifies the signature with an Ed25519 public key (strict verification: no small-order
    /// keys, no malleable signatures).
    pub fn verify_ed25519(&self, public_key: &[u8; 32]) -> Result<(), SignatureError> {
        if !self.algorithm.accepts_ed25519() {
            return Err(SignatureError::WrongKeyType { key: "Ed25519", algorithm: self.algorithm.name() });
        }
        let bytes: [u8; 64] = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| SignatureError::InvalidSignatureLength(self.signature.len()))?;
        let signature = Signature::from_bytes(&bytes);
        let key = VerifyingKey::from_bytes(public_key)
            .map_err(|_| SignatureError::InvalidKey("not an Ed25519 public key".into()))?;
        if self.messages().any(|message| key.verify_strict(message, &signature).is_ok()) {
            Ok(())
        } else {
            Err(SignatureError::BadSignature)
        }
    }
}

/// Reads and checks the signature of a request.
///
/// - `url`: the absolute URL as received (a Worker's `request.url`);
/// - `body`: the raw body as received, `None` when there is none (its digest is then that of no
///   bytes);
/// - `now_ms`: the clock, Unix milliseconds; `max_skew`: how far `Date` / `created` may be from
///   it either way ([`super::DEFAULT_MAX_SKEW`], 1800 s, is PeerTube's).
///
/// Refuses with a [`SignatureError`] whose message can be sent back as it is.
pub fn verification_plan(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now_ms: u64,
    max_skew: Duration,
) -> Result<Plan, SignatureError> {
    if headers.contains_key("signature-input") {
        rfc9421_plan(method, url, headers, body, now_ms, max_skew)
    } else {
        cavage_plan(method, url, headers, body, now_ms, max_skew)
    }
}

fn cavage_plan(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now_ms: u64,
    max_skew: Duration,
) -> Result<Plan, SignatureError> {
    let header = headers::single(headers, "Signature")?.ok_or(SignatureError::Unsigned)?;
    let signature = cavage::parse(header)?;
    let algorithm = signature.algorithm()?;
    cavage::check_request(&signature, method, headers, body, now_ms, max_skew)?;
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let message = cavage::signing_string(&signature, method, &target, headers)?;
    let legacy_message = match url.query() {
        Some(_) if signature.covers("(request-target)") => {
            Some(cavage::signing_string(&signature, method, url.path(), headers)?)
        }
        _ => None,
    };
    Ok(Plan {
        scheme: Scheme::Cavage,
        actor_id: actor_id(&signature.key_id),
        key_id: signature.key_id,
        algorithm,
        message,
        legacy_message,
        signature: signature.signature,
        covered: signature.headers,
    })
}

fn rfc9421_plan(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now_ms: u64,
    max_skew: Duration,
) -> Result<Plan, SignatureError> {
    let input = headers::combined(headers, "Signature-Input")?.unwrap_or_default();
    let Some(value) = headers::combined(headers, "Signature")? else {
        return Err(SignatureError::malformed("Signature", "absent while Signature-Input is present"));
    };
    let signature = rfc9421::parse(&input, &value)?;
    let algorithm = signature.algorithm()?;
    rfc9421::check_request(&signature, method, headers, body, now_ms, max_skew)?;
    let message = rfc9421::signature_base(&signature, method, url, headers)?;
    let key_id = signature.key_id.clone().ok_or(SignatureError::MissingParameter("keyid"))?;
    Ok(Plan {
        scheme: Scheme::Rfc9421,
        actor_id: actor_id(&key_id),
        key_id,
        algorithm,
        message,
        legacy_message: None,
        signature: signature.signature,
        covered: signature.components,
    })
}

/// The key id without its fragment (`https://a/users/b#main-key` → `https://a/users/b`).
fn actor_id(key_id: &str) -> String {
    key_id.split_once('#').map_or(key_id, |(actor, _)| actor).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_ids() {
        assert_eq!(actor_id("https://a/users/b#main-key"), "https://a/users/b");
        assert_eq!(actor_id("https://a/accounts/b"), "https://a/accounts/b");
        assert_eq!(actor_id("acct:b@a"), "acct:b@a");
    }

    #[test]
    fn unsigned_and_half_signed() {
        let url = Url::parse("https://a/inbox").unwrap();
        let mut headers = HeaderMap::new();
        let plan = |h: &HeaderMap| verification_plan(&Method::POST, &url, h, None, 0, Duration::from_secs(1));
        assert_eq!(plan(&headers), Err(SignatureError::Unsigned));
        headers.insert("signature-input", "sig1=()".parse().unwrap());
        assert!(matches!(plan(&headers), Err(SignatureError::Malformed { header: "Signature", .. })));
    }
}
