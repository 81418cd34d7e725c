//! The seams between Edgetube's platform-free core and the runtimes it runs on.
//!
//! Each trait names a capability, never a product: [`Sql`], [`Kv`], [`Objects`], [`JobQueue`],
//! [`Clock`], [`Crypto`], [`HttpClient`], [`RateLimiter`], [`ViewCounter`] and [`RunnerSignal`].
//! Their docs state the *weakest* guarantee any platform gives, because the core must be correct
//! on all of them: D1 has batches but no interactive transactions, KV is eventually consistent,
//! queues deliver at least once.
//!
//! The traits are `?Send`: futures backed by JavaScript promises (Workers) are not `Send`.
//!
//! [`Ports`] bundles one of each and is the first argument of every core entry point.
//! This crate knows nothing of Workers, Spin, SQLite or tokio.

mod clock;
mod crypto;
pub mod encoding;
mod error;
mod fetch_budget;
pub mod http_client;
mod kv;
mod objects;
mod queue;
pub mod r2_notification;
mod rate_limit;
mod runner_signal;
mod sql;
mod views;

pub use clock::Clock;
pub use crypto::{Crypto, RsaKeyPair};
pub use error::PortError;
pub use fetch_budget::FetchBudget;
pub use http_client::{HttpClient, HttpLimits};
pub use kv::Kv;
pub use objects::{ObjectBody, ObjectMeta, ObjectRange, ObjectStream, Objects, StreamedObject, UploadedPart};
pub use queue::{Delivery, InboxWork, JobQueue, ObjectCreated, QueueMessage};
pub use rate_limit::{FixedWindow, RateDecision, RateLimiter};
pub use runner_signal::{Backlog, PollOnly, RunnerSignal};
pub use sql::{Row, Sql, SqlValue, Statement};
pub use views::{ViewCounter, ViewWindow};

/// One binding of every port, borrowed for the length of a request or a queue batch.
///
/// Platform crates build it from their runtime handles; core code takes `&Ports` first.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// The relational store (D1, Spin SQLite, rusqlite).
    pub sql: &'a dyn Sql,
    /// The eventually consistent key-value cache.
    pub kv: &'a dyn Kv,
    /// Object storage for media (R2, S3, a directory).
    pub objects: &'a dyn Objects,
    /// The job queue that feeds background consumers.
    pub queue: &'a dyn JobQueue,
    /// Wall-clock time.
    pub clock: &'a dyn Clock,
    /// Signatures, key generation, password hashing and randomness.
    pub crypto: &'a dyn Crypto,
    /// Requests to other servers (federation).
    pub http: &'a dyn HttpClient,
    /// Per-client request counting.
    pub rate_limiter: &'a dyn RateLimiter,
    /// Deduplicated, aggregated video views.
    pub views: &'a dyn ViewCounter,
    /// Wakes transcoding runners waiting for jobs.
    pub runner_signal: &'a dyn RunnerSignal,
}
