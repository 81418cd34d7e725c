//! ActivityPub documents as PeerTube serves them, built from domain types.
//!
//! Pure functions from domain values to wire documents: [`webfinger`], [`nodeinfo`],
//! [`host_meta`], [`actor`] and [`collection`], plus [`negotiation`] to tell an ActivityPub
//! client from a browser. Field names and their order follow PeerTube 7's real responses
//! (`shared/reference/peertube-samples/activitypub/`), because remote servers and clients were
//! written against those.
//!
//! This crate does no I/O: the caller loads the actors and counts, then serializes the result.

pub mod actor;
pub mod collection;
pub mod context;
pub mod host_meta;
pub mod negotiation;
pub mod nodeinfo;
pub mod webfinger;

/// `Content-Type` of ActivityPub responses, as PeerTube sends it.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";
