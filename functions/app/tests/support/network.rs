//! Two instances federating in one process, for the federation tests: each a whole `App` over
//! its own native ports (real SQLite with the migrations, real RSA and ed25519), joined by an
//! outbound HTTP port that hands a request for one origin to that instance's `App::handle`.
//! Nothing is mocked but the wire: WebFinger, signed fetches of actors, signed deliveries, the
//! inbox's verification, the queue consumers and the retries all run as deployed. Queues are
//! pumped by hand, so retry delays and a peer that is down are steps of a test, not waits.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_app::QueueOutcome;
use edgetube_ports::{HttpClient, HttpLimits, JobQueue, PortError, Ports, QueueMessage, Sql, Statement};
use futures::executor::block_on;
use http::{Request, Response};
use serde_json::Value;

use super::{Fixture, ADMIN_PASSWORD};

pub const A: &str = "http://a.example:8001";
pub const B: &str = "http://b.example:8002";

/// The two instances and the wire between them.
pub struct Network {
    pub nodes: Vec<(&'static str, Fixture)>,
    /// Authorities whose connections are refused, as if the instance were stopped.
    pub down: RefCell<HashSet<String>>,
    /// Requests that crossed the wire: (method, URL, status or 0 when refused).
    pub wire: RefCell<Vec<(String, String, u16)>>,
    /// Queue messages sent with a delay, held until [`Network::release_delayed`].
    pub delayed: RefCell<Vec<(usize, QueueMessage, u32)>>,
    /// Milliseconds both clocks moved, for the log.
    pub moved: Cell<i64>,
}

#[async_trait(?Send)]
impl HttpClient for Network {
    async fn send(&self, request: Request<Bytes>, limits: HttpLimits) -> Result<Response<Bytes>, PortError> {
        let url = request.uri().to_string();
        let authority = request.uri().authority().map(|a| a.as_str().to_owned()).unwrap_or_default();
        if self.down.borrow().contains(&authority) {
            self.wire.borrow_mut().push((request.method().to_string(), url.clone(), 0));
            return Err(PortError::unavailable("http", format!("connection refused: {url}")));
        }
        let node = self
            .nodes
            .iter()
            .position(|(origin, _)| origin.ends_with(&authority))
            .ok_or_else(|| PortError::unavailable("http", format!("no such host: {url}")))?;
        let method = request.method().to_string();
        let response = self.nodes[node].1.app.handle(&self.ports(node), request).await;
        let (parts, body) = response.into_parts();
        let body = body.collect_limited(usize::try_from(limits.max_body_bytes).unwrap()).await.unwrap();
        self.wire.borrow_mut().push((method, url, parts.status.as_u16()));
        Ok(Response::from_parts(parts, body))
    }
}

impl Network {
    pub fn new(extra: &[(&str, &str)]) -> Self {
        let node = |origin: &'static str| {
            let mut vars = vec![
                ("PUBLIC_ORIGIN", origin),
                ("FEDERATION_RETRY_BASE_SECONDS", "60"),
                ("SIGNUP_OPEN", "true"),
            ];
            vars.extend_from_slice(extra);
            (origin, Fixture::with_vars(&vars))
        };
        Self {
            nodes: vec![node(A), node(B)],
            down: RefCell::default(),
            wire: RefCell::default(),
            delayed: RefCell::default(),
            moved: Cell::new(0),
        }
    }

    /// Node `index`'s ports, with this network as their outbound HTTP.
    pub fn ports(&self, index: usize) -> Ports<'_> {
        Ports { http: self, ..self.nodes[index].1.ports.ports() }
    }

    pub fn fixture(&self, index: usize) -> &Fixture {
        &self.nodes[index].1
    }

    /// A JSON API request to node `index`; (status, body).
    pub fn api(
        &self,
        index: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request =
            Request::builder().method(method).uri(path).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let response =
            block_on(self.nodes[index].1.app.handle(&self.ports(index), request.body(body).unwrap()));
        let (parts, body) = response.into_parts();
        let body = block_on(body.collect_limited(1 << 20)).unwrap();
        let value = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap() };
        (parts.status.as_u16(), value)
    }

    /// A GET of node `index`'s API; (status, body).
    pub fn get(&self, index: usize, path: &str, token: Option<&str>) -> (u16, Value) {
        self.api(index, "GET", path, token, None)
    }

    /// Subscribes the user of `token` on node `index` to `uri` (a channel's handle), as
    /// `POST /api/v1/users/me/subscriptions` does; the Follow is queued, not yet delivered.
    pub fn subscribe(&self, index: usize, token: &str, uri: &str) {
        let (status, body) = self.api(
            index,
            "POST",
            "/api/v1/users/me/subscriptions",
            Some(token),
            Some(serde_json::json!({ "uri": uri })),
        );
        assert_eq!(status, 204, "subscribing to {uri}: {body}");
    }

    pub fn root(&self, index: usize) -> String {
        self.fixture(index).login("root", ADMIN_PASSWORD)
    }

    /// Handles every queued message of every node, and what that queues, until the queues are
    /// empty; messages sent with a delay are held. Returns the outcomes, in order.
    pub fn pump(&self) -> Vec<QueueOutcome> {
        let mut outcomes = Vec::new();
        for _round in 0..50 {
            let mut any = false;
            for index in 0..self.nodes.len() {
                for (message, delay) in self.fixture(index).ports.queue.drain_with_delays() {
                    any = true;
                    match delay {
                        Some(seconds) if seconds > 0 => {
                            self.delayed.borrow_mut().push((index, message, seconds))
                        }
                        _ => outcomes.push(block_on(
                            self.fixture(index).app.handle_queue_message(&self.ports(index), &message),
                        )),
                    }
                }
            }
            if !any {
                return outcomes;
            }
        }
        panic!("the queues did not settle in 50 rounds: {outcomes:?}");
    }

    /// Moves both clocks past the longest held delay and queues the held messages again.
    pub fn release_delayed(&self) -> usize {
        let held: Vec<_> = self.delayed.borrow_mut().drain(..).collect();
        let longest = held.iter().map(|(_, _, s)| i64::from(*s)).max().unwrap_or(0);
        self.advance((longest + 1) * 1000);
        for (index, message, _) in &held {
            block_on(JobQueue::send(&self.fixture(*index).ports.queue, message, None)).unwrap();
        }
        held.len()
    }

    pub fn advance(&self, millis: i64) {
        for (_, fixture) in &self.nodes {
            fixture.ports.clock.advance(millis);
        }
        self.moved.set(self.moved.get() + millis);
    }

    pub fn rows(&self, index: usize, sql: &str) -> Vec<Value> {
        block_on(self.fixture(index).ports.sql.query(Statement::new(sql)))
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect()
    }

    pub fn posts_to(&self, url_prefix: &str) -> Vec<u16> {
        self.wire
            .borrow()
            .iter()
            .filter(|(method, url, _)| method == "POST" && url.starts_with(url_prefix))
            .map(|(_, _, status)| *status)
            .collect()
    }
}
