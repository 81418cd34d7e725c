//! The crypto port in pure Rust (`rsa`, `pbkdf2`, the OS random source) for native hosts and tests.

use async_trait::async_trait;
use edgetube_ports::{Crypto, PortError, RsaKeyPair};
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

/// The pure-Rust implementations: `rsa`, `pbkdf2` and the OS generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeCrypto;

fn invalid(e: impl std::fmt::Display) -> PortError {
    PortError::invalid("crypto", e.to_string())
}

#[async_trait(?Send)]
impl Crypto for NativeCrypto {
    async fn generate_rsa(&self, bits: usize) -> Result<RsaKeyPair, PortError> {
        let private = RsaPrivateKey::new(&mut OsRng, bits).map_err(invalid)?;
        Ok(RsaKeyPair {
            private_pkcs8_der: private.to_pkcs8_der().map_err(invalid)?.as_bytes().to_vec(),
            public_spki_der: private
                .to_public_key()
                .to_public_key_der()
                .map_err(invalid)?
                .as_bytes()
                .to_vec(),
        })
    }

    async fn sign_rsa_sha256(&self, private_pkcs8_der: &[u8], message: &[u8]) -> Result<Vec<u8>, PortError> {
        let key = RsaPrivateKey::from_pkcs8_der(private_pkcs8_der).map_err(invalid)?;
        Ok(SigningKey::<Sha256>::new(key).sign(message).to_vec())
    }

    async fn verify_rsa_sha256(
        &self,
        public_spki_der: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, PortError> {
        let key = RsaPublicKey::from_public_key_der(public_spki_der).map_err(invalid)?;
        let Ok(signature) = Signature::try_from(signature) else { return Ok(false) };
        Ok(VerifyingKey::<Sha256>::new(key).verify(message, &signature).is_ok())
    }

    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], PortError> {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
        Ok(out)
    }

    fn random_bytes(&self, len: usize) -> Result<Vec<u8>, PortError> {
        let mut out = vec![0u8; len];
        OsRng.try_fill_bytes(&mut out).map_err(|e| PortError::unavailable("crypto", e.to_string()))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn sign_then_verify_round_trips_and_rejects_tampering() {
        let crypto = NativeCrypto;
        let pair = block_on(crypto.generate_rsa(2048)).unwrap();
        let sig = block_on(crypto.sign_rsa_sha256(&pair.private_pkcs8_der, b"hello")).unwrap();
        assert_eq!(sig.len(), 256);
        assert!(block_on(crypto.verify_rsa_sha256(&pair.public_spki_der, b"hello", &sig)).unwrap());
        assert!(!block_on(crypto.verify_rsa_sha256(&pair.public_spki_der, b"hellO", &sig)).unwrap());
        assert!(!block_on(crypto.verify_rsa_sha256(&pair.public_spki_der, b"hello", &sig[1..])).unwrap());
    }

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", 1) starts with 55ac046e56e3089f.
        let out = block_on(NativeCrypto.pbkdf2_sha256(b"passwd", b"salt", 1)).unwrap();
        assert_eq!(&out[..8], &[0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }
}
