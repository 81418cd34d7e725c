//! Billable-operation counters for the cost model (`tests/bench/cost.sh`, COST.md): counting
//! wrappers over the ports and a counter per invocation kind, read and reset through
//! `GET /__bench/counts`. Active only when `BENCH_ENDPOINTS` is `true` (local configuration);
//! otherwise the entry points use the bound ports directly and [`bump`] is a no-op, so a
//! deployed Worker pays one thread-local check per D1 result and nothing else.
//!
//! Counting sits here, under `wrangler dev`, rather than in a native run because the numbers
//! that the bill needs come from the real platform: D1's own `meta.rows_read`/`rows_written`
//! (workerd's local D1 reports them), the real queue consumer's batches, the Cron Trigger and
//! the Durable Objects, all driven by the real runner.

use std::cell::RefCell;
use std::collections::BTreeMap;

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::{
    JobQueue, Kv, ObjectBody, ObjectMeta, ObjectRange, Objects, PortError, Ports, QueueMessage, RateDecision,
    RateLimiter, Row, Sql, Statement, StreamedObject, UploadedPart, ViewCounter,
};
use worker::{Env, Response};

thread_local! {
    /// `None` until an entry point sees `BENCH_ENDPOINTS=true`: counting is then off.
    static COUNTS: RefCell<Option<BTreeMap<String, f64>>> = const { RefCell::new(None) };
}

/// Whether this isolate counts: the bench flag, remembered so Durable Objects (which read no
/// variables on their hot path) count too once any entry point has switched counting on.
pub fn enable_if_bench(env: &Env) -> bool {
    let enabled = env.var("BENCH_ENDPOINTS").map(|v| v.to_string() == "true").unwrap_or(false);
    if enabled {
        COUNTS.with(|c| {
            c.borrow_mut().get_or_insert_with(BTreeMap::new);
        });
    }
    enabled
}

/// Adds `n` to counter `name` when counting is on.
pub fn bump(name: &str, n: f64) {
    COUNTS.with(|c| {
        if let Some(map) = c.borrow_mut().as_mut() {
            *map.entry(name.to_owned()).or_insert(0.0) += n;
        }
    });
}

/// D1's own accounting of one statement's result.
pub fn d1_meta(meta: Option<worker::D1ResultMeta>) {
    let Some(meta) = meta else { return };
    bump("d1.rows_read", meta.rows_read.unwrap_or(0) as f64);
    bump("d1.rows_written", meta.rows_written.unwrap_or(0) as f64);
    if meta.rows_read.is_none() {
        bump("d1.results_without_rows_read", 1.0);
    }
}

/// The class of a request, so the script can tell a runner's polls from a viewer's segments.
pub fn request_class(path: &str) -> &'static str {
    if path.starts_with("/api/v1/runners/jobs/request") {
        "runner_poll"
    } else if path.starts_with("/api/v1/runners") {
        "runner"
    } else if path.starts_with("/static/")
        || path.contains(".m3u8")
        || path.contains(".m4s")
        || path.contains(".mp4")
    {
        "media"
    } else if path.starts_with("/api/") {
        "api"
    } else {
        "other"
    }
}

/// `GET /__bench/counts[?reset=true]`: the counters as JSON (then zeroed when asked). Not itself
/// counted. `None` for any other path or when benchmarks are off.
pub fn handle<B>(env: &Env, request: &http::Request<B>) -> Option<worker::Result<Response>> {
    if request.uri().path() != "/__bench/counts" || !enable_if_bench(env) {
        return None;
    }
    let reset = request.uri().query().is_some_and(|q| q.contains("reset=true"));
    let snapshot = COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let map = c.get_or_insert_with(BTreeMap::new);
        let snapshot = map.clone();
        if reset {
            map.clear();
        }
        snapshot
    });
    Some(Response::from_json(&snapshot))
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// Counting wrappers around one invocation's ports.
pub struct MeteredPorts<'a> {
    inner: Ports<'a>,
    sql: MeteredSql<'a>,
    kv: MeteredKv<'a>,
    objects: MeteredObjects<'a>,
    queue: MeteredQueue<'a>,
    rate_limiter: MeteredRateLimiter<'a>,
    views: MeteredViews<'a>,
}

impl<'a> MeteredPorts<'a> {
    pub fn new(inner: Ports<'a>) -> Self {
        Self {
            inner,
            sql: MeteredSql(inner.sql),
            kv: MeteredKv(inner.kv),
            objects: MeteredObjects(inner.objects),
            queue: MeteredQueue(inner.queue),
            rate_limiter: MeteredRateLimiter(inner.rate_limiter),
            views: MeteredViews(inner.views),
        }
    }

    pub fn ports(&self) -> Ports<'_> {
        Ports {
            sql: &self.sql,
            kv: &self.kv,
            objects: &self.objects,
            queue: &self.queue,
            rate_limiter: &self.rate_limiter,
            views: &self.views,
            ..self.inner
        }
    }
}

struct MeteredSql<'a>(&'a dyn Sql);

#[async_trait(?Send)]
impl Sql for MeteredSql<'_> {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, PortError> {
        bump("d1.statements", 1.0);
        let rows = self.0.query(statement).await?;
        bump("d1.rows_returned", rows.len() as f64);
        Ok(rows)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, PortError> {
        bump("d1.statements", 1.0);
        self.0.execute(statement).await
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<(), PortError> {
        bump("d1.statements", statements.len() as f64);
        bump("d1.batches", 1.0);
        self.0.batch(statements).await
    }
}

struct MeteredKv<'a>(&'a dyn Kv);

#[async_trait(?Send)]
impl Kv for MeteredKv<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        bump("kv.reads", 1.0);
        self.0.get(key).await
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: Option<u64>) -> Result<(), PortError> {
        bump("kv.writes", 1.0);
        self.0.put(key, value, ttl_seconds).await
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        bump("kv.deletes", 1.0);
        self.0.delete(key).await
    }
}

/// R2's classes: A for writes, lists and multipart calls; B for reads and heads; deletes and
/// aborts are free.
struct MeteredObjects<'a>(&'a dyn Objects);

#[async_trait(?Send)]
impl Objects for MeteredObjects<'_> {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta, PortError> {
        bump("r2.class_a", 1.0);
        bump("r2.bytes_put", bytes.len() as f64);
        self.0.put(key, bytes, content_type).await
    }

    async fn get(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<ObjectBody>, PortError> {
        bump("r2.class_b", 1.0);
        self.0.get(key, range).await
    }

    async fn get_stream(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<StreamedObject>, PortError> {
        bump("r2.class_b", 1.0);
        self.0.get_stream(key, range).await
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, PortError> {
        bump("r2.class_b", 1.0);
        self.0.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        bump("r2.free_deletes", 1.0);
        self.0.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        bump("r2.class_a", 1.0);
        self.0.list(prefix).await
    }

    async fn create_multipart(&self, key: &str, content_type: Option<&str>) -> Result<String, PortError> {
        bump("r2.class_a", 1.0);
        self.0.create_multipart(key, content_type).await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        bytes: Bytes,
    ) -> Result<UploadedPart, PortError> {
        bump("r2.class_a", 1.0);
        bump("r2.bytes_put", bytes.len() as f64);
        self.0.upload_part(key, upload_id, part_number, bytes).await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<UploadedPart>,
    ) -> Result<ObjectMeta, PortError> {
        bump("r2.class_a", 1.0);
        self.0.complete_multipart(key, upload_id, parts).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), PortError> {
        bump("r2.free_deletes", 1.0);
        self.0.abort_multipart(key, upload_id).await
    }
}

struct MeteredQueue<'a>(&'a dyn JobQueue);

#[async_trait(?Send)]
impl JobQueue for MeteredQueue<'_> {
    async fn send(&self, message: &QueueMessage, delay_seconds: Option<u32>) -> Result<(), PortError> {
        bump("queue.sends", 1.0);
        self.0.send(message, delay_seconds).await
    }
}

/// Durable Object calls and their wall time as the caller sees it (what duration billing
/// charges, at most: the object is active at least while it answers).
struct MeteredRateLimiter<'a>(&'a dyn RateLimiter);

#[async_trait(?Send)]
impl RateLimiter for MeteredRateLimiter<'_> {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<RateDecision, PortError> {
        let started = now_ms();
        let decision = self.0.hit(key, limit, window_seconds, now_millis).await;
        bump("do.rate_limiter.requests", 1.0);
        bump("do.rate_limiter.wall_ms", now_ms() - started);
        decision
    }

    async fn refund(&self, key: &str, window_seconds: u32, counted: &RateDecision) -> Result<(), PortError> {
        let started = now_ms();
        let done = self.0.refund(key, window_seconds, counted).await;
        bump("do.rate_limiter.requests", 1.0);
        bump("do.rate_limiter.wall_ms", now_ms() - started);
        done
    }
}

struct MeteredViews<'a>(&'a dyn ViewCounter);

#[async_trait(?Send)]
impl ViewCounter for MeteredViews<'_> {
    async fn record(
        &self,
        video_id: i64,
        viewer: &str,
        window_seconds: u32,
        now_millis: i64,
    ) -> Result<bool, PortError> {
        let started = now_ms();
        let counted = self.0.record(video_id, viewer, window_seconds, now_millis).await;
        bump("do.views.requests", 1.0);
        bump("do.views.wall_ms", now_ms() - started);
        counted
    }
}
