//! Password hashes: PBKDF2-HMAC-SHA256 through the crypto port (native WebCrypto on Workers).
//!
//! Stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>` (standard base64, no padding), so the
//! iteration count can rise later without invalidating existing hashes.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use edgetube_ports::Crypto;

use crate::DomainError;

/// Iterations for new hashes. Chosen against the Workers CPU budget; see ARCHITECTURE.md.
pub const ITERATIONS: u32 = 100_000;

const SCHEME: &str = "pbkdf2-sha256";
const SALT_LEN: usize = 16;

/// The salt of the stand-in derivation: any fixed value does, nothing is compared against it.
const DUMMY_SALT: [u8; SALT_LEN] = *b"edgetube-no-user";

/// Hashes `password` with a fresh salt.
pub async fn hash(crypto: &dyn Crypto, password: &str) -> Result<String, DomainError> {
    let salt = crypto.random_bytes(SALT_LEN)?;
    let derived = crypto.pbkdf2_sha256(password.as_bytes(), &salt, ITERATIONS).await?;
    Ok(format!("{SCHEME}${ITERATIONS}${}${}", STANDARD_NO_PAD.encode(salt), STANDARD_NO_PAD.encode(derived)))
}

/// Whether `password` matches `stored`; a malformed `stored` never matches, after costing what
/// a well-formed one would.
pub async fn verify(crypto: &dyn Crypto, password: &str, stored: &str) -> Result<bool, DomainError> {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(iterations), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return verify_absent(crypto, password).await;
    };
    let (Ok(iterations), Ok(salt), Ok(expected)) =
        (iterations.parse::<u32>(), STANDARD_NO_PAD.decode(salt), STANDARD_NO_PAD.decode(expected))
    else {
        return verify_absent(crypto, password).await;
    };
    let derived = crypto.pbkdf2_sha256(password.as_bytes(), &salt, iterations).await?;
    Ok(constant_time_eq(&derived, &expected))
}

/// `Ok(false)` at the price of a real check: one derivation with the iterations of new hashes.
///
/// For a login naming no account (or an account whose hash is unusable), so that the answer
/// takes as long as a wrong password for an existing account and timing does not tell which
/// logins exist.
pub async fn verify_absent(crypto: &dyn Crypto, password: &str) -> Result<bool, DomainError> {
    crypto.pbkdf2_sha256(password.as_bytes(), &DUMMY_SALT, ITERATIONS).await?;
    Ok(false)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgetube_native::NativeCrypto;
    use futures::executor::block_on;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let crypto = NativeCrypto;
        let stored = block_on(hash(&crypto, "correct horse")).unwrap();
        assert!(stored.starts_with("pbkdf2-sha256$100000$"));
        assert!(!stored.contains("correct horse"));
        assert!(block_on(verify(&crypto, "correct horse", &stored)).unwrap());
        assert!(!block_on(verify(&crypto, "wrong horse", &stored)).unwrap());
        assert!(!block_on(verify(&crypto, "correct horse", "plain text")).unwrap());
        assert!(!block_on(verify_absent(&crypto, "correct horse")).unwrap());
    }
}
