//! One conformance suite for every binding of the ports in `edgetube-ports`.
//!
//! Each check exercises a guarantee that a port trait documents (its *weakest* guarantee, the
//! one every platform gives) and nothing more: a platform that is stronger passes, one that is
//! weaker fails. The same checks run against the native adapters (`cargo test -p
//! edgetube-ports-conformance`) and, inside the real Worker, against D1, KV, R2, Queues, Durable
//! Objects and WebCrypto (`POST /_edgetube/conformance`, local runs only; `tests/tests/conformance.rs`).
//!
//! Every key, row and object a run writes carries the run's own prefix ([`Run`]), so the suite
//! can run against a live instance repeatedly; a run removes what it wrote when it can.
//! Nothing here waits in wall-clock time: expiry and eventual visibility elsewhere are not checked.

mod crypto;
mod http_client;
mod kv;
mod misc;
mod objects;
mod sql;

use edgetube_ports::{Clock, Crypto, PortError, Ports};
use serde::{Deserialize, Serialize};

pub use crypto::check_crypto;
pub use http_client::{check_http_client, pattern, HttpTarget};
pub use kv::check_kv;
pub use misc::{check_clock, check_queue, check_rate_limiter, check_runner_signal, check_views};
pub use objects::check_objects;
pub use sql::{check_sql, PROBE_TABLE};

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

impl From<PortError> for Failure {
    fn from(e: PortError) -> Self {
        Self(format!("unexpected port error: {e}"))
    }
}

/// Fails the enclosing check with a formatted message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::Failure(format!($($arg)+)));
        }
    };
}
pub(crate) use ensure;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// `port.guarantee`, e.g. `sql.batch_is_atomic`.
    pub name: String,
    /// Whether the port kept the guarantee.
    pub passed: bool,
    /// What went wrong (empty when it passed).
    pub detail: String,
}

/// Every check's outcome, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The run's prefix (see [`Run`]).
    pub run: String,
    /// One entry per check.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// An empty report for `run`.
    pub fn new(run: &Run) -> Self {
        Self { run: run.id.clone(), results: Vec::new() }
    }

    /// Records the outcome of the check `name`.
    pub fn add(&mut self, name: &str, outcome: Result<(), Failure>) {
        let (passed, detail) = match outcome {
            Ok(()) => (true, String::new()),
            Err(Failure(detail)) => (false, detail),
        };
        self.results.push(CheckResult { name: name.to_owned(), passed, detail });
    }

    /// Appends another report's results.
    pub fn extend(&mut self, other: Report) {
        self.results.extend(other.results);
    }

    /// The checks that failed.
    pub fn failures(&self) -> Vec<&CheckResult> {
        self.results.iter().filter(|r| !r.passed).collect()
    }

    /// Whether every check passed (and there was at least one).
    pub fn all_passed(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(|r| r.passed)
    }
}

/// One run of the suite: the prefix of everything it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Lowercase letters and digits only, so it is safe in keys, SQL text and object paths.
    pub id: String,
}

impl Run {
    /// A run named `id` (callers make it unique).
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// A fresh run: the clock's milliseconds and eight random bytes, in hexadecimal.
    pub fn fresh(clock: &dyn Clock, crypto: &dyn Crypto) -> Self {
        let random = crypto.random_bytes(8).unwrap_or_default();
        Self::new(format!("{:x}{}", clock.now_millis(), hex(&random)))
    }

    /// A KV key or object key of this run.
    pub fn key(&self, name: &str) -> String {
        format!("conformance/{}/{name}", self.id)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs every check against `ports` but the [`HttpClient`](edgetube_ports::HttpClient) ones,
/// which need a server the caller runs ([`check_http_client`]).
pub async fn run_all(ports: &Ports<'_>, run: &Run) -> Report {
    let mut report = Report::new(run);
    report.extend(check_sql(ports.sql, run).await);
    report.extend(check_kv(ports.kv, run).await);
    report.extend(check_objects(ports.objects, run).await);
    report.extend(check_clock(ports.clock, run));
    report.extend(check_crypto(ports.crypto, run).await);
    report.extend(check_rate_limiter(ports.rate_limiter, ports.clock, run).await);
    report.extend(check_views(ports.views, ports.crypto, ports.clock, run).await);
    report.extend(check_queue(ports.queue, run).await);
    report.extend(check_runner_signal(ports.runner_signal, run).await);
    report
}
