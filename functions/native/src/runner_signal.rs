//! The runner-signal port in memory: counts signals, so tests can check that every way a job
//! becomes pending wakes the runners, and can make the signal fail.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use edgetube_ports::{Backlog, PortError, RunnerSignal};

/// Counts [`RunnerSignal::jobs_available`] calls. Holds waiters unless told otherwise, so the
/// wait route's hand-over can be tested; [`MemoryRunnerSignal::poll_only`] behaves as a platform
/// without them.
#[derive(Debug)]
pub struct MemoryRunnerSignal {
    signals: AtomicU64,
    holds_waiters: AtomicBool,
    failing: AtomicBool,
    starts_runners: AtomicBool,
    holds_requests: AtomicBool,
    pauses: AtomicU64,
    backlogs: Mutex<Vec<Backlog>>,
}

impl Default for MemoryRunnerSignal {
    fn default() -> Self {
        Self {
            signals: AtomicU64::new(0),
            holds_waiters: AtomicBool::new(true),
            failing: AtomicBool::new(false),
            starts_runners: AtomicBool::new(false),
            holds_requests: AtomicBool::new(false),
            pauses: AtomicU64::new(0),
            backlogs: Mutex::new(Vec::new()),
        }
    }
}

impl MemoryRunnerSignal {
    /// A platform where runners cannot wait.
    pub fn poll_only() -> Self {
        let signal = Self::default();
        signal.holds_waiters.store(false, Ordering::Relaxed);
        signal
    }

    /// A binding that also starts runners on demand: it records each backlog it is told.
    pub fn starting_runners() -> Self {
        let signal = Self::default();
        signal.starts_runners.store(true, Ordering::Relaxed);
        signal
    }

    /// A platform that holds runners' `jobs/request`s (Spin): each pause returns at once and is
    /// counted, so a test sees how many times a held request looked again.
    pub fn holding_requests() -> Self {
        let signal = Self::poll_only();
        signal.holds_requests.store(true, Ordering::Relaxed);
        signal
    }

    /// [`RunnerSignal::pause`]s so far.
    pub fn pauses(&self) -> u64 {
        self.pauses.load(Ordering::Relaxed)
    }

    /// The backlogs of the [`RunnerSignal::jobs_pending`] hints so far, oldest first.
    pub fn backlogs(&self) -> Vec<Backlog> {
        self.backlogs.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// Signals sent so far (failed ones not counted).
    pub fn signals(&self) -> u64 {
        self.signals.load(Ordering::Relaxed)
    }

    /// Makes every later signal fail (`true`) or succeed again.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::Relaxed);
    }
}

#[async_trait(?Send)]
impl RunnerSignal for MemoryRunnerSignal {
    fn holds_waiters(&self) -> bool {
        self.holds_waiters.load(Ordering::Relaxed)
    }

    async fn jobs_available(&self) -> Result<(), PortError> {
        if self.failing.load(Ordering::Relaxed) {
            return Err(PortError::unavailable("runner_signal", "signal refused by the test"));
        }
        self.signals.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn starts_runners(&self) -> bool {
        self.starts_runners.load(Ordering::Relaxed)
    }

    fn holds_requests(&self) -> bool {
        self.holds_requests.load(Ordering::Relaxed)
    }

    async fn pause(&self, _millis: u64) {
        self.pauses.fetch_add(1, Ordering::Relaxed);
    }

    async fn jobs_pending(&self, backlog: Backlog) -> Result<(), PortError> {
        self.jobs_available().await?;
        if let Ok(mut backlogs) = self.backlogs.lock() {
            backlogs.push(backlog);
        }
        Ok(())
    }
}
