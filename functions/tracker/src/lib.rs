//! The WebTorrent WebSocket tracker that pairs P2P viewers of a video, as pure logic: no sockets,
//! no clock, no randomness (the caller passes the time and a seed).
//!
//! - [`id`]: the 20-character "binary strings" of `info_hash`, `peer_id` and `to_peer_id`.
//! - [`protocol`]: client messages parsed and bounded, server messages written.
//! - [`tracker`]: swarms, peers per socket, offer and answer routing, and the decision to close
//!   a socket that misbehaves (never affecting another socket).
//! - [`hashes`]: the info hashes PeerTube's players announce for a video (p2p-media-loader v1 and
//!   v2 derivations), which form a tracker's allow-list.
//!
//! The Cloudflare shell runs one [`tracker::Tracker`] per video in a Durable Object.

pub mod hashes;
pub mod id;
pub mod protocol;
pub mod tracker;

pub use id::Id20;
pub use protocol::{Message, ProtocolError};
pub use tracker::{Outgoing, SocketRecord, Tracker};

#[cfg(test)]
mod tests;
