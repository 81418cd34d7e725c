//! The runner-signal port on one hibernating Durable Object: idle runners hold a WebSocket to it
//! (`GET /api/v1/runners/jobs/wait`, handed over once the core has authenticated the runner) and
//! a new job makes it send `available-jobs` on each. With the hibernation API the object is
//! evicted between events while the sockets stay open, so a waiting runner costs no duration;
//! the runners' keep-alive `ping`s are answered by the runtime (auto-response) without waking it.
//!
//! A job whose runner dies becomes available again without any write (it is offered once its
//! heartbeat is `RUNNER_JOB_STALE_SECONDS` old), so nothing would signal it. The room sees the
//! dead runner's socket close and sets an alarm for that long after the latest close, which wakes
//! the others; a runner lost without a close is covered by the runners' safety poll and the
//! housekeeping's release.

use std::time::Duration;

use async_trait::async_trait;
use edgetube_api::RunnerWait;
use edgetube_ports::{Backlog, PortError, RunnerSignal};
use edgetube_runner_protocol::{AVAILABLE_JOBS, PING, PONG};
use worker::{
    console_error, durable_object, DurableObject, Env, Method, ObjectNamespace, Request, RequestInit,
    Response, State, WebSocket, WebSocketIncomingMessage, WebSocketPair, WebSocketRequestResponsePair,
};

/// The one object of an instance: every runner waits in the same room, so one signal reaches all.
const ROOM: &str = "runners";

/// Sockets one runner (one runner token) may hold; beyond, its oldest are closed. A runner holds
/// one; a few more cover reconnects racing a half-open socket the server has not noticed yet.
const SOCKETS_PER_RUNNER: usize = 3;

/// The tag carrying `RUNNER_JOB_STALE_SECONDS` (ms) on each socket.
const STALE_TAG: &str = "stale-ms:";

/// The port: signals go to the room, and, where runners are started on demand
/// (`RUNNER_MAX_INSTANCES` > 0), the backlog goes to the fleet object (`runner_fleet.rs`).
pub struct DurableRunnerSignal {
    namespace: ObjectNamespace,
    fleet: Option<ObjectNamespace>,
}

impl DurableRunnerSignal {
    pub fn new(namespace: ObjectNamespace, fleet: Option<ObjectNamespace>) -> Self {
        Self { namespace, fleet }
    }

    /// Hands an authenticated runner's upgrade request to the room, which answers 101 with the
    /// socket. A fresh request carries the upgrade: the original's body and headers were given
    /// to the core, and the room needs nothing else from them.
    pub async fn wait(&self, cue: &RunnerWait) -> worker::Result<Response> {
        let stub = self.namespace.get_by_name(ROOM)?;
        let headers = worker::Headers::new();
        headers.set("upgrade", "websocket")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let url =
            format!("https://runner-wake/wait?runner={}&stale={}", cue.runner_id, cue.job_stale_after_ms);
        let request = Request::new_with_init(&url, &init)?;
        stub.fetch_with_request(request).await
    }
}

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("runner_signal", e.to_string())
}

#[async_trait(?Send)]
impl RunnerSignal for DurableRunnerSignal {
    fn holds_waiters(&self) -> bool {
        true
    }

    async fn jobs_available(&self) -> Result<(), PortError> {
        let outcome = async {
            let stub = self.namespace.get_by_name(ROOM).map_err(unavailable)?;
            let mut init = RequestInit::new();
            init.with_method(Method::Post);
            let request = Request::new_with_init("https://runner-wake/signal", &init).map_err(unavailable)?;
            let response = stub.fetch_with_request(request).await.map_err(unavailable)?;
            match response.status_code() {
                200..=299 => Ok(()),
                status => Err(unavailable(format!("the room answered {status}"))),
            }
        };
        let result = outcome.await;
        if let Err(e) = &result {
            // The core goes on without the signal (runners' safety polls find the job): say why here.
            console_error!("runners not woken: {e}");
        }
        result
    }

    fn starts_runners(&self) -> bool {
        self.fleet.is_some()
    }

    /// Wakes the runners alive, then has the fleet start more if the backlog needs them.
    async fn jobs_pending(&self, backlog: Backlog) -> Result<(), PortError> {
        let woken = self.jobs_available().await;
        let Some(fleet) = &self.fleet else { return woken };
        if let Err(e) = crate::runner_fleet::demand(fleet, backlog).await {
            console_error!("no runner started for {} pending jobs: {e}", backlog.pending);
            return Err(unavailable(e));
        }
        woken
    }
}

/// The room. It keeps nothing but its sockets (and their tags, which the runtime keeps across
/// hibernation) and one alarm, so it has no state to rebuild when it wakes.
#[durable_object]
pub struct RunnerWakeObject {
    state: State,
}

impl RunnerWakeObject {
    /// Sends `available-jobs` on every socket; how many took it.
    fn wake_all(&self) -> usize {
        // A socket that cannot take the message is closing; its runner reconnects and asks.
        self.state
            .get_websockets()
            .iter()
            .filter(|socket| socket.send_with_str(AVAILABLE_JOBS).is_ok())
            .count()
    }

    /// After a runner's socket ended, wakes the others once its job can be taken over: the
    /// stale delay after the latest such end (a later end moves the alarm; earlier jobs are
    /// stale by then too), plus a second for the instance's clock to pass it.
    async fn wake_after_stale(&self, ws: &WebSocket) -> worker::Result<()> {
        let stale =
            self.state.get_tags(ws).iter().find_map(|tag| tag.strip_prefix(STALE_TAG)?.parse::<u64>().ok());
        if let Some(stale) = stale {
            self.state.storage().set_alarm(Duration::from_millis(stale + 1_000)).await?;
        }
        Ok(())
    }
}

impl DurableObject for RunnerWakeObject {
    fn new(state: State, _env: Env) -> Self {
        // Answered by the runtime while the object sleeps: keep-alives cost no wake-up.
        match WebSocketRequestResponsePair::new(PING, PONG) {
            Ok(pair) => state.set_websocket_auto_response(&pair),
            Err(e) => console_error!("no websocket auto-response: {e:?}"),
        }
        Self { state }
    }

    /// `/wait?runner=<id>&stale=<ms>` takes a socket; `/signal` wakes every socket.
    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        match url.path() {
            "/signal" => {
                let woken = self.wake_all();
                Response::ok(format!("{woken} runners woken"))
            }
            "/wait" => {
                if !req.headers().get("upgrade")?.is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
                    return Response::error("expected Upgrade: websocket", 426);
                }
                let param =
                    |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
                let (Some(runner), Some(stale)) =
                    (param("runner"), param("stale").and_then(|v| v.parse::<u64>().ok()))
                else {
                    return Response::error("runner and stale are required", 400);
                };
                let tag = format!("runner:{runner}");
                let stale_tag = format!("{STALE_TAG}{stale}");
                let held = self.state.get_websockets_with_tag(&tag);
                for old in held.iter().take((held.len() + 1).saturating_sub(SOCKETS_PER_RUNNER)) {
                    // 4000-4999 are the application's codes; the runner reconnects on any close.
                    let _ = old.close(Some(4000), Some("replaced by a newer connection of this runner"));
                }
                let pair = WebSocketPair::new()?;
                // Tags outlive hibernation, unlike the object's memory.
                self.state.accept_websocket_with_tags(&pair.server, &[tag.as_str(), stale_tag.as_str()]);
                Response::from_websocket(pair.client)
            }
            _ => Response::error("not found", 404),
        }
    }

    /// Runners send nothing but `ping`, which the runtime answers; anything else is ignored.
    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        Ok(())
    }

    /// Completes the closing handshake the runner started (the runtime does not do it for a
    /// hibernatable socket), and wakes the others once the runner's job may be theirs.
    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        // 1005 and 1006 only describe a close without code or a broken connection; they cannot be sent.
        let code = match u16::try_from(code) {
            Ok(code) if code != 1005 && code != 1006 => code,
            _ => 1000,
        };
        let _ = ws.close(Some(code), Some("bye"));
        self.wake_after_stale(&ws).await
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        self.wake_after_stale(&ws).await
    }

    /// Wakes every waiting runner: a gone runner's job may be offered by now.
    async fn alarm(&self) -> worker::Result<Response> {
        let woken = self.wake_all();
        Response::ok(format!("{woken} runners woken"))
    }
}
