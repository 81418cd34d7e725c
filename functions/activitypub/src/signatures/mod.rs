//! HTTP signatures (draft-cavage, RFC 9421) and object integrity proofs (FEP-8b32).
//!
//! Every function here is pure: it takes the request (method, absolute URL, headers, raw body) and
//! a clock reading, and says what bytes to verify or sign and whether every rule around them holds.
//! RSA itself is the caller's (the crypto port, WebCrypto on Workers, is 20x faster there than
//! pure-Rust RSA); Ed25519 is done here with `ed25519-dalek`.
//!
//! - Incoming: [`incoming::verification_plan`] picks the scheme, checks digests, coverage and
//!   time, and returns a [`incoming::Plan`]: the key to fetch and the bytes to verify.
//! - Outgoing: [`outgoing`] gives the headers to add and the bytes to sign, for both schemes.
//! - Keys: [`keys`] turns `publicKeyPem` and `publicKeyMultibase` into what the verifiers take.
//! - Objects: [`integrity`] signs and verifies `eddsa-jcs-2022` proofs; [`ld_signature`] reads
//!   PeerTube's `RsaSignature2017` and plans its verification (the signed bytes, hashed over the
//!   [`urdna2015`] canonical N-Quads, with pinned contexts only).

pub mod cavage;
pub mod digest;
mod error;
mod headers;
pub mod incoming;
pub mod integrity;
pub mod keys;
pub mod ld_signature;
pub mod outgoing;
pub mod rfc9421;
mod time;
pub mod urdna2015;

pub use error::SignatureError;
pub use headers::{MAX_COVERED, MAX_HEADER_BYTES};
pub use time::{http_date, DEFAULT_MAX_SKEW};

/// Ed25519 keys, re-exported so callers sign with the same crate version as this one.
pub use ed25519_dalek::SigningKey;

/// Which specification a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage-http-signatures (`Signature: keyId=…`), what PeerTube and most of the
    /// fediverse send.
    Cavage,
    /// RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`).
    Rfc9421,
}

/// The signature algorithm a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: cavage `rsa-sha256`, RFC 9421 `rsa-v1_5-sha256`.
    RsaSha256,
    /// Ed25519: cavage `ed25519`, RFC 9421 `ed25519`.
    Ed25519,
    /// The key decides: cavage `hs2019` or no `algorithm`, RFC 9421 without `alg`. An RSA key
    /// then means RSASSA-PKCS1-v1_5 with SHA-256 (as Mastodon reads `hs2019`), an Ed25519 key
    /// means Ed25519.
    FromKey,
}

impl Algorithm {
    /// Whether an RSA key may verify this signature (with RSASSA-PKCS1-v1_5 SHA-256).
    pub fn accepts_rsa(self) -> bool {
        matches!(self, Self::RsaSha256 | Self::FromKey)
    }

    /// Whether an Ed25519 key may verify this signature.
    pub fn accepts_ed25519(self) -> bool {
        matches!(self, Self::Ed25519 | Self::FromKey)
    }

    /// A name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaSha256 => "rsa-sha256",
            Self::Ed25519 => "ed25519",
            Self::FromKey => "hs2019",
        }
    }
}
