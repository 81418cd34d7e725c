//! Actor key pairs: generated through the crypto port, public halves as PEM, private halves
//! sealed at rest.
//!
//! Sealing uses AES-256-GCM in pure Rust (microseconds for a 1.2 KB key, so no port is needed)
//! with a key derived by HKDF-SHA256 from `KEY_ENCRYPTION_SECRET`. The actor's username is the
//! associated data, so a sealed key copied onto another actor's row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use edgetube_ports::{Crypto, PortError, RsaKeyPair};
use hkdf::Hkdf;
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha2::Sha256;

use crate::DomainError;

/// Size of every actor key, as PeerTube uses.
pub const ACTOR_KEY_BITS: usize = 2048;

const SEALED_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;

/// Seals and unseals actor private keys with one instance secret.
pub struct KeyVault {
    cipher: Aes256Gcm,
}

impl KeyVault {
    /// Derives the sealing key from the instance's key-encryption secret.
    pub fn new(secret: &str) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"edgetube"), secret.as_bytes())
            .expand(b"actor-private-keys/v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { cipher: Aes256Gcm::new(&key.into()) }
    }

    /// Seals `private_pkcs8_der` for the actor `username`: `v1.` + base64(nonce ‖ ciphertext).
    pub fn seal(
        &self,
        crypto: &dyn Crypto,
        username: &str,
        private_pkcs8_der: &[u8],
    ) -> Result<String, DomainError> {
        let nonce_bytes = crypto.random_bytes(NONCE_LEN)?;
        let nonce = Nonce::from_slice(&nonce_bytes);
        let ciphertext = self
            .cipher
            .encrypt(nonce, Payload { msg: private_pkcs8_der, aad: username.to_lowercase().as_bytes() })
            .map_err(|_| PortError::invalid("crypto", "AES-GCM refused to seal"))?;
        let mut sealed = nonce_bytes;
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(sealed)))
    }

    /// Opens what [`KeyVault::seal`] produced for the same `username`.
    pub fn unseal(&self, username: &str, sealed: &str) -> Result<Vec<u8>, DomainError> {
        let failed = || DomainError::KeyUnsealing { username: username.to_owned() };
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .ok_or_else(failed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(failed());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload { msg: ciphertext, aad: username.to_lowercase().as_bytes() },
            )
            .map_err(|_| failed())
    }
}

/// A freshly generated actor key: the PEM to publish and the sealed private half to store.
pub struct NewActorKey {
    /// `-----BEGIN PUBLIC KEY-----` SPKI PEM, as `publicKey.publicKeyPem`.
    pub public_key_pem: String,
    /// The sealed PKCS#8 private key.
    pub private_key_sealed: String,
}

/// Generates an RSA-2048 key for `username` through the crypto port and seals its private half.
pub async fn generate_actor_key(
    crypto: &dyn Crypto,
    vault: &KeyVault,
    username: &str,
) -> Result<NewActorKey, DomainError> {
    let RsaKeyPair { private_pkcs8_der, public_spki_der } = crypto.generate_rsa(ACTOR_KEY_BITS).await?;
    let public_key_pem = spki_der_to_pem(&public_spki_der)?;
    let private_key_sealed = vault.seal(crypto, username, &private_pkcs8_der)?;
    Ok(NewActorKey { public_key_pem, private_key_sealed })
}

/// SPKI DER to PEM, checking on the way that it is an RSA key of [`ACTOR_KEY_BITS`].
pub fn spki_der_to_pem(der: &[u8]) -> Result<String, DomainError> {
    let key = RsaPublicKey::from_public_key_der(der).map_err(|e| DomainError::MalformedKey(e.to_string()))?;
    if key.size() * 8 != ACTOR_KEY_BITS {
        return Err(DomainError::MalformedKey(format!(
            "{} bits instead of {ACTOR_KEY_BITS}",
            key.size() * 8
        )));
    }
    key.to_public_key_pem(LineEnding::LF).map_err(|e| DomainError::MalformedKey(e.to_string()))
}

/// SPKI PEM (as found in remote actor documents) to DER for the crypto port.
pub fn spki_pem_to_der(pem: &str) -> Result<Vec<u8>, DomainError> {
    let key = RsaPublicKey::from_public_key_pem(pem).map_err(|e| DomainError::MalformedKey(e.to_string()))?;
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| DomainError::MalformedKey(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgetube_native::NativeCrypto;

    #[test]
    fn sealed_keys_open_only_for_the_same_actor_and_secret() {
        let crypto = NativeCrypto;
        let vault = KeyVault::new("0123456789abcdef0123456789abcdef");
        let sealed = vault.seal(&crypto, "root", b"private key bytes").unwrap();
        assert!(sealed.starts_with("v1."));
        assert_eq!(vault.unseal("ROOT", &sealed).unwrap(), b"private key bytes");
        assert!(matches!(vault.unseal("root_channel", &sealed), Err(DomainError::KeyUnsealing { .. })));
        let other = KeyVault::new("another secret, also long enough..");
        assert!(other.unseal("root", &sealed).is_err());
        assert!(vault.unseal("root", "v1.AAAA").is_err());
    }

    #[test]
    fn generated_keys_are_rsa_2048_pem() {
        let crypto = NativeCrypto;
        let vault = KeyVault::new("0123456789abcdef0123456789abcdef");
        let key = futures::executor::block_on(generate_actor_key(&crypto, &vault, "root")).unwrap();
        assert!(key.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let der = spki_pem_to_der(&key.public_key_pem).unwrap();
        assert_eq!(spki_der_to_pem(&der).unwrap(), key.public_key_pem);
        assert!(!vault.unseal("root", &key.private_key_sealed).unwrap().is_empty());
    }
}
