//! Native bindings of the Edgetube ports, for fast tests of the core and for native hosts.
//!
//! - [`NativeSql`]: real SQLite (rusqlite) running the same `migrations/` folder as D1.
//! - [`DirObjects`]: objects as files under a directory.
//! - [`MemoryKv`] and [`MemoryQueue`]: in-process stand-ins with the ports' weakest contracts.
//! - [`NativeCrypto`]: the pure-Rust `rsa` and `pbkdf2` crates with the OS random generator.
//! - [`SystemClock`] and [`FixedClock`].
//! - [`MemoryRunnerSignal`]: counts the signals that wake runners.
//! - [`NativePorts`]: one of each, ready to lend as [`edgetube_ports::Ports`].

mod clock;
mod crypto;
mod http_client;
mod kv;
mod objects;
mod queue;
mod rate_limit;
mod runner_signal;
mod sql;
mod views;

pub use clock::{FixedClock, SystemClock};
pub use crypto::NativeCrypto;
pub use http_client::OfflineHttp;
pub use kv::MemoryKv;
pub use objects::DirObjects;
pub use queue::MemoryQueue;
pub use rate_limit::MemoryRateLimiter;
pub use runner_signal::MemoryRunnerSignal;
pub use sql::{migrations_dir, NativeSql};
pub use views::MemoryViewCounter;

use edgetube_ports::Ports;

/// A full set of native ports over a fresh in-memory database and a temporary directory.
pub struct NativePorts {
    /// SQLite with every migration applied.
    pub sql: NativeSql,
    /// In-memory KV.
    pub kv: MemoryKv,
    /// Objects in a directory.
    pub objects: DirObjects,
    /// In-memory queue; tests drain it.
    pub queue: MemoryQueue,
    /// A clock tests can move.
    pub clock: FixedClock,
    /// Pure-Rust crypto.
    pub crypto: NativeCrypto,
    /// Refuses outbound requests.
    pub http: OfflineHttp,
    /// Fixed windows in memory.
    pub rate_limiter: MemoryRateLimiter,
    /// View windows in memory.
    pub views: MemoryViewCounter,
    /// Counts the signals that wake runners.
    pub runner_signal: MemoryRunnerSignal,
}

impl NativePorts {
    /// Fresh ports: migrated in-memory SQLite, objects under `objects_dir`, the clock at `now_millis`.
    pub fn new(objects_dir: &std::path::Path, now_millis: i64) -> Result<Self, edgetube_ports::PortError> {
        Ok(Self {
            sql: NativeSql::open_in_memory()?,
            kv: MemoryKv::default(),
            objects: DirObjects::new(objects_dir),
            queue: MemoryQueue::default(),
            clock: FixedClock::new(now_millis),
            crypto: NativeCrypto,
            http: OfflineHttp,
            rate_limiter: MemoryRateLimiter::default(),
            views: MemoryViewCounter::default(),
            runner_signal: MemoryRunnerSignal::default(),
        })
    }

    /// Borrows every port as the core expects them.
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            sql: &self.sql,
            kv: &self.kv,
            objects: &self.objects,
            queue: &self.queue,
            clock: &self.clock,
            crypto: &self.crypto,
            http: &self.http,
            rate_limiter: &self.rate_limiter,
            views: &self.views,
            runner_signal: &self.runner_signal,
        }
    }
}
