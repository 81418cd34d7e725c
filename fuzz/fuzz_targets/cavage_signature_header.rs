//! draft-cavage `Signature` headers from any sender: the parser must never panic, and what it
//! accepts must name a keyId and a signature.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parsed) = edgetube_activitypub::signatures::cavage::parse(text) {
            assert!(!parsed.key_id.is_empty());
        }
    }
});
