//! Signing what we send, with either scheme: each helper gives the headers to add and the bytes
//! to sign, then turns the signature bytes into the final header(s).
//!
//! Which scheme to use, and whether to retry with the other after a 401/403 ("double-knock"),
//! is the caller's decision. PeerTube only reads draft-cavage; Mastodon 4.4+ reads both.
//!
//! ```
//! # use edgetube_activitypub::signatures::outgoing::CavageOutgoing;
//! let url = url::Url::parse("https://peertube.example/inbox").unwrap();
//! let request = CavageOutgoing::prepare(&http::Method::POST, &url, Some(b"{}"), 1_700_000_000_000).unwrap();
//! // let signature = crypto.sign_rsa_sha256(private_pkcs8_der, request.signing_string.as_bytes());
//! let signature = [0u8; 256];
//! let header = request.signature_header("https://edgetube.example/accounts/alice", &signature).unwrap();
//! assert!(header.starts_with(r#"keyId="https://edgetube.example/accounts/alice",algorithm="rsa-sha256""#));
//! ```

use ed25519_dalek::Signer as _;

pub use super::cavage::{CavageOutgoing, COVERED_WITHOUT_BODY, COVERED_WITH_BODY};
pub use super::rfc9421::{OutgoingAlgorithm, Rfc9421Outgoing, OUTGOING_LABEL};
use super::SigningKey;

/// Signs `message` (a signing string or signature base) with an Ed25519 key: deterministic, so
/// the same key and message always give the same 64 bytes.
pub fn sign_ed25519(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}
