//! JSON-LD signatures: planning an `RsaSignature2017` verification (expansion with the pinned
//! contexts, RDFC-1.0 canonicalization with its limits) never panics and stays bounded on any
//! JSON document, signed or not.
#![no_main]

use edgetube_activitypub::signatures::ld_signature::verification_plan;
use edgetube_activitypub::signatures::urdna2015::canonical_nquads;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = verification_plan(&document);
        let _ = canonical_nquads(&document);
    }
});
