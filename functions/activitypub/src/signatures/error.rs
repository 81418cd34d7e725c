//! The one error type of [`crate::signatures`]: every refusal, each with a message fit to be sent
//! back in a 401 or 403 problem document.
//!
//! The messages say what was wrong with the request, never anything about our keys or state, so
//! they can be shown to the sender as they are.

use thiserror::Error;

/// Why a signature, a digest, a key or a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Neither `Signature` nor `Signature-Input` is present.
    #[error("the request is not signed: it has no Signature header")]
    Unsigned,

    /// A header is longer than this module reads; refused before any parsing.
    #[error("the {header} header is longer than {limit} bytes")]
    Oversized {
        /// The header's name.
        header: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },

    /// A header does not follow its grammar.
    #[error("malformed {header} header: {reason}")]
    Malformed {
        /// The header's name.
        header: &'static str,
        /// What is wrong, in a few words.
        reason: String,
    },

    /// A header that must appear once appears several times.
    #[error("the request has more than one {0} header")]
    RepeatedHeader(&'static str),

    /// A parameter of the signature appears twice.
    #[error("the signature parameter {0} appears twice")]
    DuplicateParameter(String),

    /// A required parameter of the signature is missing.
    #[error("the signature has no {0} parameter")]
    MissingParameter(&'static str),

    /// The signature lists more headers or components than this module accepts.
    #[error("the signature covers {count} headers; at most {limit} are accepted")]
    TooManyComponents {
        /// How many the signature lists.
        count: usize,
        /// The limit.
        limit: usize,
    },

    /// The signature names an algorithm that is not implemented.
    #[error(
        "signature algorithm {0:?} is not supported (rsa-sha256, hs2019, rsa-v1_5-sha256 and ed25519 are)"
    )]
    UnsupportedAlgorithm(String),

    /// A header or component listed twice in the signature.
    #[error("the signature covers {0} twice")]
    DuplicateComponent(String),

    /// A derived component or component parameter that is not implemented.
    #[error("the signature covers {0}, which is not supported")]
    UnsupportedComponent(String),

    /// The signature does not cover something the rules require.
    #[error("the signature must cover {0}")]
    NotCovered(&'static str),

    /// The signature covers a header that the request does not carry.
    #[error("the signed header {0} is absent from the request")]
    SignedHeaderAbsent(String),

    /// The `keyId` / `keyid` is empty, too long or not a URI-like string.
    #[error("invalid keyId: {0}")]
    InvalidKeyId(String),

    /// `Date` (or `(created)`, `created`) is not a valid time.
    #[error("invalid date {0:?}")]
    InvalidDate(String),

    /// The signature was made too long ago.
    #[error(
        "the signature is too old: {what} is {age_s} s in the past, more than the {max_skew_s} s allowed"
    )]
    TooOld {
        /// `date`, `(created)` or `created`.
        what: &'static str,
        /// Seconds between that time and now.
        age_s: i64,
        /// The allowed clock skew.
        max_skew_s: u64,
    },

    /// The signature claims to be made in the future.
    #[error(
        "the signature is from the future: {what} is {ahead_s} s ahead, more than the {max_skew_s} s allowed"
    )]
    InFuture {
        /// `date`, `(created)` or `created`.
        what: &'static str,
        /// Seconds between now and that time.
        ahead_s: i64,
        /// The allowed clock skew.
        max_skew_s: u64,
    },

    /// `expires` has passed.
    #[error("the signature expired {0} s ago")]
    Expired(i64),

    /// The body is signed (`digest` or `content-digest` is covered) but its digest header is absent.
    #[error("the request has no {0} header")]
    DigestAbsent(&'static str),

    /// The digest header has no algorithm this module computes.
    #[error("the {0} header has no SHA-256 digest")]
    DigestAlgorithmUnsupported(&'static str),

    /// The digest does not match the body.
    #[error("Invalid digest: the {0} header does not match the body")]
    DigestMismatch(&'static str),

    /// A base64 value does not decode.
    #[error("{0} is not valid base64")]
    InvalidBase64(&'static str),

    /// An Ed25519 signature that is not 64 bytes long.
    #[error("an Ed25519 signature is 64 bytes, not {0}")]
    InvalidSignatureLength(usize),

    /// The key offered does not suit the signature's algorithm.
    #[error("a {key} key cannot verify a {algorithm} signature")]
    WrongKeyType {
        /// The key's type.
        key: &'static str,
        /// The signature's algorithm.
        algorithm: &'static str,
    },

    /// The signature does not verify with the key.
    #[error("the signature does not verify with the key")]
    BadSignature,

    /// A PEM, DER, multibase or multikey that cannot be used.
    #[error("invalid public key: {0}")]
    InvalidKey(String),

    /// An object integrity proof (FEP-8b32) or a JSON-LD signature that cannot be checked.
    #[error("invalid proof: {0}")]
    InvalidProof(String),

    /// An outgoing request that cannot be signed (not an absolute http(s) URL, a key id that
    /// cannot be quoted, ...).
    #[error("cannot sign the request: {0}")]
    CannotSign(String),
}

impl SignatureError {
    /// A [`SignatureError::Malformed`] for `header`.
    pub(crate) fn malformed(header: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed { header, reason: reason.into() }
    }
}
