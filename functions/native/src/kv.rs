//! The key-value port in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{Kv, PortError};

/// KV in a hash map. Expiry is not modelled: the port allows a value to outlive its TTL.
#[derive(Debug, Default)]
pub struct MemoryKv {
    values: Mutex<HashMap<String, Vec<u8>>>,
}

fn poisoned() -> PortError {
    PortError::unavailable("kv", "lock poisoned")
}

#[async_trait(?Send)]
impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        Ok(self.values.lock().map_err(|_| poisoned())?.get(key).cloned())
    }

    async fn put(&self, key: &str, value: &[u8], _ttl_seconds: Option<u64>) -> Result<(), PortError> {
        self.values.lock().map_err(|_| poisoned())?.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.values.lock().map_err(|_| poisoned())?.remove(key);
        Ok(())
    }
}
