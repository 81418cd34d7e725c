//! Public keys as actors publish them, turned into what the verifiers take.
//!
//! - `publicKeyPem` (PEM `PUBLIC KEY`, i.e. SPKI; some servers publish PKCS#1 `RSA PUBLIC KEY`,
//!   which is wrapped into SPKI here) → SPKI DER for the crypto port's `verify_rsa_sha256`, or
//!   the raw Ed25519 key when the SPKI holds one;
//! - SPKI DER → `publicKeyPem`, byte for byte as PeerTube writes it (64-column lines, trailing
//!   newline), for our own actor documents;
//! - FEP-521a `publicKeyMultibase` ↔ Ed25519 key: `z` + base58-btc(0xed 0x01 ‖ 32 bytes).
//!
//! The PEM armor is read by hand rather than with `pem-rfc7468`: that crate is strict about line
//! lengths, and actor documents in the wild carry PEM on one line, with `\r\n`, or with stray
//! spaces. The DER inside is parsed and written with RustCrypto's `spki`/`der`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use spki::der::asn1::{AnyRef, BitStringRef, UintRef};
use spki::der::{Decode, Encode, Reader, SliceReader};
use spki::{AlgorithmIdentifierRef, ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::SignatureError;

/// rsaEncryption (PKCS #1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-Ed25519 (RFC 8410).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A PEM longer than this is not one public key (a 16384-bit RSA key is under 3 KiB).
const MAX_PEM_BYTES: usize = 16 * 1024;
/// RSA moduli accepted: below 1024 bits is forgeable, above 8192 only costs us time.
const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=8192;

/// The multicodec prefix of an Ed25519 public key (0xed, as a varint).
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// A public key, ready for a verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An RSA key, as SPKI DER: what the crypto port's `verify_rsa_sha256` takes.
    Rsa {
        /// The SubjectPublicKeyInfo, DER.
        spki_der: Vec<u8>,
        /// The modulus length in bits.
        bits: usize,
    },
    /// An Ed25519 key: what [`super::incoming::Plan::verify_ed25519`] takes.
    Ed25519([u8; 32]),
}

/// Reads a `publicKeyPem`: `PUBLIC KEY` (SPKI, RSA or Ed25519) or `RSA PUBLIC KEY` (PKCS#1).
pub fn public_key_from_pem(pem: &str) -> Result<PublicKey, SignatureError> {
    public_key_from_spki_der(&pem_to_spki_der(pem)?)
}

/// A `publicKeyPem` as SPKI DER: `PUBLIC KEY` as it is, `RSA PUBLIC KEY` wrapped into an SPKI.
pub fn pem_to_spki_der(pem: &str) -> Result<Vec<u8>, SignatureError> {
    let (label, der) = pem_decode(pem)?;
    match label {
        "PUBLIC KEY" => Ok(der),
        "RSA PUBLIC KEY" => rsa_pkcs1_to_spki_der(&der),
        other => Err(SignatureError::InvalidKey(format!("a PEM {other:?} is not a public key"))),
    }
}

/// Checks an SPKI DER and says which kind of key it holds.
pub fn public_key_from_spki_der(spki_der: &[u8]) -> Result<PublicKey, SignatureError> {
    let invalid = |what: &str| SignatureError::InvalidKey(what.to_owned());
    let spki =
        SubjectPublicKeyInfoRef::from_der(spki_der).map_err(|_| invalid("not a DER SubjectPublicKeyInfo"))?;
    let key = spki.subject_public_key.as_bytes().ok_or_else(|| invalid("the key is not whole bytes"))?;
    if spki.algorithm.oid == RSA_ENCRYPTION {
        if spki.algorithm.parameters.is_some_and(|p| !p.is_null()) {
            return Err(invalid("rsaEncryption parameters must be NULL"));
        }
        let bits = rsa_modulus_bits(key)?;
        Ok(PublicKey::Rsa { spki_der: spki_der.to_vec(), bits })
    } else if spki.algorithm.oid == ED25519 {
        if spki.algorithm.parameters.is_some() {
            return Err(invalid("Ed25519 keys have no parameters"));
        }
        let key: [u8; 32] = key.try_into().map_err(|_| invalid("an Ed25519 key is 32 bytes"))?;
        Ok(PublicKey::Ed25519(key))
    } else {
        Err(SignatureError::InvalidKey(format!(
            "algorithm {} is neither RSA nor Ed25519",
            spki.algorithm.oid
        )))
    }
}

/// SPKI DER as PEM, exactly as PeerTube (Node's `crypto`) writes `publicKeyPem`:
/// `-----BEGIN PUBLIC KEY-----`, base64 in 64-column lines, `-----END PUBLIC KEY-----`, each
/// line ending with `\n`.
pub fn spki_der_to_pem(spki_der: &[u8]) -> String {
    let encoded = STANDARD.encode(spki_der);
    let mut pem = String::with_capacity(encoded.len() + encoded.len() / 64 + 60);
    pem.push_str("-----BEGIN PUBLIC KEY-----\n");
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        // base64 is ASCII, so any index is a char boundary.
        let (line, tail) = rest.split_at(rest.len().min(64));
        pem.push_str(line);
        pem.push('\n');
        rest = tail;
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// The label and decoded body of the first PEM block.
fn pem_decode(pem: &str) -> Result<(&str, Vec<u8>), SignatureError> {
    let invalid = |what: &str| SignatureError::InvalidKey(what.to_owned());
    if pem.len() > MAX_PEM_BYTES {
        return Err(SignatureError::InvalidKey(format!("the PEM is longer than {MAX_PEM_BYTES} bytes")));
    }
    let (_, after_begin) = pem.split_once("-----BEGIN ").ok_or_else(|| invalid("no -----BEGIN line"))?;
    let (label, body) =
        after_begin.split_once("-----").ok_or_else(|| invalid("an unterminated BEGIN line"))?;
    let end = format!("-----END {label}-----");
    let (body, _) = body.split_once(&end).ok_or_else(|| invalid("no matching -----END line"))?;
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(base64).map_err(|_| invalid("the PEM body is not base64"))?;
    Ok((label, der))
}

/// Wraps a PKCS#1 `RSAPublicKey` into an SPKI with algorithm rsaEncryption and NULL parameters.
fn rsa_pkcs1_to_spki_der(pkcs1: &[u8]) -> Result<Vec<u8>, SignatureError> {
    rsa_modulus_bits(pkcs1)?;
    let invalid = |_| SignatureError::InvalidKey("cannot wrap the PKCS#1 key".into());
    let spki = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef { oid: RSA_ENCRYPTION, parameters: Some(AnyRef::NULL) },
        subject_public_key: BitStringRef::from_bytes(pkcs1).map_err(invalid)?,
    };
    spki.to_der().map_err(invalid)
}

/// Checks a PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` and
/// returns the modulus length in bits, refused outside [`RSA_BITS`].
fn rsa_modulus_bits(pkcs1: &[u8]) -> Result<usize, SignatureError> {
    let invalid = || SignatureError::InvalidKey("not a PKCS#1 RSA public key".into());
    let mut reader = SliceReader::new(pkcs1).map_err(|_| invalid())?;
    let (modulus, exponent) =
        reader.sequence(|seq| Ok((UintRef::decode(seq)?, UintRef::decode(seq)?))).map_err(|_| invalid())?;
    if !reader.is_finished() || exponent.as_bytes().is_empty() {
        return Err(invalid());
    }
    let bytes = modulus.as_bytes();
    let leading = bytes.first().map_or(0, |b| b.leading_zeros() as usize);
    let bits = (bytes.len() * 8).saturating_sub(leading);
    if !RSA_BITS.contains(&bits) {
        return Err(SignatureError::InvalidKey(format!(
            "an RSA key of {bits} bits (between {} and {} are accepted)",
            RSA_BITS.start(),
            RSA_BITS.end()
        )));
    }
    Ok(bits)
}

/// An Ed25519 key as FEP-521a's `publicKeyMultibase`: `z` + base58-btc(0xed 0x01 ‖ key).
pub fn ed25519_to_multibase(key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_MULTICODEC);
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Reads a `publicKeyMultibase`; only base58-btc (`z`) Ed25519 keys (multicodec 0xed) are
/// accepted.
pub fn ed25519_from_multibase(text: &str) -> Result<[u8; 32], SignatureError> {
    let invalid = |what: String| SignatureError::InvalidKey(what);
    let encoded = text
        .strip_prefix('z')
        .ok_or_else(|| invalid("publicKeyMultibase must be base58-btc (start with z)".into()))?;
    // 34 bytes take at most 47 base58 characters.
    if encoded.len() > 64 {
        return Err(invalid("publicKeyMultibase is too long for an Ed25519 key".into()));
    }
    let bytes =
        bs58::decode(encoded).into_vec().map_err(|_| invalid("publicKeyMultibase is not base58".into()))?;
    match bytes.as_slice() {
        [0xed, 0x01, key @ ..] => {
            key.try_into().map_err(|_| invalid(format!("an Ed25519 key is 32 bytes, not {}", key.len())))
        }
        [a, b, ..] => Err(invalid(format!("multicodec 0x{a:02x}{b:02x} is not an Ed25519 key (0xed01)"))),
        _ => Err(invalid("publicKeyMultibase is too short".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9421 Appendix B.1.4's test-key-ed25519, public part.
    const ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn ed25519_spki() {
        let PublicKey::Ed25519(key) = public_key_from_pem(ED25519_PEM).unwrap() else {
            panic!("not Ed25519")
        };
        assert_eq!(key[..4], [0x26, 0xb4, 0x0b, 0x8f]);
        assert_eq!(spki_der_to_pem(&pem_to_spki_der(ED25519_PEM).unwrap()), ED25519_PEM);
    }

    #[test]
    fn multibase() {
        // W3C vc-di-eddsa test vectors, TestVectors/keyPair.json.
        let key = ed25519_from_multibase("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap();
        assert_eq!(ed25519_to_multibase(&key), "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");
        let refused = |t: &str| ed25519_from_multibase(t).is_err();
        assert!(refused("u6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"), "not base58-btc");
        assert!(refused("z0OIl"), "not base58");
        assert!(refused("z"), "empty");
        assert!(refused(&format!("z{}", "1".repeat(100))));
        // The private-key multicodec (0x8026) of the same vectors is not a public key.
        let err = ed25519_from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap_err();
        assert!(err.to_string().contains("0x8026"), "{err}");
        let short = format!("z{}", bs58::encode([0xed, 0x01, 1, 2]).into_string());
        assert!(refused(&short));
    }

    #[test]
    fn pem_refusals() {
        let refused = |p: &str| public_key_from_pem(p).is_err();
        assert!(refused(""));
        assert!(refused("-----BEGIN PUBLIC KEY-----\nAAAA\n"));
        assert!(refused("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"));
        assert!(refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "not DER");
        assert!(refused("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"));
        assert!(
            refused("-----BEGIN RSA PUBLIC KEY-----\nMAYCAQECAQE=\n-----END RSA PUBLIC KEY-----\n"),
            "1 bit"
        );
        assert!(refused(&"A".repeat(MAX_PEM_BYTES + 1)));
        // One line, CRLF and stray spaces are read.
        let one_line = ED25519_PEM.replace('\n', "").replace("=-----END", "= \r\n-----END");
        assert!(!refused(&one_line));
    }
}
