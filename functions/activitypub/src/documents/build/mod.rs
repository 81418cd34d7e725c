//! Our outgoing documents, in PeerTube's field order and with PeerTube's `@context`.
//!
//! Remote servers were written against PeerTube's output, and JSON-LD signature verifiers hash
//! it, so the builders reproduce PeerTube 7's documents field for field; tests compare them to
//! the captured ones. Builders return `serde_json::Value` (the workspace enables serde_json's
//! `preserve_order`, so insertion order is wire order): the signatures module signs and the
//! delivery code serialises that value as is.
//!
//! - [`activities`]: Follow, Accept, Reject, Undo, Announce, Like, Dislike, View, Delete, Flag;
//! - [`video`]: the Video object, `Create{Video}` and `Update{Video}`;
//! - [`note`]: comments (`Note`, `Create{Note}`) and their `Tombstone`;
//! - [`actor_keys`]: the FEP-521a `assertionMethod` of our actor documents.

pub mod activities;
pub mod actor_keys;
pub mod note;
pub mod video;

use serde_json::{Map, Value};

use super::context::PUBLIC;

/// The `to` and `cc` of an outgoing document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    /// `to`.
    pub to: Vec<String>,
    /// `cc`.
    pub cc: Vec<String>,
}

impl Audience {
    /// A public document of an actor: `to: [Public]`, `cc: [<its followers>]` (a public Video, an
    /// Undo of a follow).
    pub fn public(followers: &str) -> Self {
        Audience { to: vec![PUBLIC.to_owned()], cc: vec![followers.to_owned()] }
    }

    /// To the followers of every actor involved: `to: [Public, …followers]`, `cc: []`, as
    /// PeerTube addresses Announces and Deletes of videos.
    pub fn followers_of(followers: &[&str]) -> Self {
        let mut to = vec![PUBLIC.to_owned()];
        to.extend(followers.iter().map(|f| (*f).to_owned()));
        Audience { to, cc: Vec::new() }
    }

    /// No audience (`to: []`, `cc: []`): an unlisted Video.
    pub fn none() -> Self {
        Audience::default()
    }

    /// Writes `to` and `cc` into `map`.
    pub(crate) fn write(&self, map: &mut Map<String, Value>) {
        map.insert("to".into(), self.to.clone().into());
        map.insert("cc".into(), self.cc.clone().into());
    }
}

/// `document` with `@context` put first.
pub fn with_context(context: Value, document: Value) -> Value {
    let mut map = Map::new();
    map.insert("@context".into(), context);
    if let Value::Object(fields) = document {
        map.extend(fields.into_iter().filter(|(key, _)| key != "@context"));
    }
    Value::Object(map)
}
