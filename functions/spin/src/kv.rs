//! The key-value port on Spin's key-value store (`fermyon:spin/key-value@2.0.0`, `default`).
//!
//! Spin's store has no expiry: each value carries its expiry (milliseconds since the epoch, 0 for
//! none) in its first 8 bytes, and a read past it deletes the key and answers nothing.

use async_trait::async_trait;
use edgetube_ports::{Clock, Kv, PortError};
use spin_sdk::key_value::Store;

use crate::clock::SystemClock;

/// The `default` store (declared as `key_value_stores` in `spin.toml`).
pub struct SpinKv {
    store: Store,
}

fn unavailable(e: impl std::fmt::Debug) -> PortError {
    PortError::unavailable("kv", format!("{e:?}"))
}

impl SpinKv {
    pub fn open() -> Result<Self, PortError> {
        Ok(Self { store: Store::open_default().map_err(unavailable)? })
    }
}

#[async_trait(?Send)]
impl Kv for SpinKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        let Some(stored) = self.store.get(key).map_err(unavailable)? else { return Ok(None) };
        let Some((expiry, value)) = stored.split_first_chunk::<8>() else {
            return Err(PortError::invalid("kv", format!("{key}: value without its expiry")));
        };
        let expiry = i64::from_be_bytes(*expiry);
        if expiry != 0 && expiry <= SystemClock.now_millis() {
            self.store.delete(key).map_err(unavailable)?;
            return Ok(None);
        }
        Ok(Some(value.to_vec()))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: Option<u64>) -> Result<(), PortError> {
        let expiry = ttl_seconds.map_or(0, |ttl| {
            SystemClock
                .now_millis()
                .saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX))
        });
        let mut stored = Vec::with_capacity(8 + value.len());
        stored.extend_from_slice(&expiry.to_be_bytes());
        stored.extend_from_slice(value);
        self.store.set(key, &stored).map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.store.delete(key).map_err(unavailable)
    }
}
