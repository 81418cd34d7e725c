//! The WebTorrent tracker on Durable Objects: one object per video, on the WebSocket hibernation
//! API, so that an idle swarm costs nothing and a busy video loads only its own object.
//!
//! **Sharding.** A socket must reach its object when it opens, before any `info_hash` is known,
//! and a client sends every swarm of one tracker URL over one socket. So each local video
//! advertises its own tracker URL, `ws(s)://<host>/tracker/socket/<videoUUID>`
//! (`edgetube_domain::videos::urls::tracker_list`, in `trackerUrls` and the ActivityPub Video
//! object), and [`route_or_pass`] hands the upgrade to the object named by that UUID. All renditions,
//! the audio stream and both hash derivations of one video meet in one object.
//!
//! **Allow-list.** The object accepts only the info hashes of its video
//! (`edgetube_media::p2p::allowed_info_hashes_of`: v1 and v2 derivations of a local, published,
//! public or unlisted video with HLS renditions), read from D1 and cached in the object's storage
//! so that waking from hibernation does not query D1. A video with none refuses the upgrade (404);
//! an unknown hash is re-checked against D1 at most every [`RELOAD_AFTER_MS`], then refused with
//! PeerTube's failure reason and the socket closed.
//!
//! **Hibernation.** Memory is lost when the object hibernates. Each socket carries its
//! memberships as its attachment (`edgetube_tracker::SocketRecord`, ids only) and its id and
//! video as tags; the first event after a wake rebuilds the swarms from `get_websockets()`.
//! Nothing is written to storage on the announce path.
//!
//! **Sweep.** While sockets are open, an alarm every [`SWEEP_EVERY_MS`] closes the ones silent for
//! longer than `Limits::idle_ms` (half-open connections whose close never arrived), so their
//! peers stop receiving offers. It wakes a hibernated object once per period, no more.
//!
//! **Per-address limit.** The client address (`CF-Connecting-IP`) is a tag of its socket, so the
//! core's per-address join limit applies after a wake too (its counters start afresh then).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use edgetube_media::p2p;
use edgetube_tracker::tracker::{Limits, CLOSE_UNSUPPORTED, SEEN_PRECISION_MS};
use edgetube_tracker::{Id20, Message, Outgoing, SocketRecord, Tracker};
use serde::{Deserialize, Serialize};
use worker::{
    console_error, durable_object, Date, DurableObject, Env, Request, Response, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use crate::bindings;
use crate::config;
use crate::d1::D1Sql;

/// The path prefix of tracker sockets (PeerTube's `/tracker/socket`, then `/<videoUUID>`).
const PREFIX: &str = "/tracker/socket";
/// An allow-list older than this is re-read before a socket opens.
const FRESH_FOR_MS: u64 = 5 * 60 * 1000;
/// An unknown info hash re-reads the allow-list at most this often (new renditions appear
/// without waiting for [`FRESH_FOR_MS`]; a client spraying hashes costs one D1 query per period).
const RELOAD_AFTER_MS: u64 = 30 * 1000;
/// How often the alarm sweeps idle sockets while any is open.
const SWEEP_EVERY_MS: i64 = 150 * 1000;
/// Storage key of the cached allow-list.
const ALLOW_KEY: &str = "allow";

/// Routes `/tracker/socket[/<uuid>]` to the video's tracker object; any other request comes
/// back untouched.
pub async fn route_or_pass(req: Request, env: &Env) -> Result<worker::Result<Response>, Request> {
    let path = req.path();
    let Some(rest) = path.strip_prefix(PREFIX) else { return Err(req) };
    if !rest.is_empty() && !rest.starts_with('/') {
        return Err(req);
    }
    let rest = rest.trim_start_matches('/').to_owned();
    Ok(forward(req, env, &rest).await)
}

async fn forward(req: Request, env: &Env, rest: &str) -> worker::Result<Response> {
    let Some(uuid) = video_uuid(rest) else {
        // PeerTube's bare `/tracker/socket` (one tracker for the whole instance) is not served:
        // our videos advertise their own tracker URL.
        return Response::error("unknown tracker: use the video's trackerUrls", 404);
    };
    if !is_websocket_upgrade(&req) {
        return Response::error("WebSocket upgrade required", 426);
    }
    let stub = env.durable_object(bindings::TRACKER)?.get_by_name(&uuid)?;
    stub.fetch_with_request(req).await
}

/// A canonical (lowercase, hyphenated) UUID, so that one video has one object.
fn video_uuid(segment: &str) -> Option<String> {
    let uuid = segment.to_ascii_lowercase();
    let ok = uuid.len() == 36
        && uuid.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    ok.then_some(uuid)
}

fn is_websocket_upgrade(req: &Request) -> bool {
    req.headers().get("upgrade").ok().flatten().is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The allow-list as cached in storage and memory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AllowList {
    loaded_at: u64,
    hashes: Vec<Id20>,
}

fn now_millis() -> u64 {
    Date::now().as_millis()
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // A failure leaves zeros: offer routing then follows a fixed order, which is harmless.
    let _ = getrandom::getrandom(&mut bytes);
    u64::from_le_bytes(bytes)
}

const SOCKET_TAG: &str = "s:";
const VIDEO_TAG: &str = "v:";
const ADDRESS_TAG: &str = "a:";

/// One video's swarms.
#[durable_object]
pub struct TrackerObject {
    state: State,
    env: Env,
    tracker: RefCell<Tracker>,
    sockets: RefCell<HashMap<u64, WebSocket>>,
    /// Whether the swarms were rebuilt from the sockets since this instance started.
    restored: Cell<bool>,
    uuid: RefCell<Option<String>>,
    allow: RefCell<Option<(AllowList, HashSet<Id20>)>>,
}

impl DurableObject for TrackerObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tracker: RefCell::new(Tracker::new(Limits::default())),
            sockets: RefCell::new(HashMap::new()),
            restored: Cell::new(false),
            uuid: RefCell::new(None),
            allow: RefCell::new(None),
        }
    }

    /// The upgrade, forwarded by [`route_or_pass`].
    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let Some(uuid) =
            url.path().strip_prefix(PREFIX).map(|r| r.trim_start_matches('/')).and_then(video_uuid)
        else {
            return Response::error("unknown tracker", 404);
        };
        if !is_websocket_upgrade(&req) {
            return Response::error("WebSocket upgrade required", 426);
        }
        self.restore();
        *self.uuid.borrow_mut() = Some(uuid.clone());
        let fresh =
            self.allow.borrow().as_ref().is_some_and(|(a, _)| now_millis() - a.loaded_at < FRESH_FOR_MS);
        if !fresh {
            self.load_allow_list(false).await?;
        }
        if self.allow.borrow().as_ref().is_none_or(|(_, set)| set.is_empty()) {
            return Response::error("no swarms for this video", 404);
        }
        let address = req.headers().get("cf-connecting-ip").ok().flatten();
        let pair = WebSocketPair::new()?;
        let id = random_u64();
        let socket_tag = format!("{SOCKET_TAG}{id:016x}");
        let video_tag = format!("{VIDEO_TAG}{uuid}");
        let mut tags = vec![socket_tag, video_tag];
        if let Some(address) = &address {
            tags.push(format!("{ADDRESS_TAG}{address}"));
        }
        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.state.accept_websocket_with_tags(&pair.server, &tag_refs);
        let now = now_millis() as i64;
        let record =
            SocketRecord { seen_ms: now - now.rem_euclid(SEEN_PRECISION_MS), ..SocketRecord::default() };
        let _ = pair.server.serialize_attachment(&record);
        {
            let mut tracker = self.tracker.borrow_mut();
            tracker.restore(id, record);
            if let Some(address) = &address {
                tracker.set_address(id, address);
            }
        }
        self.sockets.borrow_mut().insert(id, pair.server);
        let storage = self.state.storage();
        if storage.get_alarm().await?.is_none() {
            storage.set_alarm(SWEEP_EVERY_MS).await?;
        }
        Response::from_websocket(pair.client)
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        self.restore();
        let Some(id) = self.socket_id(&ws) else { return Ok(()) };
        // A socket the tracker refused is closing: what it still sends is ignored.
        if !self.tracker.borrow().has_socket(id) {
            return Ok(());
        }
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                let out = self.tracker.borrow_mut().refuse(id, CLOSE_UNSUPPORTED, None, "text frames only");
                self.carry_out(out);
                return Ok(());
            }
        };
        let received = self.tracker.borrow_mut().receive(id, &text, now_millis() as i64);
        let message = match received {
            Ok(message) => message,
            Err(out) => {
                self.carry_out(out);
                return Ok(());
            }
        };
        if let Message::Announce(announce) = &message {
            if !self.allows(&announce.info_hash) && self.may_reload() {
                if let Err(e) = self.load_allow_list(true).await {
                    console_error!("tracker: allow-list reload failed: {e}");
                }
            }
        }
        let applied = {
            let allow = self.allow.borrow();
            let allowed = |h: &Id20| allow.as_ref().is_some_and(|(_, set)| set.contains(h));
            self.tracker.borrow_mut().apply(id, message, &allowed, random_u64(), now_millis() as i64)
        };
        if applied.record_changed {
            let record = self.tracker.borrow().record(id).cloned();
            if let Some(record) = record {
                if let Err(e) = ws.serialize_attachment(&record) {
                    console_error!("tracker: attachment not stored: {e}");
                }
            }
        }
        self.carry_out(applied.out);
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _clean: bool,
    ) -> worker::Result<()> {
        self.restore();
        self.forget(&ws);
        // Completes the closing handshake (the runtime does not do it for us at this
        // compatibility date). The client's code may be one that cannot be sent back (1005).
        let _ = ws.close(Some(1000), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        self.restore();
        self.forget(&ws);
        Ok(())
    }

    /// The sweep: idle sockets are closed; the alarm comes back while sockets remain.
    async fn alarm(&self) -> worker::Result<Response> {
        self.restore();
        let out = self.tracker.borrow_mut().sweep(now_millis() as i64);
        let dirty = self.tracker.borrow_mut().take_dirty_records();
        for id in dirty {
            let record = self.tracker.borrow().record(id).cloned();
            if let (Some(ws), Some(record)) = (self.sockets.borrow().get(&id), record) {
                let _ = ws.serialize_attachment(&record);
            }
        }
        self.carry_out(out);
        if self.tracker.borrow().socket_count() > 0 {
            self.state.storage().set_alarm(SWEEP_EVERY_MS).await?;
        }
        Response::empty()
    }
}

impl TrackerObject {
    /// After a wake (or at first use), rebuilds the swarms from the accepted sockets' tags and
    /// attachments.
    fn restore(&self) {
        if self.restored.replace(true) {
            return;
        }
        for ws in self.state.get_websockets() {
            let tags = self.state.get_tags(&ws);
            let Some(id) = id_from_tags(&tags) else { continue };
            if let Some(uuid) = tags.iter().find_map(|t| t.strip_prefix(VIDEO_TAG)) {
                *self.uuid.borrow_mut() = Some(uuid.to_owned());
            }
            let record = ws.deserialize_attachment::<SocketRecord>().ok().flatten().unwrap_or_default();
            let mut tracker = self.tracker.borrow_mut();
            tracker.restore(id, record);
            if let Some(address) = tags.iter().find_map(|t| t.strip_prefix(ADDRESS_TAG)) {
                tracker.set_address(id, address);
            }
            self.sockets.borrow_mut().insert(id, ws);
        }
    }

    fn socket_id(&self, ws: &WebSocket) -> Option<u64> {
        id_from_tags(&self.state.get_tags(ws))
    }

    fn forget(&self, ws: &WebSocket) {
        if let Some(id) = self.socket_id(ws) {
            self.tracker.borrow_mut().disconnect(id);
            self.sockets.borrow_mut().remove(&id);
        }
    }

    /// Sends and closes as the tracker decided. A send that fails concerns its socket only
    /// (it is closing or gone; its close event cleans up).
    fn carry_out(&self, out: Vec<Outgoing>) {
        for o in out {
            match o {
                Outgoing::Send { to, text } => {
                    if let Some(ws) = self.sockets.borrow().get(&to) {
                        let _ = ws.send_with_str(&text);
                    }
                }
                Outgoing::Close { socket, code, reason } => {
                    if let Some(ws) = self.sockets.borrow_mut().remove(&socket) {
                        // Should the object hibernate before the close completes, the socket
                        // comes back with no swarms.
                        let _ = ws.serialize_attachment(SocketRecord::default());
                        let _ = ws.close(Some(code), Some(reason));
                    }
                }
            }
        }
    }

    fn allows(&self, hash: &Id20) -> bool {
        self.allow.borrow().as_ref().is_some_and(|(_, set)| set.contains(hash))
    }

    fn may_reload(&self) -> bool {
        self.allow
            .borrow()
            .as_ref()
            .is_none_or(|(a, _)| now_millis().saturating_sub(a.loaded_at) >= RELOAD_AFTER_MS)
    }

    /// Loads the allow-list: from storage when it is fresh enough (unless `from_d1`), else from
    /// D1, storing the result when the video has swarms.
    async fn load_allow_list(&self, from_d1: bool) -> worker::Result<()> {
        let storage = self.state.storage();
        if !from_d1 {
            if let Ok(Some(cached)) = storage.get::<AllowList>(ALLOW_KEY).await {
                if now_millis().saturating_sub(cached.loaded_at) < FRESH_FOR_MS {
                    let set = cached.hashes.iter().copied().collect();
                    *self.allow.borrow_mut() = Some((cached, set));
                    return Ok(());
                }
            }
        }
        let Some(uuid) = self.uuid.borrow().clone() else { return Ok(()) };
        let config =
            config::instance_config(&self.env).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let sql = D1Sql::new(self.env.d1(bindings::DB)?);
        let hashes = p2p::allowed_info_hashes_of(&sql, &config.origin, &uuid)
            .await
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        let list = AllowList { loaded_at: now_millis(), hashes };
        // A UUID with no swarms (unknown, remote, private) leaves no storage behind.
        if !list.hashes.is_empty() {
            storage.put(ALLOW_KEY, &list).await?;
        } else {
            let _ = storage.delete(ALLOW_KEY).await;
        }
        let set = list.hashes.iter().copied().collect();
        *self.allow.borrow_mut() = Some((list, set));
        Ok(())
    }
}

fn id_from_tags(tags: &[String]) -> Option<u64> {
    tags.iter().find_map(|t| t.strip_prefix(SOCKET_TAG)).and_then(|hex| u64::from_str_radix(hex, 16).ok())
}
