//! RFC 9421 `Signature-Input` and `Signature` pairs (split at the first newline of the input):
//! parsing never panics, whatever the structured-field syntax.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (input, signature) = text.split_once('\n').unwrap_or((text, ""));
        let _ = edgetube_activitypub::signatures::rfc9421::parse(input, signature);
    }
});
