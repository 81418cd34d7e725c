//! The JSON-LD `@context` values PeerTube sends, kept as data.
//!
//! Every PeerTube document starts with the same base (ActivityStreams, security v1 and the
//! `RsaSignature2017` term). Typed documents append one object of terms: `pt` and `sc` prefixes
//! then the type's own terms, in PeerTube's order. The lists below are copied from PeerTube 7's
//! captured documents (`peertube-samples/activitypub/` and `deliveries/`); tests compare each one
//! to its sample. Remote JSON-LD processors (and RsaSignature2017 verifiers) read these terms, so a
//! missing or reordered term is a real difference, not a cosmetic one.

use serde_json::{json, Map, Value};

/// The ActivityStreams context.
pub const ACTIVITYSTREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// The security vocabulary v1 (`publicKey`, `signature`).
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
/// FEP-8b32 object proofs (`proof`, `DataIntegrityProof`).
pub const DATA_INTEGRITY_V1: &str = "https://w3id.org/security/data-integrity/v1";
/// FEP-521a keys (`Multikey`, `publicKeyMultibase`).
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// DID v1: defines `assertionMethod` itself (neither data-integrity nor multikey does), so a
/// JSON-LD reader of an actor keeps its FEP-521a keys only with it (Fedify sends it too).
pub const DID_V1: &str = "https://www.w3.org/ns/did/v1";
/// The public collection: in `to`, the document is public; in `cc` only, unlisted.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// PeerTube's namespace, the `pt:` prefix.
pub const PEERTUBE_NS: &str = "https://joinpeertube.org/ns#";
/// schema.org, the `sc:` prefix.
pub const SCHEMA_ORG: &str = "http://schema.org/";

/// How a term is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// `"term": "<iri>"`.
    Iri(&'static str),
    /// `"term": {"@type": <type>, "@id": <iri>}` (that key order).
    Typed {
        /// The value type (`sc:Number`, `sc:Boolean`, …).
        kind: &'static str,
        /// The term's IRI.
        id: &'static str,
    },
    /// `"term": {"@id": <iri>, "@type": "@id"}`: a term whose values are IRIs (that key order).
    Reference(&'static str),
}

const fn typed(kind: &'static str, id: &'static str) -> Term {
    Term::Typed { kind, id }
}

/// The Video terms, after `pt` and `sc` (PeerTube 7).
pub const VIDEO_TERMS: &[(&str, Term)] = &[
    ("Hashtag", Term::Iri("as:Hashtag")),
    ("category", Term::Iri("sc:category")),
    ("licence", Term::Iri("sc:license")),
    ("subtitleLanguage", Term::Iri("sc:subtitleLanguage")),
    ("automaticallyGenerated", Term::Iri("pt:automaticallyGenerated")),
    ("sensitive", Term::Iri("as:sensitive")),
    ("language", Term::Iri("sc:inLanguage")),
    ("identifier", Term::Iri("sc:identifier")),
    ("isLiveBroadcast", Term::Iri("sc:isLiveBroadcast")),
    ("liveSaveReplay", typed("sc:Boolean", "pt:liveSaveReplay")),
    ("permanentLive", typed("sc:Boolean", "pt:permanentLive")),
    ("latencyMode", typed("sc:Number", "pt:latencyMode")),
    ("Infohash", Term::Iri("pt:Infohash")),
    ("tileWidth", typed("sc:Number", "pt:tileWidth")),
    ("tileHeight", typed("sc:Number", "pt:tileHeight")),
    ("tileDuration", typed("sc:Number", "pt:tileDuration")),
    ("aspectRatio", typed("sc:Float", "pt:aspectRatio")),
    ("uuid", typed("sc:identifier", "pt:uuid")),
    ("originallyPublishedAt", Term::Iri("sc:datePublished")),
    ("uploadDate", Term::Iri("sc:uploadDate")),
    ("hasParts", Term::Iri("sc:hasParts")),
    ("views", typed("sc:Number", "pt:views")),
    ("state", typed("sc:Number", "pt:state")),
    ("size", typed("sc:Number", "pt:size")),
    ("fps", typed("sc:Number", "pt:fps")),
    ("commentsEnabled", typed("sc:Boolean", "pt:commentsEnabled")),
    ("canReply", Term::Iri("pt:canReply")),
    ("commentsPolicy", typed("sc:Number", "pt:commentsPolicy")),
    ("downloadEnabled", typed("sc:Boolean", "pt:downloadEnabled")),
    ("waitTranscoding", typed("sc:Boolean", "pt:waitTranscoding")),
    ("support", typed("sc:Text", "pt:support")),
    ("likes", Term::Reference("as:likes")),
    ("dislikes", Term::Reference("as:dislikes")),
    ("shares", Term::Reference("as:shares")),
    ("comments", Term::Reference("as:comments")),
    ("PropertyValue", Term::Iri("sc:PropertyValue")),
    ("value", Term::Iri("sc:value")),
];

/// The actor terms (accounts, channels, the instance actor).
pub const ACTOR_TERMS: &[(&str, Term)] = &[
    ("playlists", Term::Reference("pt:playlists")),
    ("support", typed("sc:Text", "pt:support")),
    ("lemmy", Term::Iri("https://join-lemmy.org/ns#")),
    ("postingRestrictedToMods", Term::Iri("lemmy:postingRestrictedToMods")),
];

/// The comment terms.
pub const COMMENT_TERMS: &[(&str, Term)] = &[("replyApproval", Term::Iri("pt:replyApproval"))];

/// The View terms. `activitypub.md` §4 names the two terms; no View was captured, so their
/// schema.org IRIs are the schema.org names, unverified against a PeerTube document.
pub const VIEW_TERMS: &[(&str, Term)] = &[
    ("InteractionCounter", Term::Iri("sc:InteractionCounter")),
    ("userInteractionCount", Term::Iri("sc:userInteractionCount")),
];

/// The base context of every PeerTube document: ActivityStreams, security, RsaSignature2017.
pub fn base() -> Value {
    json!([ACTIVITYSTREAMS, SECURITY_V1, {"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"}])
}

/// The base context plus one object with `pt`, `sc` and `terms`.
pub fn typed_context(terms: &[(&str, Term)]) -> Value {
    let mut object = Map::new();
    object.insert("pt".into(), PEERTUBE_NS.into());
    object.insert("sc".into(), SCHEMA_ORG.into());
    for (name, term) in terms {
        object.insert((*name).into(), term.to_value());
    }
    let mut context = base();
    if let Value::Array(items) = &mut context {
        items.push(Value::Object(object));
    }
    context
}

/// The context of actor documents.
pub fn actor() -> Value {
    typed_context(ACTOR_TERMS)
}

/// The context of Video documents and of `Create`/`Update{Video}`.
pub fn video() -> Value {
    typed_context(VIDEO_TERMS)
}

/// The context of comments (`Note`) and of `Create{Note}`.
pub fn comment() -> Value {
    typed_context(COMMENT_TERMS)
}

/// The context of `View` activities.
pub fn view() -> Value {
    typed_context(VIEW_TERMS)
}

impl Term {
    /// The term's definition as JSON.
    pub fn to_value(self) -> Value {
        match self {
            Term::Iri(iri) => iri.into(),
            Term::Typed { kind, id } => json!({"@type": kind, "@id": id}),
            Term::Reference(id) => json!({"@id": id, "@type": "@id"}),
        }
    }
}

/// Adds the context URLs `urls` to the `@context` of `document` (after its last URL, before the
/// term objects), skipping those already there. A string context becomes a list.
pub fn add_context_urls(document: &mut Map<String, Value>, urls: &[&str]) {
    let context = document.entry("@context").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::String(single) = context {
        *context = Value::Array(vec![Value::String(std::mem::take(single))]);
    }
    let Value::Array(items) = context else { return };
    for url in urls {
        if items.iter().any(|item| item.as_str() == Some(url)) {
            continue;
        }
        let after_last_url = items.iter().rposition(Value::is_string).map_or(0, |i| i + 1);
        items.insert(after_last_url, Value::String((*url).to_owned()));
    }
}
