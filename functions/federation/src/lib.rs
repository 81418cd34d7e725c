//! Federation's effects: what this instance does with ActivityPub, through the ports.
//!
//! The protocol itself (documents, activities, signatures) is `edgetube-activitypub`, pure;
//! this crate brings keys, storage, the queue and the network to it:
//!
//! - receiving: [`inbox::receive`] verifies, stores and queues a POST at the edge;
//!   [`apply::apply`] (the queue consumer) gives each activity its effect once;
//! - sending: [`send`] gives our activities their proof, [`outbox`] stores and queues them,
//!   [`delivery::deliver`] (the queue consumer) signs and POSTs each, with [`retry`] schedules
//!   and per-host health ([`hosts`]); [`video_send`] decides what a change of one of our videos
//!   sends, with its Video object from [`video_document`];
//! - reading other servers: [`remote`] (signed fetches, actors, WebFinger) within [`policy`];
//!   [`blocklist`] says whom not to hear;
//! - serving our documents: [`webfinger`], [`nodeinfo`], [`host_meta`], [`actor`],
//!   [`collection`], [`negotiation`] (pure builders from domain values, in PeerTube 7's field
//!   order, because remote servers and clients were written against those).

pub mod actor;
pub mod apply;
pub mod blocklist;
pub mod collection;
pub mod collections;
pub mod context;
pub mod dead_letters;
pub mod delivery;
pub mod departure;
mod error;
pub mod following;
pub mod host_meta;
pub mod hosts;
pub mod inbox;
pub mod interactions;
pub mod negotiation;
pub mod nodeinfo;
pub mod objects;
pub mod outbox;
pub mod policy;
pub mod remote;
pub mod remote_images;
pub mod retry;
pub mod search;
pub mod send;
pub mod signing;
pub mod text;
pub mod video_collections;
pub mod video_document;
pub mod video_send;
pub mod webfinger;

pub use error::FederationError;

/// `Content-Type` of ActivityPub responses, as PeerTube sends it.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";
