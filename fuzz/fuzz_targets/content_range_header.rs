//! Fuzzes `parse_content_range`, the `Content-Range: bytes a-b/total` parser of resumable and
//! runner file uploads.
//!
//! Input layout: byte 0 picks where the announced total comes from (even: the header's own
//! `/total`, as a runner's first chunk announces it; odd: the next 8 bytes, little-endian), the
//! rest is the header value. Invariants: nothing panics; an accepted range lies inside the file;
//! the header we would send for it parses back to the same range.
#![no_main]

use edgetube_api::uploads::parse_content_range;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (total, value) = if mode % 2 == 0 {
        let Ok(value) = std::str::from_utf8(rest) else { return };
        let total = value.rsplit('/').next().and_then(|t| t.trim().parse::<u64>().ok()).unwrap_or(0);
        (total, value)
    } else {
        let Some((total, value)) = rest.split_at_checked(8) else { return };
        let Ok(value) = std::str::from_utf8(value) else { return };
        (u64::from_le_bytes(total.try_into().expect("8 bytes")), value)
    };

    match parse_content_range(value, total) {
        Ok(Some((first, last))) => {
            assert!(first <= last && last < total, "{first}-{last}/{total}");
            let again = format!("bytes {first}-{last}/{total}");
            assert_eq!(parse_content_range(&again, total), Ok(Some((first, last))));
        }
        Ok(None) => {
            assert_eq!(parse_content_range(&format!("bytes */{total}"), total), Ok(None));
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
