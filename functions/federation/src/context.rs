//! The JSON-LD `@context` values PeerTube sends.

use serde_json::{json, Value};

/// The base context of every PeerTube document: ActivityStreams, security, RsaSignature2017.
pub fn base() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"}
    ])
}

/// The base context plus PeerTube's actor terms (`playlists`, `support`, `postingRestrictedToMods`).
pub fn actor() -> Value {
    let mut context = base();
    if let Value::Array(items) = &mut context {
        items.push(json!({
            "pt": "https://joinpeertube.org/ns#",
            "sc": "http://schema.org/",
            "playlists": {"@id": "pt:playlists", "@type": "@id"},
            "support": {"@type": "sc:Text", "@id": "pt:support"},
            "lemmy": "https://join-lemmy.org/ns#",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods"
        }));
    }
    context
}
