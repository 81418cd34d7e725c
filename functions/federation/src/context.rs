//! The JSON-LD `@context` values PeerTube sends: kept as data in
//! `edgetube_activitypub::documents::context` (with the Video, comment and View terms), and
//! re-exported here for the actor documents and collections of this crate.

pub use edgetube_activitypub::documents::context::{actor, base};
