//! The WebTorrent tracker's WebSocket messages: one JSON object per text frame.
//!
//! Client → server: `announce` (with `offers`, or an `answer` for one peer) and `scrape`. Server
//! → client: the announce response with the swarm's counts and `interval`, relayed offers and
//! answers, the scrape response, and `failure reason`s. Parsing bounds everything a client
//! controls, so that a caller only ever holds a bounded, validated [`Message`].

use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::id::Id20;

/// The largest frame read. A five-offer announce measures about 4 KiB; anything near this limit
/// is not a tracker client.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The most offers one announce may carry. Clients send at most 5 (bittorrent-tracker caps
/// `numwant` at 5, p2p-media-loader 2 sends `webRtcOffersCount` = 5); the reference server
/// accepts up to 82, which only helps a client spray offers.
pub const MAX_OFFERS: usize = 10;
/// The most info hashes one scrape may name.
pub const MAX_SCRAPE_HASHES: usize = 64;
/// The longest `offer_id` relayed. It is opaque (20 binary characters in practice).
pub const MAX_OFFER_ID_CHARS: usize = 64;
/// Seconds between re-announces: PeerTube keeps bittorrent-tracker's default (10 minutes / 5).
pub const ANNOUNCE_INTERVAL_SECS: u32 = 120;
/// `min_request_interval` of scrape responses (bittorrent-tracker's 10 minutes).
pub const MIN_SCRAPE_INTERVAL_SECS: u32 = 600;

/// Why a frame is refused. The `Display` text is the `failure reason` sent before closing, in
/// bittorrent-tracker's words where it has some.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// Larger than [`MAX_MESSAGE_BYTES`].
    #[error("message too large ({0} bytes)")]
    TooLarge(usize),
    /// Not a JSON object.
    #[error("invalid JSON")]
    NotJson,
    /// `action` is neither `announce` nor `scrape`.
    #[error("invalid action in WS request: {0}")]
    UnknownAction(String),
    /// `info_hash` is not a 20-character binary string.
    #[error("invalid info_hash")]
    InvalidInfoHash,
    /// `peer_id` is not a 20-character binary string.
    #[error("invalid peer_id")]
    InvalidPeerId,
    /// An `answer` without a valid `to_peer_id`.
    #[error("invalid `to_peer_id` (required with `answer`)")]
    InvalidToPeerId,
    /// An unknown `event`.
    #[error("invalid event")]
    InvalidEvent,
    /// More than [`MAX_OFFERS`] offers.
    #[error("too many offers ({0})")]
    TooManyOffers(usize),
    /// An offer or answer that is not `{offer|answer: {...}, offer_id: "..."}`.
    #[error("invalid offer or answer")]
    InvalidOffer,
    /// More than [`MAX_SCRAPE_HASHES`] hashes in a scrape.
    #[error("too many info hashes in scrape ({0})")]
    TooManyScrapeHashes(usize),
}

/// An announce `event`. `update`, `empty`, `paused` and no event at all are updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// First announce of a peer.
    Started,
    /// Periodic announce.
    Update,
    /// The peer has everything.
    Completed,
    /// The peer leaves the swarm.
    Stopped,
}

/// One WebRTC offer to relay.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Opaque, relayed verbatim.
    pub offer_id: String,
    /// The SDP object, relayed verbatim.
    pub offer: Value,
}

/// An answer to relay to the peer that made the offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The offering peer.
    pub to_peer_id: Id20,
    /// The offer's id, relayed verbatim.
    pub offer_id: String,
    /// The SDP object, relayed verbatim.
    pub answer: Value,
}

/// An `announce`.
#[derive(Debug, Clone, PartialEq)]
pub struct Announce {
    /// The swarm.
    pub info_hash: Id20,
    /// The announcing peer.
    pub peer_id: Id20,
    /// What happened.
    pub event: Event,
    /// `left: 0` marks a complete peer; browsers send no `left`.
    pub complete: bool,
    /// Offers for other peers (empty with an answer).
    pub offers: Vec<Offer>,
    /// An answer for one peer: such an announce gets no response.
    pub answer: Option<Answer>,
}

/// A parsed client message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `action: announce`.
    Announce(Announce),
    /// `action: scrape`; empty means every swarm.
    Scrape(Vec<Id20>),
}

impl Message {
    /// The info hashes the message names (all must be allowed for an announce).
    pub fn info_hashes(&self) -> Vec<Id20> {
        match self {
            Message::Announce(a) => vec![a.info_hash],
            Message::Scrape(hashes) => hashes.clone(),
        }
    }
}

/// Reads one text frame.
pub fn parse(text: &str) -> Result<Message, ProtocolError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge(text.len()));
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Err(ProtocolError::NotJson);
    };
    match object.get("action").and_then(Value::as_str) {
        Some("announce") => parse_announce(&object).map(Message::Announce),
        Some("scrape") => parse_scrape(&object).map(Message::Scrape),
        Some(other) => Err(ProtocolError::UnknownAction(other.chars().take(32).collect())),
        None => Err(ProtocolError::UnknownAction(String::new())),
    }
}

fn id_field(object: &Map<String, Value>, name: &str) -> Option<Id20> {
    object.get(name).and_then(Value::as_str).and_then(Id20::from_wire)
}

fn offer_id(value: Option<&Value>) -> Result<String, ProtocolError> {
    match value.and_then(Value::as_str) {
        Some(id) if id.chars().count() <= MAX_OFFER_ID_CHARS => Ok(id.to_owned()),
        _ => Err(ProtocolError::InvalidOffer),
    }
}

fn sdp(value: Option<&Value>) -> Result<Value, ProtocolError> {
    match value {
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        _ => Err(ProtocolError::InvalidOffer),
    }
}

fn parse_announce(object: &Map<String, Value>) -> Result<Announce, ProtocolError> {
    let info_hash = id_field(object, "info_hash").ok_or(ProtocolError::InvalidInfoHash)?;
    let peer_id = id_field(object, "peer_id").ok_or(ProtocolError::InvalidPeerId)?;
    let event = match object.get("event") {
        None | Some(Value::Null) => Event::Update,
        Some(Value::String(e)) => match e.as_str() {
            "started" => Event::Started,
            "update" | "empty" | "paused" | "" => Event::Update,
            "completed" => Event::Completed,
            "stopped" => Event::Stopped,
            _ => return Err(ProtocolError::InvalidEvent),
        },
        Some(_) => return Err(ProtocolError::InvalidEvent),
    };
    let complete = object.get("left").and_then(Value::as_f64) == Some(0.0);
    let answer = match object.get("answer") {
        None | Some(Value::Null) => None,
        Some(answer) => Some(Answer {
            to_peer_id: id_field(object, "to_peer_id").ok_or(ProtocolError::InvalidToPeerId)?,
            offer_id: offer_id(object.get("offer_id"))?,
            answer: sdp(Some(answer))?,
        }),
    };
    let offers = match object.get("offers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(offers)) if offers.len() > MAX_OFFERS => {
            return Err(ProtocolError::TooManyOffers(offers.len()))
        }
        Some(Value::Array(offers)) => offers
            .iter()
            .map(|o| {
                let o = o.as_object().ok_or(ProtocolError::InvalidOffer)?;
                Ok(Offer { offer_id: offer_id(o.get("offer_id"))?, offer: sdp(o.get("offer"))? })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ProtocolError::InvalidOffer),
    };
    Ok(Announce { info_hash, peer_id, event, complete, offers, answer })
}

fn parse_scrape(object: &Map<String, Value>) -> Result<Vec<Id20>, ProtocolError> {
    match object.get("info_hash") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Id20::from_wire(s).ok_or(ProtocolError::InvalidInfoHash)?]),
        Some(Value::Array(list)) if list.len() > MAX_SCRAPE_HASHES => {
            Err(ProtocolError::TooManyScrapeHashes(list.len()))
        }
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().and_then(Id20::from_wire).ok_or(ProtocolError::InvalidInfoHash))
            .collect(),
        Some(_) => Err(ProtocolError::InvalidInfoHash),
    }
}

/// The response to an announce (not to an answer).
pub fn announce_response(info_hash: &Id20, complete: usize, incomplete: usize) -> String {
    json!({
        "complete": complete,
        "incomplete": incomplete,
        "action": "announce",
        "interval": ANNOUNCE_INTERVAL_SECS,
        "info_hash": info_hash.to_wire(),
    })
    .to_string()
}

/// An offer relayed to one peer.
pub fn offer_relay(info_hash: &Id20, from: &Id20, offer: &Offer) -> String {
    json!({
        "action": "announce",
        "offer": offer.offer,
        "offer_id": offer.offer_id,
        "peer_id": from.to_wire(),
        "info_hash": info_hash.to_wire(),
    })
    .to_string()
}

/// An answer relayed to the peer that made the offer.
pub fn answer_relay(info_hash: &Id20, from: &Id20, answer: &Answer) -> String {
    json!({
        "action": "announce",
        "answer": answer.answer,
        "offer_id": answer.offer_id,
        "peer_id": from.to_wire(),
        "info_hash": info_hash.to_wire(),
    })
    .to_string()
}

/// One swarm's line of a scrape response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrapeCounts {
    /// Seeders.
    pub complete: usize,
    /// Leechers.
    pub incomplete: usize,
    /// `completed` events seen.
    pub downloaded: u64,
}

/// The scrape response.
pub fn scrape_response(files: &[(Id20, ScrapeCounts)]) -> String {
    let files: Map<String, Value> = files
        .iter()
        .map(|(hash, c)| {
            (
                hash.to_wire(),
                json!({"complete": c.complete, "incomplete": c.incomplete, "downloaded": c.downloaded}),
            )
        })
        .collect();
    json!({
        "action": "scrape",
        "files": files,
        "flags": {"min_request_interval": MIN_SCRAPE_INTERVAL_SECS},
    })
    .to_string()
}

/// A `failure reason`, with the action and swarm when the request got that far.
pub fn failure(action: Option<&str>, reason: &str, info_hash: Option<&Id20>) -> String {
    let mut object = Map::new();
    if let Some(action) = action {
        object.insert("action".into(), json!(action));
    }
    object.insert("failure reason".into(), json!(reason));
    if let Some(hash) = info_hash {
        object.insert("info_hash".into(), json!(hash.to_wire()));
    }
    Value::Object(object).to_string()
}
