//! FEP-521a: publishing an actor's Ed25519 key as an `assertionMethod` `Multikey`, so that
//! FEP-8b32 proofs on our objects can be verified by whoever relays them.
//!
//! The key's encoding (`z` + base58-btc of `0xed 0x01` + the key) is the signatures module's
//! job; here it is only placed in the actor document, with the contexts that define its terms.

use serde_json::{json, Map, Value};

use crate::documents::context::{add_context_urls, DATA_INTEGRITY_V1, DID_V1, MULTIKEY_V1};
use crate::documents::error::{DocumentError, Result};

/// The fragment of an actor's Ed25519 key id: `<actor>#ed25519-key`.
pub const ED25519_KEY_FRAGMENT: &str = "#ed25519-key";

/// The fragment of an actor's RSA key id: `<actor>#main-key`.
pub const MAIN_KEY_FRAGMENT: &str = "#main-key";

/// The `assertionMethod` value of `actor` with the key `public_key_multibase`.
pub fn assertion_method(actor: &str, public_key_multibase: &str) -> Value {
    json!([{
        "id": format!("{actor}{ED25519_KEY_FRAGMENT}"),
        "type": "Multikey",
        "controller": actor,
        "publicKeyMultibase": public_key_multibase,
    }])
}

/// Adds to the actor document `document` its `assertionMethod` (right after `publicKey`, or at
/// the end) and the data-integrity, DID and multikey contexts that define its terms. The actor
/// is the document's `id`.
/// Calling it again replaces the key.
pub fn add_assertion_method(document: &mut Value, public_key_multibase: &str) -> Result<()> {
    let Value::Object(map) = document else {
        return Err(DocumentError::NotAnObject { field: "(document)".to_owned() });
    };
    let actor = match map.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => return Err(DocumentError::Missing { field: "id".to_owned() }),
    };
    // In Fedify's order. Without DID v1 a JSON-LD reader drops `assertionMethod`, an unknown term.
    add_context_urls(map, &[DATA_INTEGRITY_V1, DID_V1, MULTIKEY_V1]);
    map.shift_remove("assertionMethod");
    let value = assertion_method(&actor, public_key_multibase);
    let mut out = Map::with_capacity(map.len() + 1);
    let mut inserted = false;
    for (key, field) in std::mem::take(map) {
        let after = key == "publicKey";
        out.insert(key, field);
        if after {
            out.insert("assertionMethod".into(), value.clone());
            inserted = true;
        }
    }
    if !inserted {
        out.insert("assertionMethod".into(), value);
    }
    *map = out;
    Ok(())
}
