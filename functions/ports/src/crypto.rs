//! The crypto port: randomness, PBKDF2 and RSA, as each platform does them best (WebCrypto on Workers).

use async_trait::async_trait;

use crate::PortError;

/// An RSA key pair in DER encodings that every platform can import and export.
#[derive(Clone)]
pub struct RsaKeyPair {
    /// PKCS#8 `PrivateKeyInfo`, DER.
    pub private_pkcs8_der: Vec<u8>,
    /// X.509 `SubjectPublicKeyInfo`, DER.
    pub public_spki_der: Vec<u8>,
}

impl std::fmt::Debug for RsaKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaKeyPair").field("private_pkcs8_der", &"<redacted>").finish_non_exhaustive()
    }
}

/// Public-key cryptography, password hashing and randomness.
///
/// A port because the pure-Rust implementations are too slow inside a Worker (RSA-2048 key
/// generation 4.3 s, one signature 27 ms against a 10 ms CPU budget) while WebCrypto there is
/// native; Spin and native builds use the `rsa` crate.
#[async_trait(?Send)]
pub trait Crypto {
    /// Generates an RSA key pair of `bits` bits, public exponent 65537.
    async fn generate_rsa(&self, bits: usize) -> Result<RsaKeyPair, PortError>;

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    async fn sign_rsa_sha256(&self, private_pkcs8_der: &[u8], message: &[u8]) -> Result<Vec<u8>, PortError>;

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature; `Ok(false)` for a well-formed but wrong one.
    async fn verify_rsa_sha256(
        &self,
        public_spki_der: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError>;

    /// PBKDF2-HMAC-SHA256 of `password` with `salt`, `iterations` rounds, 32 bytes out.
    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], PortError>;

    /// `len` bytes from a cryptographically secure generator.
    fn random_bytes(&self, len: usize) -> Result<Vec<u8>, PortError>;
}
