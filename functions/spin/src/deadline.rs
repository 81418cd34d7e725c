//! A future that completes after a duration, on `wasi:clocks/monotonic-clock` and Spin's executor.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Completes `millis` milliseconds after its creation.
pub struct Deadline {
    /// The monotonic instant, in nanoseconds.
    at: u64,
    /// The executor's registration of our waker; dropping it unregisters.
    token: Option<CancelOnDropToken>,
}

impl Deadline {
    pub fn after_millis(millis: u64) -> Self {
        Self { at: monotonic_clock::now().saturating_add(millis.saturating_mul(1_000_000)), token: None }
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if monotonic_clock::now() >= self.at {
            self.token = None;
            return Poll::Ready(());
        }
        let pollable = monotonic_clock::subscribe_instant(self.at);
        self.token = Some(CancelOnDropToken::from(spin_executor::push_waker_and_get_token(
            pollable,
            cx.waker().clone(),
        )));
        Poll::Pending
    }
}
