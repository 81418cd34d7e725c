//! The runner-signal port: how the core tells transcoding runners that jobs wait for them, so
//! an idle runner can wait for a word instead of asking every second.

use async_trait::async_trait;

use crate::PortError;

/// Wakes the runners that wait for jobs (`GET /api/v1/runners/jobs/wait`, PROTOCOL.md).
///
/// The weakest guarantee: a signal may be lost (a platform may drop it, a runner's socket may be
/// half-open), and a platform may hold no waiting runners at all (Spin has no Durable Objects).
/// Runners therefore still ask for jobs now and then on their own, and a job never depends on
/// a signal to be taken: a lost signal delays a job by the runner's slow safety poll, nothing more.
/// A signal with no job behind it costs one `jobs/request` per runner.
#[async_trait(?Send)]
pub trait RunnerSignal {
    /// Whether runners can wait on this platform. When `false`, the wait route answers 501 and
    /// runners fall back to polling `jobs/request`.
    fn holds_waiters(&self) -> bool;

    /// Tells every waiting runner that jobs may be available. Called after a job became pending
    /// (made, failed for a retry, aborted, released by the housekeeping). An error is only
    /// reported; the job stays pending for the next runner that asks.
    async fn jobs_available(&self) -> Result<(), PortError>;

    /// Whether this binding also starts runners when jobs wait (runners that exist only while
    /// there is work: Cloudflare Containers, or a local process launcher). Only then does the
    /// core count the [`Backlog`] for [`RunnerSignal::jobs_pending`]; counting costs a read.
    fn starts_runners(&self) -> bool {
        false
    }

    /// As [`RunnerSignal::jobs_available`], with the backlog behind the signal, so a binding
    /// that starts runners can start as many as the work needs (up to its own maximum). The
    /// weakest guarantee is the same: a lost hint delays a job until the next one (a later job,
    /// a failed job's retry, or the housekeeping's), never loses it.
    async fn jobs_pending(&self, backlog: Backlog) -> Result<(), PortError> {
        let _ = backlog;
        self.jobs_available().await
    }

    /// Whether a runner's `jobs/request` may be held open while no job is available (a long
    /// poll): the place to wait on a platform with no room for waiting sockets but no hurry to
    /// answer either (Spin keeps a request open for as long as its handler runs). The core then
    /// looks for jobs again after each [`RunnerSignal::pause`], up to the wait the runner asked
    /// for. `false` (the default) answers at once.
    fn holds_requests(&self) -> bool {
        false
    }

    /// Waits `millis` inside a held `jobs/request` before the core looks for jobs again. Only
    /// called when [`RunnerSignal::holds_requests`] says so; the default returns at once.
    async fn pause(&self, millis: u64) {
        let _ = millis;
    }
}

/// The work behind a [`RunnerSignal::jobs_pending`] hint, counted when it was sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Jobs waiting for a runner.
    pub pending: u64,
    /// Jobs a runner holds now (each keeps its runner busy).
    pub processing: u64,
}

/// The binding of a platform where runners cannot wait: no waiters, no held requests, and
/// signals go nowhere. Runners there poll `jobs/request` (the wait route answers 501).
#[derive(Debug, Default, Clone, Copy)]
pub struct PollOnly;

#[async_trait(?Send)]
impl RunnerSignal for PollOnly {
    fn holds_waiters(&self) -> bool {
        false
    }

    async fn jobs_available(&self) -> Result<(), PortError> {
        Ok(())
    }
}
