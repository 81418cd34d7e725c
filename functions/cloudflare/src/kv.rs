//! The key-value port on Workers KV.

use async_trait::async_trait;
use edgetube_ports::{Kv, PortError};
use worker::kv::KvStore;

/// The KV port on Workers KV.
pub struct WorkersKv {
    store: KvStore,
}

impl WorkersKv {
    pub fn new(store: KvStore) -> Self {
        Self { store }
    }
}

fn map_err(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("kv", e.to_string())
}

/// Workers KV refuses expirations under 60 s.
const MIN_TTL: u64 = 60;

#[async_trait(?Send)]
impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        self.store.get(key).bytes().await.map_err(map_err)
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: Option<u64>) -> Result<(), PortError> {
        let mut put = self.store.put_bytes(key, value).map_err(map_err)?;
        if let Some(ttl) = ttl_seconds {
            put = put.expiration_ttl(ttl.max(MIN_TTL));
        }
        put.execute().await.map_err(map_err)
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.store.delete(key).await.map_err(map_err)
    }
}
