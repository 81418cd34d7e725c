//! Runners on Spin. No Durable Object can hold their wait sockets, but a request may stay open
//! as long as its handler runs, so a runner's `jobs/request?waitSeconds=N` is held (a long poll)
//! and looks for jobs again every half second: a few requests a minute from an idle runner
//! instead of one a second, and a new job offered within half a second.

use async_trait::async_trait;
use edgetube_ports::{PortError, RunnerSignal};

use crate::deadline::Deadline;

/// Holds runners' `jobs/request`s; signals go nowhere, because each held request looks for
/// jobs itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct HeldRequests;

#[async_trait(?Send)]
impl RunnerSignal for HeldRequests {
    fn holds_waiters(&self) -> bool {
        false
    }

    async fn jobs_available(&self) -> Result<(), PortError> {
        Ok(())
    }

    fn holds_requests(&self) -> bool {
        true
    }

    async fn pause(&self, millis: u64) {
        Deadline::after_millis(millis).await;
    }
}
