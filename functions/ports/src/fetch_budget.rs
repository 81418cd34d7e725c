//! A per-task bound on outbound requests: whatever one inbox activity or one API request makes
//! the instance fetch (actors, their owners, videos, collections, WebFinger), it stops at a fixed
//! number of requests, so a crafted document that names a thousand actors costs a bounded amount
//! of work and of other servers' time. Wraps any [`HttpClient`]; the core puts one around the
//! platform's client for each request and each inbox activity it handles.

use std::cell::Cell;

use async_trait::async_trait;
use bytes::Bytes;

use crate::{HttpClient, HttpLimits, PortError};

/// An [`HttpClient`] that makes at most `budget` requests, then refuses with
/// [`PortError::LimitExceeded`] (trying the same work again would spend the same).
pub struct FetchBudget<'a> {
    inner: &'a dyn HttpClient,
    left: Cell<u32>,
    budget: u32,
}

impl<'a> FetchBudget<'a> {
    /// `inner`, bounded to `budget` requests.
    pub fn new(inner: &'a dyn HttpClient, budget: u32) -> Self {
        Self { inner, left: Cell::new(budget), budget }
    }

    /// Requests made so far.
    pub fn spent(&self) -> u32 {
        self.budget - self.left.get()
    }
}

#[async_trait(?Send)]
impl HttpClient for FetchBudget<'_> {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        limits: HttpLimits,
    ) -> Result<http::Response<Bytes>, PortError> {
        let left = self.left.get();
        if left == 0 {
            return Err(PortError::limit_exceeded(
                "http",
                format!(
                    "the fetch budget of {} requests for this task is spent ({})",
                    self.budget,
                    request.uri()
                ),
            ));
        }
        self.left.set(left - 1);
        self.inner.send(request, limits).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ok200;

    #[async_trait(?Send)]
    impl HttpClient for Ok200 {
        async fn send(
            &self,
            _: http::Request<Bytes>,
            _: HttpLimits,
        ) -> Result<http::Response<Bytes>, PortError> {
            Ok(http::Response::new(Bytes::new()))
        }
    }

    #[test]
    fn the_budget_is_spent_then_refused() {
        let inner = Ok200;
        let budget = FetchBudget::new(&inner, 2);
        let get = || http::Request::get("https://a.example/x").body(Bytes::new()).unwrap();
        for _ in 0..2 {
            assert!(futures::executor::block_on(budget.send(get(), HttpLimits::DOCUMENT)).is_ok());
        }
        let refused = futures::executor::block_on(budget.send(get(), HttpLimits::DOCUMENT)).unwrap_err();
        assert!(matches!(refused, PortError::LimitExceeded { .. }), "{refused}");
        assert_eq!(budget.spent(), 2);
    }
}
