//! The domain's error type: what a port or an inconsistency made fail.

use edgetube_ports::PortError;
use thiserror::Error;

/// A domain operation that could not complete.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DomainError {
    /// A port failed underneath.
    #[error(transparent)]
    Port(#[from] PortError),
    /// A stored private key could not be unsealed: the key-encryption secret changed or the row
    /// was tampered with.
    #[error("the private key of actor {username} cannot be unsealed with the configured secret")]
    KeyUnsealing {
        /// The actor whose key failed.
        username: String,
    },
    /// A key was not the RSA DER the crypto port promised.
    #[error("malformed RSA key: {0}")]
    MalformedKey(String),
    /// A row read back from SQL did not have the expected shape.
    #[error("stored data is inconsistent: {0}")]
    Inconsistent(String),
}
