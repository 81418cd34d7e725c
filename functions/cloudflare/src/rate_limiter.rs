//! The rate-limiter port on a Durable Object per key: one object serialises every hit (and
//! refund) on its key, which Workers KV (no compare-and-swap, eventually consistent) cannot do.
//! Workers' own rate-limiting binding only has 10 s and 60 s periods; PeerTube's login limit
//! is per 5 minutes.

use std::cell::RefCell;

use async_trait::async_trait;
use edgetube_ports::{FixedWindow, PortError, RateDecision, RateLimiter};
use worker::{durable_object, DurableObject, Env, ObjectNamespace, Request, Response, State};

/// The port: forwards each hit to the object named after the key.
pub struct DurableRateLimiter {
    namespace: ObjectNamespace,
}

impl DurableRateLimiter {
    pub fn new(namespace: ObjectNamespace) -> Self {
        Self { namespace }
    }
}

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("rate_limiter", e.to_string())
}

#[async_trait(?Send)]
impl RateLimiter for DurableRateLimiter {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<RateDecision, PortError> {
        let stub = self.namespace.get_by_name(key).map_err(unavailable)?;
        let url = format!("https://rate-limiter/hit?limit={limit}&window={window_seconds}&now={now_millis}");
        let mut response = stub.fetch_with_str(&url).await.map_err(unavailable)?;
        response.json::<RateDecision>().await.map_err(unavailable)
    }

    async fn refund(&self, key: &str, window_seconds: u32, counted: &RateDecision) -> Result<(), PortError> {
        let stub = self.namespace.get_by_name(key).map_err(unavailable)?;
        let url =
            format!("https://rate-limiter/refund?window={window_seconds}&reset={}", counted.reset_at_millis);
        let response = stub.fetch_with_str(&url).await.map_err(unavailable)?;
        if response.status_code() >= 300 {
            return Err(unavailable(format!("refund answered {}", response.status_code())));
        }
        Ok(())
    }
}

/// One key's window. Kept in memory only: an evicted object forgets its count, which can only
/// let more requests through (the port's documented weakness), and saves a storage write per hit.
#[durable_object]
pub struct RateLimiterObject {
    window: RefCell<FixedWindow>,
}

impl DurableObject for RateLimiterObject {
    fn new(_state: State, _env: Env) -> Self {
        Self { window: RefCell::new(FixedWindow::default()) }
    }

    /// `/refund?window=&reset=` takes back one hit; any other path is a hit
    /// (`?limit=&window=&now=`), as every path was before refunds existed.
    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        if url.path() == "/refund" {
            let (Some(window), Some(reset)) = (
                param("window").and_then(|v| v.parse::<u32>().ok()),
                param("reset").and_then(|v| v.parse::<i64>().ok()),
            ) else {
                return Response::error("window and reset are required", 400);
            };
            self.window.borrow_mut().refund(window, reset);
            return Ok(Response::empty()?.with_status(204));
        }
        let (Some(limit), Some(window), Some(now)) = (
            param("limit").and_then(|v| v.parse::<u32>().ok()),
            param("window").and_then(|v| v.parse::<u32>().ok()),
            param("now").and_then(|v| v.parse::<i64>().ok()),
        ) else {
            return Response::error("limit, window and now are required", 400);
        };
        let decision = self.window.borrow_mut().hit(now, limit, window);
        Response::from_json(&decision)
    }
}
