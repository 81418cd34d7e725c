//! The key-value port: eventually consistent, no compare-and-swap.

use async_trait::async_trait;

use crate::PortError;

/// A key-value cache (Workers KV, Spin key-value).
///
/// Eventually consistent: a write may stay invisible to other locations for 60 s or more, and there
/// is no compare-and-swap. Keep only data here that may be stale or lost (caches, counters that
/// are folded into SQL later), never the only copy of something.
#[async_trait(?Send)]
pub trait Kv {
    /// The value under `key`; `Ok(None)` when there is none (or it expired).
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError>;

    /// Stores `value` under `key`, expiring after `ttl_seconds` when given (at least 60 on Workers).
    async fn put(&self, key: &str, value: &[u8], ttl_seconds: Option<u64>) -> Result<(), PortError>;

    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), PortError>;
}
