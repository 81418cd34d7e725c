//! `fermyon:spin/key-value`: the stores of `key_value_stores` in one SQLite file (Spin's local
//! key-value backend is SQLite as well), a table row per key.

use std::path::PathBuf;
use std::time::Duration;

use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::state::HostState;

/// An open store (the `store` resource): a connection and the store's label.
pub struct Store {
    conn: rusqlite::Connection,
    label: String,
}

/// Where the stores live and which labels are allowed.
#[derive(Debug, Clone)]
pub struct Stores {
    pub file: PathBuf,
    pub allowed: Vec<String>,
}

fn other(e: impl std::fmt::Display) -> Error {
    Error::Other(e.to_string())
}

impl HostState {
    fn store(&self, store: &Resource<Store>) -> Result<&Store, Error> {
        self.table.get(store).map_err(other)
    }
}

impl HostStore for HostState {
    fn open(&mut self, label: String) -> Result<Resource<Store>, Error> {
        if !self.spin.stores.allowed.contains(&label) {
            return Err(Error::AccessDenied);
        }
        let conn = rusqlite::Connection::open(&self.spin.stores.file).map_err(other)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(other)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(other)?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, \
             PRIMARY KEY (store, key))",
            [],
        )
        .map_err(other)?;
        self.table.push(Store { conn, label }).map_err(other)
    }

    fn get(&mut self, store: Resource<Store>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let store = self.store(&store)?;
        let mut statement = store
            .conn
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .map_err(other)?;
        let mut rows = statement.query((&store.label, &key)).map_err(other)?;
        match rows.next().map_err(other)? {
            Some(row) => Ok(Some(row.get(0).map_err(other)?)),
            None => Ok(None),
        }
    }

    fn set(&mut self, store: Resource<Store>, key: String, value: Vec<u8>) -> Result<(), Error> {
        let store = self.store(&store)?;
        store
            .conn
            .execute(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                (&store.label, &key, &value),
            )
            .map_err(other)?;
        Ok(())
    }

    fn delete(&mut self, store: Resource<Store>, key: String) -> Result<(), Error> {
        let store = self.store(&store)?;
        store
            .conn
            .execute("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2", (&store.label, &key))
            .map_err(other)?;
        Ok(())
    }

    fn exists(&mut self, store: Resource<Store>, key: String) -> Result<bool, Error> {
        Ok(self.get(store, key)?.is_some())
    }

    fn get_keys(&mut self, store: Resource<Store>) -> Result<Vec<String>, Error> {
        let store = self.store(&store)?;
        let mut statement = store
            .conn
            .prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")
            .map_err(other)?;
        let keys = statement.query_map([&store.label], |row| row.get(0)).map_err(other)?;
        keys.collect::<Result<_, _>>().map_err(other)
    }

    fn drop(&mut self, store: Resource<Store>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl Host for HostState {}
