//! Federation's error type.

use edgetube_domain::DomainError;
use edgetube_ports::PortError;

/// Why a federation operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// A port failed underneath.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The domain failed underneath.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A URL this instance will not request.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// A remote server's document or answer was not usable.
    #[error("{url}: {reason}")]
    Remote {
        /// What was requested.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Stored federation data did not have the expected shape.
    #[error("stored federation data is inconsistent: {0}")]
    Inconsistent(String),
}

impl FederationError {
    /// A remote failure about `url`.
    pub fn remote(url: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self::Remote { url: url.into(), reason: reason.to_string() }
    }

    /// Whether trying again later may succeed (a port or a remote server failed for now).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Port(e) => matches!(e, PortError::Unavailable { .. }),
            Self::Domain(DomainError::Port(e)) => matches!(e, PortError::Unavailable { .. }),
            Self::Remote { .. } => true,
            _ => false,
        }
    }
}
