//! `PortError`: how a port call failed, classified so the core can tell a retry from a refusal.

use thiserror::Error;

/// What went wrong below a port, sorted by what the caller should do about it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PortError {
    /// The backing service did not answer or failed transiently; retrying later may work.
    #[error("{port} unavailable: {message}")]
    Unavailable {
        /// Which port failed (`sql`, `kv`, ...).
        port: &'static str,
        /// The platform's own message.
        message: String,
    },
    /// A platform limit was hit (row size, bound parameters, CPU); retrying the same call will not help.
    #[error("{port} limit exceeded: {message}")]
    LimitExceeded {
        /// Which port failed.
        port: &'static str,
        /// The platform's own message.
        message: String,
    },
    /// A write lost against a concurrent one (unique constraint, precondition).
    #[error("{port} conflict: {message}")]
    Conflict {
        /// Which port failed.
        port: &'static str,
        /// The platform's own message.
        message: String,
    },
    /// The input was refused by the backing service (bad SQL, malformed key or signature).
    #[error("{port} rejected the input: {message}")]
    Invalid {
        /// Which port failed.
        port: &'static str,
        /// The platform's own message.
        message: String,
    },
}

impl PortError {
    /// A transient failure of `port`.
    pub fn unavailable(port: &'static str, message: impl Into<String>) -> Self {
        Self::Unavailable { port, message: message.into() }
    }

    /// Input refused by `port`.
    pub fn invalid(port: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { port, message: message.into() }
    }

    /// A limit of `port` hit; the same call will hit it again.
    pub fn limit_exceeded(port: &'static str, message: impl Into<String>) -> Self {
        Self::LimitExceeded { port, message: message.into() }
    }

    /// A lost race on `port`.
    pub fn conflict(port: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { port, message: message.into() }
    }
}
