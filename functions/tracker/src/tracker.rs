//! Swarm state for one tracker shard: which peer of which socket is in which swarm, and what to
//! send to whom for each message. The caller owns the sockets; it names them by a `u64` and
//! carries out the returned [`Outgoing`] list in order.
//!
//! Every socket's memberships are also kept as a small [`SocketRecord`], which the Durable Object
//! stores on the socket itself (its attachment) so that the swarms can be rebuilt with
//! [`Tracker::restore`] after the object hibernated and lost its memory.
//!
//! **Stale peers.** A socket that sent nothing for [`Limits::idle_ms`] (clients re-announce every
//! [`protocol::ANNOUNCE_INTERVAL_SECS`] s) is half-open or abandoned: [`Tracker::sweep`], run from the
//! Durable Object's alarm, closes it and takes its peers out. The last-seen time travels in the
//! [`SocketRecord`] (rounded to [`SEEN_PRECISION_MS`], so it is stored at most once a minute).
//!
//! **Per-address limit.** As PeerTube's tracker counts announces per IP and info hash, at most
//! [`Limits::joins_per_address`] new peers may join one swarm from one address per
//! [`Limits::joins_window_ms`]; more get a `failure reason` (the socket stays open). Only joins
//! count, not periodic re-announces, so that many viewers behind one NAT keep working.
//!
//! A misbehaving socket (oversize or malformed frames, a flood, an info hash not allowed, too
//! many swarms) gets one `failure reason` and a close, and is removed at once from every swarm;
//! no other socket is affected.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::id::Id20;
use crate::protocol::{self, Announce, Event, Message, ProtocolError, ScrapeCounts};

/// WebSocket close code for a protocol or policy violation.
pub const CLOSE_POLICY: u16 = 1008;
/// WebSocket close code for a frame over [`protocol::MAX_MESSAGE_BYTES`].
pub const CLOSE_TOO_BIG: u16 = 1009;
/// WebSocket close code for a frame that is not text.
pub const CLOSE_UNSUPPORTED: u16 = 1003;
/// WebSocket close code for a socket closed for being idle.
pub const CLOSE_IDLE: u16 = 1001;
/// How finely the last-seen time is kept in the [`SocketRecord`].
pub const SEEN_PRECISION_MS: i64 = 60_000;

/// Abuse limits of one shard.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Swarms one socket may join. A player announces one per rendition it plays (plus audio),
    /// with up to two derivations each; a video has a handful of renditions.
    pub swarms_per_socket: usize,
    /// Peers per swarm; announces beyond are refused (the reference server evicts by age).
    pub peers_per_swarm: usize,
    /// Frames one socket may send per [`Limits::flood_window_ms`]. A player sends one announce
    /// per swarm every 2 minutes plus an answer per offer it takes.
    pub flood_messages: u32,
    /// The flood window.
    pub flood_window_ms: i64,
    /// A socket silent for this long is closed by [`Tracker::sweep`].
    pub idle_ms: i64,
    /// New peers one address may add to one swarm per [`Limits::joins_window_ms`].
    pub joins_per_address: u32,
    /// The window of [`Limits::joins_per_address`].
    pub joins_window_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            swarms_per_socket: 16,
            peers_per_swarm: 1000,
            flood_messages: 60,
            flood_window_ms: 10_000,
            // Two missed re-announces (every 120 s) and a minute of slack.
            idle_ms: 300_000,
            // PeerTube's figures: 15 per IP and info hash per 5 minutes.
            joins_per_address: 15,
            joins_window_ms: 300_000,
        }
    }
}

/// One swarm a socket announced in, with the peer id it used there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The swarm.
    #[serde(rename = "i")]
    pub info_hash: Id20,
    /// The socket's peer in it.
    #[serde(rename = "p")]
    pub peer_id: Id20,
    /// Whether that peer is complete (a seeder).
    #[serde(rename = "c")]
    pub complete: bool,
}

/// What must survive hibernation for one socket: its memberships (ids only, no SDP). With short
/// keys, 16 memberships take about 1.5 KB, under the 2 KB attachment limit of older workerd.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketRecord {
    /// Memberships, in announce order.
    #[serde(rename = "w")]
    pub swarms: Vec<Membership>,
    /// When the socket last sent a frame (ms since the epoch, rounded down to
    /// [`SEEN_PRECISION_MS`]); 0 when unknown.
    #[serde(rename = "t", default, skip_serializing_if = "is_zero")]
    pub seen_ms: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Something the caller must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Send a text frame.
    Send {
        /// The socket.
        to: u64,
        /// The JSON text.
        text: String,
    },
    /// Close the socket (it is already out of every swarm).
    Close {
        /// The socket.
        socket: u64,
        /// WebSocket close code.
        code: u16,
        /// Close reason (short).
        reason: String,
    },
}

/// The result of [`Tracker::apply`].
#[derive(Debug, Default)]
pub struct Applied {
    /// To do, in order.
    pub out: Vec<Outgoing>,
    /// Whether the sender's [`SocketRecord`] changed (the caller stores it again).
    pub record_changed: bool,
}

#[derive(Debug, Clone, Copy)]
struct Peer {
    socket: u64,
    complete: bool,
}

#[derive(Debug, Default)]
struct Swarm {
    // Ordered, so that offer routing is reproducible from the seed in tests.
    peers: BTreeMap<Id20, Peer>,
    downloaded: u64,
}

impl Swarm {
    fn counts(&self) -> ScrapeCounts {
        let complete = self.peers.values().filter(|p| p.complete).count();
        ScrapeCounts { complete, incomplete: self.peers.len() - complete, downloaded: self.downloaded }
    }
}

#[derive(Debug, Default)]
struct SocketState {
    record: SocketRecord,
    window_start: i64,
    window_count: u32,
    /// The client's address, for the per-address limit.
    address: Option<String>,
    /// The record's `seen_ms` moved since the caller last stored it.
    seen_dirty: bool,
}

/// New peers from one address in one swarm within the current window.
#[derive(Debug, Clone, Copy)]
struct Joins {
    window_start: i64,
    count: u32,
}

/// One shard's swarms.
#[derive(Debug, Default)]
pub struct Tracker {
    limits: Limits,
    swarms: HashMap<Id20, Swarm>,
    sockets: HashMap<u64, SocketState>,
    joins: HashMap<(String, Id20), Joins>,
}

/// A small deterministic generator (xorshift64*): the core draws no randomness itself, the
/// caller seeds it per message.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

impl Tracker {
    /// An empty shard with these limits.
    pub fn new(limits: Limits) -> Self {
        Self { limits, ..Self::default() }
    }

    /// Registers a socket and its stored memberships (a new socket has none).
    pub fn restore(&mut self, socket: u64, record: SocketRecord) {
        for m in &record.swarms {
            let swarm = self.swarms.entry(m.info_hash).or_default();
            swarm.peers.insert(m.peer_id, Peer { socket, complete: m.complete });
        }
        self.sockets.insert(socket, SocketState { record, ..SocketState::default() });
    }

    /// Records the client's address (from the upgrade request) for the per-address limit.
    pub fn set_address(&mut self, socket: u64, address: &str) {
        if let Some(state) = self.sockets.get_mut(&socket) {
            state.address = Some(address.to_owned());
        }
    }

    /// Number of open sockets.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    /// Closes every socket silent since `now_ms - idle_ms` (its peers leave their swarms) and
    /// forgets expired per-address counters. A socket with no last-seen time is given one now.
    pub fn sweep(&mut self, now_ms: i64) -> Vec<Outgoing> {
        let idle = self.limits.idle_ms;
        let mut stale = Vec::new();
        for (id, state) in &mut self.sockets {
            if state.record.seen_ms == 0 {
                state.record.seen_ms = round_seen(now_ms);
                state.seen_dirty = true;
            } else if now_ms - state.record.seen_ms > idle {
                stale.push(*id);
            }
        }
        stale.sort_unstable();
        let window = self.limits.joins_window_ms;
        self.joins.retain(|_, j| now_ms - j.window_start < window && now_ms >= j.window_start);
        stale.into_iter().flat_map(|id| self.refuse(id, CLOSE_IDLE, None, "idle")).collect()
    }

    /// Sockets whose record changed outside [`Tracker::apply`] (a sweep set their last-seen
    /// time): the caller stores their records again. Clears the marks.
    pub fn take_dirty_records(&mut self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .sockets
            .iter_mut()
            .filter_map(|(id, s)| std::mem::take(&mut s.seen_dirty).then_some(*id))
            .collect();
        out.sort_unstable();
        out
    }

    /// The socket's memberships, to store on it.
    pub fn record(&self, socket: u64) -> Option<&SocketRecord> {
        self.sockets.get(&socket).map(|s| &s.record)
    }

    /// Whether the socket is known (registered and not closed).
    pub fn has_socket(&self, socket: u64) -> bool {
        self.sockets.contains_key(&socket)
    }

    /// Seeders, leechers and completions of a swarm.
    pub fn counts(&self, info_hash: &Id20) -> ScrapeCounts {
        self.swarms.get(info_hash).map(Swarm::counts).unwrap_or(ScrapeCounts {
            complete: 0,
            incomplete: 0,
            downloaded: 0,
        })
    }

    /// Number of swarms with peers.
    pub fn swarm_count(&self) -> usize {
        self.swarms.len()
    }

    /// The socket went away: its peers leave every swarm (a `stopped` for each, as the reference
    /// server synthesises). Idempotent.
    pub fn disconnect(&mut self, socket: u64) {
        let Some(state) = self.sockets.remove(&socket) else { return };
        for m in state.record.swarms {
            self.remove_peer(&m.info_hash, &m.peer_id, socket);
        }
    }

    /// Refuses the socket: a `failure reason` (when `reason` should reach the client), then a
    /// close; the socket leaves every swarm now.
    pub fn refuse(&mut self, socket: u64, code: u16, failure: Option<String>, reason: &str) -> Vec<Outgoing> {
        self.disconnect(socket);
        let mut out = Vec::new();
        if let Some(text) = failure {
            out.push(Outgoing::Send { to: socket, text });
        }
        out.push(Outgoing::Close { socket, code, reason: reason.chars().take(100).collect() });
        out
    }

    /// Reads a frame from `socket` at `now_ms`: counts it against the flood limit and parses it.
    /// `Err` holds the refusal to carry out.
    pub fn receive(&mut self, socket: u64, text: &str, now_ms: i64) -> Result<Message, Vec<Outgoing>> {
        let limits = self.limits;
        let state = self.sockets.entry(socket).or_default();
        if now_ms - state.window_start >= limits.flood_window_ms || now_ms < state.window_start {
            state.window_start = now_ms;
            state.window_count = 0;
        }
        state.window_count += 1;
        let seen = round_seen(now_ms);
        if seen > state.record.seen_ms {
            state.record.seen_ms = seen;
            state.seen_dirty = true;
        }
        if state.window_count > limits.flood_messages {
            return Err(self.refuse(socket, CLOSE_POLICY, None, "too many messages"));
        }
        protocol::parse(text).map_err(|e| {
            let code = if matches!(e, ProtocolError::TooLarge(_)) { CLOSE_TOO_BIG } else { CLOSE_POLICY };
            let failure = protocol::failure(None, &e.to_string(), None);
            self.refuse(socket, code, Some(failure), &e.to_string())
        })
    }

    /// Carries out a parsed message from `socket`. `allowed` says which info hashes this shard
    /// serves; `seed` drives the random choice of peers for offers.
    pub fn apply(
        &mut self,
        socket: u64,
        message: Message,
        allowed: &dyn Fn(&Id20) -> bool,
        seed: u64,
        now_ms: i64,
    ) -> Applied {
        let mut applied = self.apply_message(socket, message, allowed, seed, now_ms);
        if let Some(state) = self.sockets.get_mut(&socket) {
            applied.record_changed |= std::mem::take(&mut state.seen_dirty);
        }
        applied
    }

    fn apply_message(
        &mut self,
        socket: u64,
        message: Message,
        allowed: &dyn Fn(&Id20) -> bool,
        seed: u64,
        now_ms: i64,
    ) -> Applied {
        self.sockets.entry(socket).or_default();
        match message {
            Message::Scrape(hashes) => {
                let hashes: Vec<Id20> =
                    if hashes.is_empty() { self.swarms.keys().copied().collect() } else { hashes };
                let files: Vec<(Id20, ScrapeCounts)> = hashes.iter().map(|h| (*h, self.counts(h))).collect();
                Applied {
                    out: vec![Outgoing::Send { to: socket, text: protocol::scrape_response(&files) }],
                    record_changed: false,
                }
            }
            Message::Announce(announce) => {
                if !allowed(&announce.info_hash) {
                    let reason = format!("Unknown infoHash {}", announce.info_hash.hex());
                    let failure = protocol::failure(Some("announce"), &reason, Some(&announce.info_hash));
                    return Applied {
                        out: self.refuse(socket, CLOSE_POLICY, Some(failure), &reason),
                        record_changed: false,
                    };
                }
                if announce.answer.is_some() {
                    return Applied { out: self.relay_answer(&announce), record_changed: false };
                }
                self.announce(socket, announce, seed, now_ms)
            }
        }
    }

    fn relay_answer(&self, announce: &Announce) -> Vec<Outgoing> {
        let Some(answer) = &announce.answer else { return Vec::new() };
        // Unknown swarm or peer: nothing is sent, as the reference server does.
        let Some(peer) = self.swarms.get(&announce.info_hash).and_then(|s| s.peers.get(&answer.to_peer_id))
        else {
            return Vec::new();
        };
        vec![Outgoing::Send {
            to: peer.socket,
            text: protocol::answer_relay(&announce.info_hash, &announce.peer_id, answer),
        }]
    }

    fn remove_peer(&mut self, info_hash: &Id20, peer_id: &Id20, socket: u64) {
        if let Some(swarm) = self.swarms.get_mut(info_hash) {
            if swarm.peers.get(peer_id).is_some_and(|p| p.socket == socket) {
                swarm.peers.remove(peer_id);
            }
            if swarm.peers.is_empty() {
                self.swarms.remove(info_hash);
            }
        }
    }

    /// Counts a new peer from the socket's address in swarm `ih`; false when over the limit.
    fn may_join(&mut self, socket: u64, ih: Id20, now_ms: i64) -> bool {
        let Some(address) = self.sockets.get(&socket).and_then(|s| s.address.clone()) else { return true };
        let (limit, window) = (self.limits.joins_per_address, self.limits.joins_window_ms);
        let joins = self.joins.entry((address, ih)).or_insert(Joins { window_start: now_ms, count: 0 });
        if now_ms - joins.window_start >= window || now_ms < joins.window_start {
            *joins = Joins { window_start: now_ms, count: 0 };
        }
        if joins.count >= limit {
            return false;
        }
        joins.count += 1;
        true
    }

    fn announce(&mut self, socket: u64, announce: Announce, seed: u64, now_ms: i64) -> Applied {
        let ih = announce.info_hash;
        let existing = self
            .sockets
            .get(&socket)
            .and_then(|s| s.record.swarms.iter().position(|m| m.info_hash == ih))
            .map(|i| (i, self.sockets[&socket].record.swarms[i]));
        let mut record_changed = false;
        if announce.event == Event::Stopped {
            if let Some((index, m)) = existing {
                self.remove_peer(&ih, &m.peer_id, socket);
                if let Some(state) = self.sockets.get_mut(&socket) {
                    state.record.swarms.remove(index);
                }
                record_changed = true;
            }
            let c = self.counts(&ih);
            return Applied {
                out: vec![Outgoing::Send {
                    to: socket,
                    text: protocol::announce_response(&ih, c.complete, c.incomplete),
                }],
                record_changed,
            };
        }
        if existing.is_none() {
            let joined = self.sockets.get(&socket).map_or(0, |s| s.record.swarms.len());
            if joined >= self.limits.swarms_per_socket {
                let reason = "too many swarms on one socket";
                let failure = protocol::failure(Some("announce"), reason, Some(&ih));
                return Applied {
                    out: self.refuse(socket, CLOSE_POLICY, Some(failure), reason),
                    record_changed: false,
                };
            }
        }
        let swarm = self.swarms.entry(ih).or_default();
        let known = swarm.peers.get(&announce.peer_id).copied();
        if known.is_none() && swarm.peers.len() >= self.limits.peers_per_swarm {
            let reason = "swarm is full";
            return Applied {
                out: vec![Outgoing::Send {
                    to: socket,
                    text: protocol::failure(Some("announce"), reason, Some(&ih)),
                }],
                record_changed: false,
            };
        }
        if known.is_none() && !self.may_join(socket, ih, now_ms) {
            let reason = "too many announces from this address";
            return Applied {
                out: vec![Outgoing::Send {
                    to: socket,
                    text: protocol::failure(Some("announce"), reason, Some(&ih)),
                }],
                record_changed: false,
            };
        }
        let swarm = self.swarms.entry(ih).or_default();
        let was_complete = known.is_some_and(|p| p.complete);
        let complete = was_complete || announce.complete || announce.event == Event::Completed;
        if announce.event == Event::Completed && !was_complete {
            swarm.downloaded += 1;
        }
        // The same peer id from another socket (a reconnect) takes the peer over.
        if let Some(previous) = known.filter(|p| p.socket != socket) {
            if let Some(state) = self.sockets.get_mut(&previous.socket) {
                state.record.swarms.retain(|m| !(m.info_hash == ih && m.peer_id == announce.peer_id));
            }
        }
        let swarm = self.swarms.entry(ih).or_default();
        swarm.peers.insert(announce.peer_id, Peer { socket, complete });
        let membership = Membership { info_hash: ih, peer_id: announce.peer_id, complete };
        match existing {
            Some((index, old)) if old != membership => {
                if old.peer_id != announce.peer_id {
                    // A new peer id for this swarm on the same socket replaces the old one.
                    self.remove_peer(&ih, &old.peer_id, socket);
                }
                if let Some(state) = self.sockets.get_mut(&socket) {
                    state.record.swarms[index] = membership;
                }
                record_changed = true;
            }
            Some(_) => {}
            None => {
                if let Some(state) = self.sockets.get_mut(&socket) {
                    state.record.swarms.push(membership);
                }
                record_changed = true;
            }
        }
        let c = self.counts(&ih);
        let mut out = vec![Outgoing::Send {
            to: socket,
            text: protocol::announce_response(&ih, c.complete, c.incomplete),
        }];
        out.extend(self.route_offers(socket, &announce, seed));
        Applied { out, record_changed }
    }

    /// Offer *i* goes to the *i*-th of up to `offers.len()` randomly picked other peers.
    fn route_offers(&self, socket: u64, announce: &Announce, seed: u64) -> Vec<Outgoing> {
        if announce.offers.is_empty() {
            return Vec::new();
        }
        let Some(swarm) = self.swarms.get(&announce.info_hash) else { return Vec::new() };
        let mut candidates: Vec<u64> = swarm
            .peers
            .iter()
            .filter(|(id, p)| **id != announce.peer_id && p.socket != socket)
            .map(|(_, p)| p.socket)
            .collect();
        // One socket may hold several peers of a swarm only through misuse; offer it one.
        candidates.sort_unstable();
        candidates.dedup();
        let mut rng = Rng(seed | 1);
        let n = announce.offers.len().min(candidates.len());
        for i in 0..n {
            let j = i + rng.below(candidates.len() - i);
            candidates.swap(i, j);
        }
        announce
            .offers
            .iter()
            .zip(candidates.iter().take(n))
            .map(|(offer, to)| Outgoing::Send {
                to: *to,
                text: protocol::offer_relay(&announce.info_hash, &announce.peer_id, offer),
            })
            .collect()
    }
}

fn round_seen(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(SEEN_PRECISION_MS)
}
