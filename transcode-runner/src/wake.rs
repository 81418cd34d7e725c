//! Waiting for jobs without polling: an idle runner holds one WebSocket to the instance
//! (`GET /api/v1/runners/jobs/wait`, PROTOCOL.md "Waiting for jobs") and asks for jobs when it
//! says `available-jobs`, once when it connects, and after a slow safety interval.
//!
//! The socket only says *when* to ask; jobs are still listed and accepted with `jobs/request`
//! and `accept`, so a lost signal costs the safety interval, never a job. An instance without
//! the wait route (404, 405, 426 or 501: older Edgetube, a platform without Durable Objects,
//! PeerTube) is polled every `--poll-interval` as before, and asked again for the socket every
//! hour. A socket that cannot be opened or that drops is reopened with a growing backoff, and
//! the runner asks for jobs after each attempt, so a broken wait route never hides a job.
//!
//! Keep-alives: the runner sends `ping` every [`WakeSettings::ping_interval`] (the instance's
//! Durable Object answers `pong` without waking; Cloudflare closes a WebSocket idle for 100 s)
//! and gives the socket up when a `ping` is still unanswered at the next one. None of this is
//! logged above `trace`: an idle runner writes no line per ping or poll.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::instance_client::{problem_detail, InstanceClient};
use edgetube_runner_protocol::{AVAILABLE_JOBS, PING, PONG, WAIT_PATH};

/// How the runner waits.
#[derive(Debug, Clone, Copy)]
pub struct WakeSettings {
    /// Use the wait socket at all (`--wait false` polls, as runners did before it existed).
    pub use_socket: bool,
    /// Pause between two polls on an instance without the wait route.
    pub poll_interval: Duration,
    /// On an instance without the wait route, how long each `jobs/request` asks to be held
    /// while no job is available (a long poll; zero polls plainly). Not used with `--wait false`.
    pub long_poll: Duration,
    /// While the socket is up, the longest time without asking for jobs.
    pub safety_poll: Duration,
    /// Between two keep-alive `ping`s on the socket.
    pub ping_interval: Duration,
    /// Longest pause before reopening a socket that keeps failing.
    pub max_reconnect_backoff: Duration,
}

impl WakeSettings {
    /// The defaults of `run`: safety poll every 5 minutes, `ping` every 50 s.
    pub fn new(poll_interval: Duration) -> Self {
        WakeSettings {
            use_socket: true,
            poll_interval,
            long_poll: Duration::from_secs(45),
            safety_poll: Duration::from_secs(300),
            ping_interval: Duration::from_secs(50),
            max_reconnect_backoff: Duration::from_secs(60),
        }
    }
}

/// Why the runner should ask for jobs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The instance said `available-jobs`.
    Signal,
    /// The socket was just opened (or reopened): jobs made while it was down are asked for.
    Connected,
    /// The socket was quiet for the safety interval.
    SafetyPoll,
    /// No wait route on this instance: the poll interval passed.
    Poll,
    /// The socket could not be opened; ask anyway, then try again after a backoff.
    Retry,
}

/// Why the wait socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The instance has no wait route: poll instead.
    #[error("the instance has no wait route ({status})")]
    Unsupported { status: u16 },
    /// 401: the runner token is unknown; the next `jobs/request` says so too and re-registers.
    #[error("the instance does not know this runner (401)")]
    UnknownRunner,
    #[error("the instance answered the wait request with {status}: {detail}")]
    Refused { status: u16, detail: String },
    #[error("cannot reach the instance's wait route")]
    Network(#[source] reqwest::Error),
    #[error("the wait route did not open a WebSocket: {0}")]
    Handshake(String),
    #[error("the instance did not answer the wait request within {0:?}")]
    Timeout(Duration),
}

/// The statuses that mean "no wait route here, poll".
fn is_unsupported(status: u16) -> bool {
    matches!(status, 404 | 405 | 426 | 501)
}

/// How long opening the socket may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);
/// How often an instance without the wait route is asked again for it (it may have been upgraded).
const PROBE_WHILE_POLLING: Duration = Duration::from_secs(3600);
/// A socket that closes sooner than this after opening counts as a failure (backoff grows).
const SHORT_LIVED: Duration = Duration::from_secs(60);

type Socket = WebSocketStream<reqwest::Upgraded>;

/// Opens the wait socket: a WebSocket handshake on reqwest's connection, so it has the same TLS,
/// proxy and user agent as every other call, then WebSocket framing on the upgraded stream.
pub async fn open(http: &reqwest::Client, origin: &str, runner_token: &str) -> Result<Socket, WaitError> {
    let key = generate_key();
    let request = http
        .get(format!("{origin}{WAIT_PATH}"))
        .header(reqwest::header::CONNECTION, "Upgrade")
        .header(reqwest::header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", &key)
        .header("x-runner-token", runner_token)
        .send();
    let response = tokio::time::timeout(OPEN_TIMEOUT, request)
        .await
        .map_err(|_| WaitError::Timeout(OPEN_TIMEOUT))?
        .map_err(WaitError::Network)?;
    let status = response.status().as_u16();
    if status != 101 {
        let body = tokio::time::timeout(OPEN_TIMEOUT, response.text()).await.ok().and_then(Result::ok);
        return Err(match status {
            401 => WaitError::UnknownRunner,
            status if is_unsupported(status) => WaitError::Unsupported { status },
            status => WaitError::Refused { status, detail: problem_detail(&body.unwrap_or_default()) },
        });
    }
    let accept = response.headers().get("sec-websocket-accept").and_then(|v| v.to_str().ok());
    if accept != Some(derive_accept_key(key.as_bytes()).as_str()) {
        return Err(WaitError::Handshake("wrong or missing Sec-WebSocket-Accept".into()));
    }
    let upgraded = response.upgrade().await.map_err(WaitError::Network)?;
    // The instance sends a few words; a large frame is a mistake, not something to buffer.
    let config = WebSocketConfig::default().max_message_size(Some(64 * 1024)).max_frame_size(Some(64 * 1024));
    Ok(WebSocketStream::from_raw_socket(upgraded, Role::Client, Some(config)).await)
}

/// An open socket and its keep-alive.
struct Connection {
    socket: Socket,
    opened: Instant,
    pings: tokio::time::Interval,
    /// A `ping` was sent and no `pong` has come back yet.
    awaiting_pong: bool,
}

enum Mode {
    /// Open (or reopen) the socket; `failures` in a row so far.
    Socket { failures: u32 },
    /// The instance has no wait route (or `--wait false`): poll, and ask for the socket again
    /// at `probe_at`.
    Polling { probe_at: Instant },
}

/// Decides when an idle runner asks for jobs. [`Waiter::next`] is called each time the runner
/// found nothing to do; it returns when asking is worth it again.
pub struct Waiter {
    http: reqwest::Client,
    origin: String,
    settings: WakeSettings,
    connection: Option<Connection>,
    mode: Mode,
    /// When the runner last asked for jobs plus the safety interval.
    safety_at: Instant,
    /// When the runner last asked for jobs ([`Waiter::hold`]), so a held request counts toward
    /// the poll interval.
    asked_at: Instant,
}

impl Waiter {
    /// A waiter for `client`'s instance. The socket gets its own HTTP client: the job client's
    /// read timeout would cut an idle socket.
    pub fn new(client: &InstanceClient, settings: WakeSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("edgetube-transcode-runner/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        let mode = if settings.use_socket {
            Mode::Socket { failures: 0 }
        } else {
            // Never probed: `--wait false` means polling for good (bounded by the far deadline).
            Mode::Polling { probe_at: Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600) }
        };
        Ok(Waiter {
            http,
            origin: client.origin().to_owned(),
            settings,
            connection: None,
            mode,
            safety_at: Instant::now() + settings.safety_poll,
            asked_at: Instant::now(),
        })
    }

    /// Whether the socket is open now.
    pub fn connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Called as the runner asks for jobs: how long to ask the instance to hold the request
    /// (`Some` only while polling an instance that refused the wait route; `--wait false`
    /// polls plainly).
    pub fn hold(&mut self) -> Option<Duration> {
        self.asked_at = Instant::now();
        let refused_socket = self.settings.use_socket && matches!(self.mode, Mode::Polling { .. });
        Some(self.settings.long_poll).filter(|hold| refused_socket && !hold.is_zero())
    }

    /// Waits until the runner should ask for jobs, and says why.
    pub async fn next(&mut self, runner_token: &str) -> Wake {
        let wake = self.wait(runner_token).await;
        self.safety_at = Instant::now() + self.settings.safety_poll;
        // The runner asks now ([`Waiter::hold`] marks it again as the request leaves).
        self.asked_at = Instant::now();
        tracing::trace!(?wake, "asking for jobs");
        wake
    }

    async fn wait(&mut self, runner_token: &str) -> Wake {
        if let Some(connection) = &mut self.connection {
            match listen(connection, self.safety_at).await {
                Heard::Signal => return Wake::Signal,
                Heard::SafetyPoll => return Wake::SafetyPoll,
                Heard::Lost(why) => {
                    let lived = connection.opened.elapsed();
                    self.connection = None;
                    let failures = match self.mode {
                        Mode::Socket { failures } if lived < SHORT_LIVED => failures + 1,
                        _ => 0,
                    };
                    self.mode = Mode::Socket { failures };
                    tracing::info!(reason = why, "the wait socket closed; reopening it");
                }
            }
        }
        match self.mode {
            Mode::Polling { probe_at } if Instant::now() < probe_at => {
                // A held request already waited: ask again at once, so that a job made as it
                // came back empty is not left for a whole interval.
                tokio::time::sleep(self.settings.poll_interval.saturating_sub(self.asked_at.elapsed())).await;
                Wake::Poll
            }
            Mode::Polling { .. } => {
                self.mode = Mode::Socket { failures: 0 };
                self.connect(runner_token, 0).await
            }
            Mode::Socket { failures } => self.connect(runner_token, failures).await,
        }
    }

    async fn connect(&mut self, runner_token: &str, failures: u32) -> Wake {
        if failures > 0 {
            let backoff = (Duration::from_secs(1) * 2u32.pow((failures - 1).min(16)))
                .min(self.settings.max_reconnect_backoff);
            tokio::time::sleep(backoff).await;
        }
        match open(&self.http, &self.origin, runner_token).await {
            Ok(socket) => {
                let mut pings = tokio::time::interval_at(
                    Instant::now() + self.settings.ping_interval,
                    self.settings.ping_interval,
                );
                pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
                self.connection =
                    Some(Connection { socket, opened: Instant::now(), pings, awaiting_pong: false });
                if failures == 0 {
                    tracing::info!("waiting for jobs on the instance's wait socket");
                } else {
                    tracing::info!(after_failures = failures, "the wait socket is open again");
                }
                Wake::Connected
            }
            Err(WaitError::Unsupported { status }) => {
                if self.settings.long_poll.is_zero() {
                    tracing::info!(
                        status,
                        poll_interval = ?self.settings.poll_interval,
                        "the instance has no wait route; polling for jobs instead"
                    );
                } else {
                    // Instances that cannot hold requests answer at once: that is polling.
                    tracing::info!(
                        status,
                        held_up_to = ?self.settings.long_poll,
                        at_least_every = ?self.settings.poll_interval,
                        "waiting for jobs with long polls (the instance has no wait socket)"
                    );
                }
                self.mode = Mode::Polling { probe_at: Instant::now() + PROBE_WHILE_POLLING };
                tokio::time::sleep(self.settings.poll_interval).await;
                Wake::Poll
            }
            Err(error) => {
                // Warned once per outage, not at every attempt.
                if failures == 0 {
                    tracing::warn!(error = %crate::error_chain(&error), "cannot open the wait socket; retrying with backoff");
                } else {
                    tracing::debug!(failures, error = %crate::error_chain(&error), "cannot open the wait socket");
                }
                self.mode = Mode::Socket { failures: failures + 1 };
                Wake::Retry
            }
        }
    }
}

enum Heard {
    Signal,
    SafetyPoll,
    Lost(&'static str),
}

/// Reads the socket until a signal, the safety deadline or its loss; keeps it alive meanwhile.
async fn listen(connection: &mut Connection, safety_at: Instant) -> Heard {
    let safety = tokio::time::sleep_until(safety_at);
    tokio::pin!(safety);
    // Bounded by the safety deadline: every pass either returns or waits for one of the three.
    loop {
        tokio::select! {
            message = connection.socket.next() => match message {
                Some(Ok(Message::Text(text))) if text.as_str() == AVAILABLE_JOBS => return Heard::Signal,
                Some(Ok(Message::Text(text))) if text.as_str() == PONG => {
                    connection.awaiting_pong = false;
                    tracing::trace!("pong");
                }
                Some(Ok(Message::Close(_))) | None => return Heard::Lost("closed by the instance"),
                Some(Err(_)) => return Heard::Lost("connection error"),
                // Protocol pings are answered by tungstenite; other words are for newer runners.
                Some(Ok(_)) => {}
            },
            _ = connection.pings.tick() => {
                if connection.awaiting_pong {
                    return Heard::Lost("no answer to the last ping");
                }
                if connection.socket.send(Message::text(PING)).await.is_err() {
                    return Heard::Lost("cannot send a ping");
                }
                connection.awaiting_pong = true;
                tracing::trace!("ping");
            }
            () = &mut safety => return Heard::SafetyPoll,
        }
    }
}
