//! [`Crypto`]: secure random bytes of the asked length that differ between draws, PBKDF2-HMAC-
//! SHA256 against published test vectors, and RSASSA-PKCS1-v1_5 SHA-256 with a generated
//! 2048-bit key: a signature verifies, a wrong message or signature is `Ok(false)`, and
//! malformed keys are `Invalid`.

use edgetube_ports::{Crypto, PortError};

use crate::{ensure, hex, Failure, Report, Run};

/// Runs every crypto check.
pub async fn check_crypto(crypto: &dyn Crypto, run: &Run) -> Report {
    let mut report = Report::new(run);
    report.add("crypto.random_bytes", random_bytes(crypto));
    report.add("crypto.pbkdf2_sha256_vectors", pbkdf2(crypto).await);
    report.add("crypto.rsa_sign_verify", rsa(crypto).await);
    report.add("crypto.malformed_keys_are_invalid", malformed_keys(crypto).await);
    report
}

fn random_bytes(crypto: &dyn Crypto) -> Result<(), Failure> {
    for len in [0, 1, 16, 32, 1000] {
        let got = crypto.random_bytes(len)?;
        ensure!(got.len() == len, "random_bytes({len}) gave {} bytes", got.len());
    }
    let draws: Vec<Vec<u8>> = (0..4).map(|_| crypto.random_bytes(32)).collect::<Result<_, _>>()?;
    for (i, a) in draws.iter().enumerate() {
        ensure!(draws[i + 1..].iter().all(|b| b != a), "two draws of 32 random bytes were equal");
        ensure!(a.iter().any(|&b| b != a[0]), "32 random bytes were all {}", a[0]);
    }
    Ok(())
}

async fn pbkdf2(crypto: &dyn Crypto) -> Result<(), Failure> {
    // PBKDF2-HMAC-SHA256, P = "password", S = "salt", dkLen = 32 (the RFC 6070 inputs).
    let vectors = [
        (1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        (4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
    ];
    for (iterations, expected) in vectors {
        let got = hex(&crypto.pbkdf2_sha256(b"password", b"salt", iterations).await?);
        ensure!(got == expected, "{iterations} iterations gave {got}, not {expected}");
    }
    let other = crypto.pbkdf2_sha256(b"password", b"salt2", 1).await?;
    ensure!(hex(&other) != vectors[0].1, "a different salt gave the same key");
    Ok(())
}

async fn rsa(crypto: &dyn Crypto) -> Result<(), Failure> {
    let pair = crypto.generate_rsa(2048).await?;
    ensure!(pair.private_pkcs8_der.first() == Some(&0x30), "the PKCS#8 key is not a DER SEQUENCE");
    ensure!(pair.public_spki_der.first() == Some(&0x30), "the SPKI key is not a DER SEQUENCE");
    // SubjectPublicKeyInfo of a 2048-bit key with e = 65537: 294 bytes.
    ensure!(pair.public_spki_der.len() == 294, "a 2048-bit SPKI of {} bytes", pair.public_spki_der.len());
    let message = b"(request-target): post /inbox\nhost: tube.example";
    let signature = crypto.sign_rsa_sha256(&pair.private_pkcs8_der, message).await?;
    ensure!(signature.len() == 256, "a 2048-bit signature of {} bytes", signature.len());
    let again = crypto.sign_rsa_sha256(&pair.private_pkcs8_der, message).await?;
    ensure!(again == signature, "PKCS#1 v1.5 signatures are deterministic, two differ");
    let verified = crypto.verify_rsa_sha256(&pair.public_spki_der, message, &signature).await?;
    ensure!(verified, "a fresh signature does not verify");
    let wrong_message =
        crypto.verify_rsa_sha256(&pair.public_spki_der, b"another message", &signature).await?;
    ensure!(!wrong_message, "a signature verifies over another message");
    let mut tampered = signature.clone();
    tampered[17] ^= 0x01;
    let wrong_signature = crypto.verify_rsa_sha256(&pair.public_spki_der, message, &tampered).await?;
    ensure!(!wrong_signature, "a tampered signature verifies");
    let other = crypto.generate_rsa(2048).await?;
    ensure!(other.public_spki_der != pair.public_spki_der, "two generated keys are equal");
    let other_key = crypto.verify_rsa_sha256(&other.public_spki_der, message, &signature).await?;
    ensure!(!other_key, "a signature verifies under another key");
    Ok(())
}

async fn malformed_keys(crypto: &dyn Crypto) -> Result<(), Failure> {
    match crypto.sign_rsa_sha256(b"not a key", b"message").await {
        Err(PortError::Invalid { port: "crypto", .. }) => {}
        other => return Err(Failure(format!("signing with a malformed key gave {other:?}, not Invalid"))),
    }
    match crypto.verify_rsa_sha256(b"not a key", b"message", &[0; 256]).await {
        Err(PortError::Invalid { port: "crypto", .. }) => Ok(()),
        other => Err(Failure(format!("verifying with a malformed key gave {other:?}, not Invalid"))),
    }
}
