//! JSON-LD documents to canonical N-Quads (URDNA2015, standardised as RDFC-1.0), offline and bounded.
//!
//! This is the hashing half of `RsaSignature2017` ([`super::ld_signature`]): a document is
//! expanded to RDF by `oxjsonld`, and the quads are canonicalized by `rdf-canon`, whose output is
//! the N-Quads text PeerTube's `jsonld.normalize(…, {algorithm: 'URDNA2015'})` hashes.
//!
//! Two rules make it safe to run on what strangers send, at the edge:
//! - **No remote context is ever fetched.** The contexts PeerTube and Mastodon sign with are
//!   pinned below as data; a document naming any other (or `@import`ing one, or using the
//!   `@include` PeerTube refuses) fails with [`CanonicalizationError::RemoteContext`] or
//!   [`CanonicalizationError::Include`] before any parsing.
//! - **The work is bounded.** The body's size, its JSON's values and depth, the quads and blank
//!   nodes it expands to, and the calls to RDFC-1.0's "hash N-degree quads" (exponential on
//!   crafted graphs, the spec's "dataset poisoning") all have limits ([`Limits`]).

use std::collections::HashSet;

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf_canon as canon_rdf;
use rdf_canon::CanonicalizationOptions;
use serde_json::Value;
use sha2::Sha256;
use thiserror::Error;

/// `https://www.w3.org/ns/activitystreams`, as W3C serves it. Text from Fedify's preloaded copy
/// (`fedify-dev/fedify`, `packages/vocab-runtime/src/contexts/activitystreams.json`), which
/// matches PeerTube's vendored copy (`server/core/helpers/jsonld-contexts/activitystreams-context.ts`)
/// but for `formerType`'s `@type` (`@vocab` there, `@id` in PeerTube's), a term neither sends.
const ACTIVITYSTREAMS: &str = include_str!("contexts/activitystreams.jsonld");

/// `https://w3id.org/security/v1`, as PeerTube pins it for its own signatures
/// (`Chocobozzz/PeerTube`, `server/core/helpers/custom-jsonld-signature.ts`, `STATIC_CACHE`):
/// the W3C CCG document including `Ed25519Signature2018`, `publicKeyBase58` and `publicKeyWif`,
/// which older copies (e.g. `w3c/vc-test-suite`'s) lack.
const SECURITY_V1: &str = include_str!("contexts/security-v1.jsonld");

/// The only remote contexts a document may name, with their pinned text.
pub const PINNED_CONTEXTS: [(&str, &str); 2] = [
    ("https://www.w3.org/ns/activitystreams", ACTIVITYSTREAMS),
    ("https://w3id.org/security/v1", SECURITY_V1),
];

/// Bounds on the work one document may cause. The defaults are ten times what PeerTube's
/// largest activity needs (an `Update{Video}` with HLS and web-video files: 14 kB, ~250 quads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The document serialized, in bytes.
    pub max_bytes: usize,
    /// JSON values (objects, arrays, scalars) in the document.
    pub max_values: usize,
    /// Nesting of JSON objects and arrays.
    pub max_depth: usize,
    /// Quads the document expands to.
    pub max_quads: usize,
    /// Distinct blank nodes among them.
    pub max_blank_nodes: usize,
    /// Calls to RDFC-1.0's hash N-degree quads algorithm (rdf-canon's own default is 4000).
    pub max_hndq_calls: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 128 * 1024,
            max_values: 20_000,
            max_depth: 32,
            max_quads: 5_000,
            max_blank_nodes: 1_000,
            max_hndq_calls: 4_000,
        }
    }
}

/// Why a document could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CanonicalizationError {
    /// The document names a context that is not pinned here; it is never fetched.
    #[error("the JSON-LD context {0:?} is not one this server knows, and remote contexts are never fetched")]
    RemoteContext(String),

    /// `@include` (refused by PeerTube too).
    #[error("JSON-LD @include is not supported")]
    Include,

    /// A bound of [`Limits`] was passed.
    #[error("the document is too large to canonicalize: more than {limit} {what}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// The bound.
        limit: usize,
    },

    /// The canonicalization took more hash N-degree quads calls than allowed: a poisoned graph.
    #[error("canonicalization gave up after {0} hash N-degree quads calls (a poisoned graph)")]
    Poisoned(usize),

    /// The document is not valid JSON-LD, or uses what the expansion refuses.
    #[error("invalid JSON-LD: {0}")]
    JsonLd(String),

    /// The canonicalization failed for another reason.
    #[error("canonicalization failed: {0}")]
    Canonicalization(String),
}

/// The URDNA2015 / RDFC-1.0 canonical N-Quads of `document`, with the default [`Limits`].
pub fn canonical_nquads(document: &Value) -> Result<String, CanonicalizationError> {
    canonical_nquads_with(document, &Limits::default())
}

/// The URDNA2015 / RDFC-1.0 canonical N-Quads of `document`, within `limits`.
pub fn canonical_nquads_with(document: &Value, limits: &Limits) -> Result<String, CanonicalizationError> {
    check_document(document, limits)?;
    let text = serde_json::to_vec(document).map_err(|e| CanonicalizationError::JsonLd(e.to_string()))?;
    if text.len() > limits.max_bytes {
        return Err(CanonicalizationError::TooLarge { what: "bytes", limit: limits.max_bytes });
    }
    let quads = to_quads(&text, limits)?;
    rdf_canon::canonicalize_quads_with::<Sha256>(
        &quads,
        &CanonicalizationOptions { hndq_call_limit: Some(limits.max_hndq_calls) },
    )
    .map_err(|e| match e {
        rdf_canon::CanonicalizationError::HndqCallLimitExceeded(limit) => {
            CanonicalizationError::Poisoned(limit)
        }
        other => CanonicalizationError::Canonicalization(other.to_string()),
    })
}

/// Walks the JSON once before any JSON-LD processing: every context it names must be pinned, no
/// `@include`, and its size within bounds. Walking is iterative, so depth costs no stack.
fn check_document(document: &Value, limits: &Limits) -> Result<(), CanonicalizationError> {
    let mut stack = vec![(document, 1usize)];
    let mut values = 0usize;
    while let Some((value, depth)) = stack.pop() {
        values += 1;
        if values > limits.max_values {
            return Err(CanonicalizationError::TooLarge { what: "JSON values", limit: limits.max_values });
        }
        if depth > limits.max_depth {
            return Err(CanonicalizationError::TooLarge {
                what: "levels of nesting",
                limit: limits.max_depth,
            });
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match key.as_str() {
                        "@include" => return Err(CanonicalizationError::Include),
                        "@context" => check_context(child)?,
                        _ => {}
                    }
                    stack.push((child, depth + 1));
                }
            }
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// A `@context` value: a pinned URL, an inline context, `null`, or an array of those. Nested
/// `@context`s (scoped contexts) and `@import`s inside inline contexts are checked by the walk,
/// which reaches them as values of `@context` keys; `@import` is checked here.
fn check_context(context: &Value) -> Result<(), CanonicalizationError> {
    match context {
        Value::String(url) => pinned(url).map(|_| ()),
        Value::Array(items) => items.iter().try_for_each(check_context),
        Value::Object(map) => match map.get("@import") {
            Some(Value::String(url)) => pinned(url).map(|_| ()),
            Some(other) => {
                Err(CanonicalizationError::JsonLd(format!("@import must be a string, not {other}")))
            }
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn pinned(url: &str) -> Result<&'static str, CanonicalizationError> {
    PINNED_CONTEXTS
        .iter()
        .find(|(pinned, _)| *pinned == url)
        .map(|(_, text)| *text)
        .ok_or_else(|| CanonicalizationError::RemoteContext(url.to_owned()))
}

/// Expands the document to quads (oxrdf 0.3, oxjsonld's) and converts them to rdf-canon's (oxrdf
/// 0.2). Any expansion error fails the whole document: a term dropped silently here but not by
/// the signer would only make a valid signature fail, never an invalid one pass, yet an error
/// means the document is not what its signer could have hashed.
fn to_quads(text: &[u8], limits: &Limits) -> Result<Vec<canon_rdf::Quad>, CanonicalizationError> {
    let parser = JsonLdParser::new().for_slice(text).with_load_document_callback(|url, _options| {
        // Only reached for URLs `check_document` allowed; refusing here too keeps the rule
        // in one place should the walk ever miss a path.
        let text = pinned(url)?;
        Ok(JsonLdRemoteDocument { document: text.as_bytes().to_vec(), document_url: url.to_owned() })
    });
    let mut quads = Vec::new();
    let mut blank_nodes = HashSet::new();
    for quad in parser {
        let quad = quad.map_err(|e| CanonicalizationError::JsonLd(e.to_string()))?;
        if quads.len() == limits.max_quads {
            return Err(CanonicalizationError::TooLarge { what: "quads", limit: limits.max_quads });
        }
        let converted = convert(quad);
        for node in blank_nodes_of(&converted) {
            blank_nodes.insert(node.to_owned());
        }
        if blank_nodes.len() > limits.max_blank_nodes {
            return Err(CanonicalizationError::TooLarge {
                what: "blank nodes",
                limit: limits.max_blank_nodes,
            });
        }
        quads.push(converted);
    }
    Ok(quads)
}

fn blank_nodes_of(quad: &canon_rdf::Quad) -> impl Iterator<Item = &str> {
    let subject = match &quad.subject {
        canon_rdf::Subject::BlankNode(b) => Some(b.as_str()),
        _ => None,
    };
    let object = match &quad.object {
        canon_rdf::Term::BlankNode(b) => Some(b.as_str()),
        _ => None,
    };
    let graph = match &quad.graph_name {
        canon_rdf::GraphName::BlankNode(b) => Some(b.as_str()),
        _ => None,
    };
    [subject, object, graph].into_iter().flatten()
}

/// One quad from oxrdf 0.3 to oxrdf 0.2: both keep terms as validated strings, so this moves them
/// across unchecked.
fn convert(quad: oxrdf::Quad) -> canon_rdf::Quad {
    let subject: canon_rdf::Subject = match quad.subject {
        oxrdf::NamedOrBlankNode::NamedNode(n) => named(n).into(),
        oxrdf::NamedOrBlankNode::BlankNode(b) => blank(b).into(),
    };
    let object: canon_rdf::Term = match quad.object {
        oxrdf::Term::NamedNode(n) => named(n).into(),
        oxrdf::Term::BlankNode(b) => blank(b).into(),
        oxrdf::Term::Literal(literal) => {
            let (value, datatype, language) = literal.destruct();
            match (language, datatype) {
                (Some(language), _) => {
                    canon_rdf::Literal::new_language_tagged_literal_unchecked(value, language).into()
                }
                (None, Some(datatype)) => {
                    canon_rdf::Literal::new_typed_literal(value, named(datatype)).into()
                }
                (None, None) => canon_rdf::Literal::new_simple_literal(value).into(),
            }
        }
    };
    let graph_name = match quad.graph_name {
        oxrdf::GraphName::DefaultGraph => canon_rdf::GraphName::DefaultGraph,
        oxrdf::GraphName::NamedNode(n) => named(n).into(),
        oxrdf::GraphName::BlankNode(b) => blank(b).into(),
    };
    canon_rdf::Quad::new(subject, named(quad.predicate), object, graph_name)
}

fn named(node: oxrdf::NamedNode) -> canon_rdf::NamedNode {
    canon_rdf::NamedNode::new_unchecked(node.into_string())
}

fn blank(node: oxrdf::BlankNode) -> canon_rdf::BlankNode {
    canon_rdf::BlankNode::new_unchecked(node.into_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const OPTIONS_NQUADS: &str = "_:c14n0 <http://purl.org/dc/terms/created> \"2026-11-21T21:40:08.270Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n_:c14n0 <http://purl.org/dc/terms/creator> <http://127.0.0.1:9000/accounts/root> .\n";

    #[test]
    fn signature_options_canonicalize_as_peertube_does() {
        let options = json!({
            "@context": ["https://w3id.org/security/v1", {"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"}],
            "creator": "http://127.0.0.1:9000/accounts/root",
            "created": "2026-11-21T21:40:08.270Z",
        });
        assert_eq!(canonical_nquads(&options).unwrap(), OPTIONS_NQUADS);
    }

    #[test]
    fn pinned_contexts_are_json_ld_contexts() {
        for (url, text) in PINNED_CONTEXTS {
            let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(value["@context"].is_object(), "{url}");
        }
    }

    #[test]
    fn remote_contexts_are_refused_unfetched() {
        for context in [
            json!("https://example.com/ctx"),
            json!(["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v2"]),
            json!({"@import": "https://evil.example/c"}),
            json!({"term": {"@id": "https://x/t", "@context": "https://evil.example/scoped"}}),
        ] {
            let document = json!({"@context": context, "id": "https://a/1", "type": "Note"});
            assert!(
                matches!(canonical_nquads(&document), Err(CanonicalizationError::RemoteContext(_))),
                "{document}"
            );
        }
        let nested = json!({"@context": "https://www.w3.org/ns/activitystreams", "object": {"@context": "https://x/y"}});
        assert!(
            matches!(canonical_nquads(&nested), Err(CanonicalizationError::RemoteContext(url)) if url == "https://x/y")
        );
    }

    #[test]
    fn include_is_refused() {
        let document = json!({"@context": "https://www.w3.org/ns/activitystreams", "@include": "x"});
        assert_eq!(canonical_nquads(&document), Err(CanonicalizationError::Include));
    }

    #[test]
    fn size_bounds_hold() {
        let deep = (0..40).fold(json!("x"), |inner, _| json!({"a": inner}));
        assert!(matches!(
            canonical_nquads(&deep),
            Err(CanonicalizationError::TooLarge { what: "levels of nesting", .. })
        ));
        let many = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a/1",
            "tag": (0..30).map(|i| json!({"type": "Hashtag", "name": i.to_string()})).collect::<Vec<_>>()});
        let tight = Limits { max_blank_nodes: 10, ..Limits::default() };
        assert!(matches!(
            canonical_nquads_with(&many, &tight),
            Err(CanonicalizationError::TooLarge { what: "blank nodes", .. })
        ));
        let tight = Limits { max_quads: 10, ..Limits::default() };
        assert!(matches!(
            canonical_nquads_with(&many, &tight),
            Err(CanonicalizationError::TooLarge { what: "quads", .. })
        ));
        assert!(canonical_nquads(&many).is_ok());
    }

    /// Identical anonymous nodes under identical anonymous parents: every order of the children
    /// is tried by hash N-degree quads, factorial in their number. The call limit stops it.
    #[test]
    fn a_poisoned_graph_is_abandoned() {
        let children = (0..8).map(|_| json!({"type": "Image"})).collect::<Vec<_>>();
        let parents = (0..3).map(|_| json!({"type": "Link", "tag": children.clone()})).collect::<Vec<_>>();
        let document =
            json!({"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a/1", "url": parents});
        assert_eq!(canonical_nquads(&document), Err(CanonicalizationError::Poisoned(4_000)));
    }
}
