//! The whole HTTP surface of an Edgetube instance as one platform-free function.
//!
//! [`App::handle`] takes the [`Ports`] a platform bound for this request and an
//! `http::Request` whose body is whole [`Bytes`] or a [`Body`] stream, routes it to the
//! federation documents or the REST API, and always returns a response: failures become PeerTube problem documents here, never a platform error.
//!
//! An [`App`] lives as long as the platform's isolate or process. It remembers that the
//! instance was bootstrapped, so the idempotent first-start check costs one read per isolate,
//! not per request.

mod federation_routes;
mod headers;
mod router;

use std::cell::Cell;

use bytes::Bytes;
pub use edgetube_api::{Body, BodyError, BodyStream};
use edgetube_api::{CollectError, PendingBody};
use edgetube_domain::{bootstrap, InstanceConfig};
use edgetube_federation::apply::Applied;
use edgetube_media::runner_jobs::{self, EventOutcome};
use edgetube_ports::{FetchBudget, Ports, QueueMessage};
use edgetube_problem::Problem;
use http::{Request, Response};

/// One instance's request handler.
pub struct App {
    config: InstanceConfig,
    bootstrapped: Cell<bool>,
}

impl App {
    /// A handler for the instance described by `config`.
    pub fn new(config: InstanceConfig) -> Self {
        Self { config, bootstrapped: Cell::new(false) }
    }

    /// The configuration this handler serves.
    pub fn config(&self) -> &InstanceConfig {
        &self.config
    }

    /// Creates the instance actor, the admin and its channel if they do not exist yet.
    pub async fn ensure_bootstrapped(&self, ports: &Ports<'_>) -> Result<(), edgetube_domain::DomainError> {
        if !self.bootstrapped.get() {
            bootstrap::ensure_instance(ports, &self.config).await?;
            self.bootstrapped.set(true);
        }
        Ok(())
    }

    /// Answers one request.
    ///
    /// The body may be a stream ([`Body::Stream`]): a Worker can receive up to 100 MB in an
    /// isolate of 128 MB, so the one route that takes bodies that large (the legacy upload) reads
    /// it as it arrives; for every other route it is read whole here first.
    ///
    /// The response body is a stream for media objects (`edgetube_api::media`), which the platform
    /// sends on as it reads them, and whole bytes otherwise.
    pub async fn handle<B: Into<Body>>(&self, ports: &Ports<'_>, request: Request<B>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let mut request = Request::from_parts(parts, Bytes::new());
        // Streamed routes keep their body unread for handlers that authenticate first; other
        // bodies are read whole here, bounded per route, before the rate limit is counted from
        // the head (the order every release before had: under wrangler dev, a Durable Object
        // call made while a small body waited unread coincided with miniflare failing the
        // request, "Cannot reconstruct a Request with a used body").
        let mut response = match self.read_body(&request, body.into()).await {
            Err(refusal) => refusal,
            Ok((bytes, pending)) => {
                *request.body_mut() = bytes;
                match router::admit(ports, &self.config, &request).await {
                    Err(refusal) => refusal,
                    Ok(decision) => match self.ensure_bootstrapped(ports).await {
                        Ok(()) => {
                            let budget = FetchBudget::new(ports.http, FETCH_BUDGET);
                            let ports = &Ports { http: &budget, ..*ports };
                            let response =
                                router::route(ports, &self.config, &request, &pending, decision).await;
                            drain_small_unread(&request, &pending).await;
                            response
                        }
                        Err(_) => Problem::new(
                            http::StatusCode::SERVICE_UNAVAILABLE,
                            "The instance is starting; retry shortly",
                        )
                        .into_response()
                        .map(Body::Full),
                    },
                }
            }
        };
        headers::add_common(response.headers_mut());
        response
    }

    /// The body as the route takes it: left pending for the routes that stream it (their handlers
    /// read it once they know the caller), read whole up to the route's limit otherwise.
    async fn read_body(
        &self,
        head: &Request<Bytes>,
        body: Body,
    ) -> Result<(Bytes, PendingBody), Response<Body>> {
        let (method, path) = (head.method(), head.uri().path());
        match body {
            Body::Stream(stream) if edgetube_api::streams_body(method, path) => {
                Ok((Bytes::new(), PendingBody::new(stream)))
            }
            body => match body
                .collect(content_length(head.headers()), edgetube_api::whole_body_limit(method, path))
                .await
            {
                Ok(bytes) => Ok((bytes, PendingBody::default())),
                Err(error) => {
                    let problem = match error {
                        CollectError::TooLarge { .. } => {
                            Problem::new(http::StatusCode::PAYLOAD_TOO_LARGE, error.to_string())
                        }
                        CollectError::Body(_) => Problem::bad_request(error.to_string()),
                    };
                    Err(problem.into_response().map(Body::Full))
                }
            },
        }
    }

    /// Handles one message of the job queue. An original's [`QueueMessage::ObjectCreated`] (the
    /// platform's translation of its storage's event, or the worker's own where storage emits
    /// none) becomes a transcoding job.
    ///
    /// Delivery is at least once and the same object version makes one job. A message about an
    /// object no video names yet is delivered again later ([`QueueOutcome::RetryLater`]), since
    /// the event can overtake the request that creates the video row; objects that are not
    /// originals are dropped. Messages the platform cannot read as a [`QueueMessage`] never get
    /// here: it logs and drops them itself.
    pub async fn handle_queue_message(&self, ports: &Ports<'_>, message: &QueueMessage) -> QueueOutcome {
        match message {
            QueueMessage::ObjectCreated(object) => {
                match runner_jobs::on_storage_event(ports, &self.config, object).await {
                    Ok(EventOutcome::Created(_) | EventOutcome::Duplicate) => QueueOutcome::Done,
                    Ok(EventOutcome::Ignored(reason)) => QueueOutcome::Drop(reason.to_owned()),
                    Ok(EventOutcome::NotYetKnown) => QueueOutcome::RetryLater,
                    Err(_) => QueueOutcome::RetryLater,
                }
            }
            // Both settle their own retries (with federation's schedule, which outlasts the
            // queue's); only a failing port makes the queue deliver the message again.
            QueueMessage::Inbox(work) => {
                if self.ensure_bootstrapped(ports).await.is_err() {
                    return QueueOutcome::RetryLater;
                }
                let budget = FetchBudget::new(ports.http, FETCH_BUDGET);
                let ports = &Ports { http: &budget, ..*ports };
                match edgetube_federation::apply::apply(ports, &self.config, work).await {
                    Ok(Applied::Dead(reason)) => QueueOutcome::Drop(format!(
                        "inbox activity {} is a dead letter: {reason}",
                        work.activity
                    )),
                    Ok(Applied::Done(what)) => QueueOutcome::DoneWith(format!("inbox: {what}")),
                    Ok(Applied::Ignored(why)) => QueueOutcome::DoneWith(format!("inbox: ignored: {why}")),
                    Ok(Applied::Retrying(why)) => QueueOutcome::DoneWith(format!("inbox: will retry: {why}")),
                    Err(_) => QueueOutcome::RetryLater,
                }
            }
            QueueMessage::Deliver(work) => {
                if self.ensure_bootstrapped(ports).await.is_err() {
                    return QueueOutcome::RetryLater;
                }
                match edgetube_federation::delivery::deliver(ports, &self.config, work).await {
                    Ok(report) if !report.dead.is_empty() => QueueOutcome::Drop(format!(
                        "outbox activity {}: gave up on {} (dead letters)",
                        work.activity,
                        report.dead.join(", ")
                    )),
                    Ok(report) => QueueOutcome::DoneWith(format!(
                        "outbox activity {}: {} delivered, {} refused{}, {} to retry{}",
                        work.activity,
                        report.delivered.len(),
                        report.refused.len(),
                        report
                            .refused
                            .iter()
                            .map(|(inbox, why)| format!(" ({inbox}: {why})"))
                            .collect::<String>(),
                        report.retried.len(),
                        // The first reason says enough: a failing host fails them all alike.
                        report
                            .retried
                            .first()
                            .map(|(inbox, why)| format!(" ({inbox}: {why})"))
                            .unwrap_or_default(),
                    )),
                    Err(_) => QueueOutcome::RetryLater,
                }
            }
        }
    }
}

impl App {
    /// The periodic housekeeping (a Cron Trigger on Workers): removes resumable uploads idle
    /// for an hour, with their staging objects and multipart parts, gives back to pending
    /// the jobs whose runner went quiet, and makes the jobs whose storage event was lost
    /// (`runner_jobs::recover_lost_events`); where runners are started on demand, it asks for
    /// runners for the jobs still waiting. Each step is bounded, so one run stays within a
    /// scheduled invocation's budget; what is left waits for the next run.
    pub async fn run_housekeeping(
        &self,
        ports: &Ports<'_>,
    ) -> Result<Housekeeping, edgetube_domain::DomainError> {
        let abandoned_uploads = edgetube_media::uploads::remove_dangling(ports).await?;
        let released_jobs = runner_jobs::release_stale(ports, &self.config).await?;
        let recovered_jobs = runner_jobs::recover_lost_events(ports, &self.config).await?;
        let departed_keys_dropped =
            edgetube_domain::departed_actors::purge(ports.sql, ports.clock.now_millis()).await?;
        // Last, so that jobs released or recovered above count, and its failure skips nothing.
        runner_jobs::start_runners_for_waiting_jobs(ports).await?;
        Ok(Housekeeping { abandoned_uploads, released_jobs, recovered_jobs, departed_keys_dropped })
    }
}

/// What one housekeeping run did, for the platform's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Housekeeping {
    /// Unfinished uploads removed.
    pub abandoned_uploads: usize,
    /// Jobs given back to pending.
    pub released_jobs: u64,
    /// Jobs made for stored originals whose storage event never made one.
    pub recovered_jobs: usize,
    /// Keys of deleted actors dropped, their Deletes' deliveries over.
    pub departed_keys_dropped: u64,
}

/// The most requests to other servers one API request or one inbox activity may make (actors,
/// their owners, a video and its counts, WebFinger: a real one needs under 10). Deliveries are
/// not bounded by it: their size is the queue message's (`edgetube_federation::outbox`).
const FETCH_BUDGET: u32 = 16;

/// The most bytes of an unread streamed body [`drain_small_unread`] reads and discards.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// Reads and discards the body a streamed route refused without reading, when it is small.
///
/// A body left unread keeps its connection from carrying the next request until the platform
/// gives up on it: under `wrangler dev` the next requests to the worker then wait (seen after a
/// stale runner's 10-byte file upload was refused), and a client's pooled connection would be
/// stuck the same way. Reading a small body costs nothing; a large one, from a caller that was
/// refused, is not worth reading and is cancelled when dropped.
async fn drain_small_unread(request: &Request<Bytes>, pending: &PendingBody) {
    use futures::StreamExt;
    if content_length(request.headers()).is_none_or(|length| length > DRAIN_LIMIT) {
        return;
    }
    if let Some(mut stream) = pending.take() {
        let mut seen = 0u64;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len() as u64;
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers.get(http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// What the platform should do with a queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOutcome {
    /// Handled: acknowledge it.
    Done,
    /// Handled: acknowledge it, and log what it did (federation's effects, one line each).
    DoneWith(String),
    /// Not for us, or given up on: acknowledge it; the reason is for the log.
    Drop(String),
    /// Deliver again after a delay (the queue's retry limit bounds the attempts).
    RetryLater,
}
