//! Body digests: `Digest: SHA-256=<base64>` (RFC 3230, what draft-cavage signers cover) and
//! `Content-Digest: sha-256=:<base64>:` (RFC 9530, what RFC 9421 signers cover).
//!
//! A signature covers the digest header, not the body, so the body is only authenticated once its
//! digest is checked here against the raw bytes as received (before any JSON parsing).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sfv::{Dictionary, ListEntry, Parser};
use sha2::{Digest as _, Sha256, Sha512};

use super::headers::MAX_HEADER_BYTES;
use super::SignatureError;

/// The `Digest` header value PeerTube sends and requires: `SHA-256=<base64 of SHA-256(body)>`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// The `Content-Digest` header value for `body`: `sha-256=:<base64 of SHA-256(body)>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Digest` header against the raw body.
///
/// PeerTube requires the header to be exactly [`digest_header`]; Mastodon also accepts `sha-256`
/// in any case and a comma-separated list of digests of which one is SHA-256. This accepts the
/// latter (a superset): every SHA-256 entry must match, other algorithms are ignored, and a
/// header without a SHA-256 entry is refused.
pub fn check_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    const NAME: &str = "Digest";
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Oversized { header: NAME, limit: MAX_HEADER_BYTES });
    }
    let expected = Sha256::digest(body);
    let mut seen = false;
    for entry in header.split(',') {
        let entry = entry.trim();
        let Some((algorithm, value)) = entry.split_once('=') else {
            return Err(SignatureError::malformed(NAME, "an entry is not algorithm=value"));
        };
        if !algorithm.trim().eq_ignore_ascii_case("sha-256") {
            continue;
        }
        seen = true;
        let given = STANDARD
            .decode(value.trim())
            .map_err(|_| SignatureError::InvalidBase64("the Digest SHA-256 value"))?;
        if given.as_slice() != expected.as_slice() {
            return Err(SignatureError::DigestMismatch(NAME));
        }
    }
    if seen {
        Ok(())
    } else {
        Err(SignatureError::DigestAlgorithmUnsupported(NAME))
    }
}

/// Checks a `Content-Digest` header (an RFC 8941 dictionary) against the raw body: every
/// `sha-256` and `sha-512` member must match, other algorithms are ignored, and a header with
/// neither is refused.
pub fn check_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    const NAME: &str = "Content-Digest";
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Oversized { header: NAME, limit: MAX_HEADER_BYTES });
    }
    let members: Dictionary = Parser::new(header)
        .with_version(sfv::Version::Rfc8941)
        .parse()
        .map_err(|e| SignatureError::malformed(NAME, e.to_string()))?;
    let mut seen = false;
    for (key, entry) in &members {
        let computed: Vec<u8> = match key.as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        seen = true;
        let given = match entry {
            ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            ListEntry::InnerList(_) => None,
        };
        let Some(given) = given else {
            return Err(SignatureError::malformed(NAME, format!("{} is not a byte sequence", key.as_str())));
        };
        if given != computed.as_slice() {
            return Err(SignatureError::DigestMismatch(NAME));
        }
    }
    if seen {
        Ok(())
    } else {
        Err(SignatureError::DigestAlgorithmUnsupported(NAME))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9530 §2, examples for the body `{"hello": "world"}`.
    const HELLO: &[u8] = br#"{"hello": "world"}"#;
    const HELLO_SHA256: &str = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
    const HELLO_SHA512: &str =
        "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==";

    #[test]
    fn headers_we_send() {
        assert_eq!(digest_header(HELLO), format!("SHA-256={HELLO_SHA256}"));
        assert_eq!(content_digest_header(HELLO), format!("sha-256=:{HELLO_SHA256}:"));
        assert_eq!(check_digest(&digest_header(b""), b""), Ok(()));
    }

    #[test]
    fn digest_cases() {
        let ok = |h: &str| check_digest(h, HELLO);
        assert_eq!(ok(&format!("SHA-256={HELLO_SHA256}")), Ok(()));
        assert_eq!(ok(&format!("sha-256={HELLO_SHA256}")), Ok(()));
        assert_eq!(ok(&format!("unixsum=30637, SHA-256={HELLO_SHA256}")), Ok(()));
        assert_eq!(ok(&format!("SHA-512={HELLO_SHA512},SHA-256={HELLO_SHA256}")), Ok(()));
        assert_eq!(
            ok(&format!("SHA-512={HELLO_SHA512}")),
            Err(SignatureError::DigestAlgorithmUnsupported("Digest"))
        );
        assert_eq!(ok("SHA-256=AAAA"), Err(SignatureError::DigestMismatch("Digest")));
        assert_eq!(
            ok(&format!("SHA-256={HELLO_SHA256}, SHA-256=AAAA")),
            Err(SignatureError::DigestMismatch("Digest"))
        );
        assert_eq!(ok("SHA-256=***"), Err(SignatureError::InvalidBase64("the Digest SHA-256 value")));
        assert!(matches!(ok("SHA-256"), Err(SignatureError::Malformed { .. })));
        assert!(matches!(ok(""), Err(SignatureError::Malformed { .. })));
        assert_eq!(
            check_digest(&format!("SHA-256={HELLO_SHA256}"), b"{}"),
            Err(SignatureError::DigestMismatch("Digest"))
        );
    }

    #[test]
    fn content_digest_cases() {
        let ok = |h: &str| check_content_digest(h, HELLO);
        assert_eq!(ok(&format!("sha-256=:{HELLO_SHA256}:")), Ok(()));
        assert_eq!(ok(&format!("sha-512=:{HELLO_SHA512}:")), Ok(()));
        assert_eq!(ok(&format!("sha-256=:{HELLO_SHA256}:, sha-512=:{HELLO_SHA512}:")), Ok(()));
        assert_eq!(ok(&format!("md5=:AAAA:, sha-256=:{HELLO_SHA256}:")), Ok(()));
        assert_eq!(ok("md5=:AAAA:"), Err(SignatureError::DigestAlgorithmUnsupported("Content-Digest")));
        assert_eq!(ok("sha-256=:AAAA:"), Err(SignatureError::DigestMismatch("Content-Digest")));
        assert!(matches!(ok(&format!("sha-256={HELLO_SHA256}")), Err(SignatureError::Malformed { .. })));
        assert!(matches!(ok("sha-256=\"x\""), Err(SignatureError::Malformed { .. })));
        assert!(matches!(ok("SHA-256=:AAAA:"), Err(SignatureError::Malformed { .. })), "keys are lowercase");
    }
}
