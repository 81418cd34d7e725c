//! Fuzzes `parse_range`, the `Range: bytes=` parser of media and runner file downloads.
//!
//! Input layout: byte 0 picks how the object size is read (even: the next 2 bytes, odd: the next
//! 8, little-endian), the rest is the header value. Invariants: nothing panics; an accepted range
//! is non-empty and lies inside the object, as does the `Content-Range` span served for it.
#![no_main]

use edgetube_api::media::parse_range;
use edgetube_ports::ObjectRange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let width = if mode % 2 == 0 { 2 } else { 8 };
    let Some((size, value)) = rest.split_at_checked(width) else { return };
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(size);
    let size = u64::from_le_bytes(le);
    let Ok(value) = std::str::from_utf8(value) else { return };

    let Ok(range) = parse_range(value, size) else { return };
    assert!(size > 0, "a range of an empty object: {range:?}");
    // What the runner file download computes from it.
    let (first, wanted) = match range {
        ObjectRange::OffsetWithLength { offset, length } => {
            assert!(
                length > 0 && offset.checked_add(length).is_some_and(|end| end <= size),
                "{range:?} of {size}"
            );
            (offset, length)
        }
        ObjectRange::From(offset) => {
            assert!(offset < size, "{range:?} of {size}");
            (offset, size - offset)
        }
        ObjectRange::Suffix(n) => {
            assert!(n > 0 && n <= size, "{range:?} of {size}");
            (size - n, n)
        }
    };
    assert!(wanted > 0 && first + wanted <= size);
    // What media serving answers in `Content-Range`.
    let (span_first, span_last) = range.span(size).expect("an accepted range covers bytes");
    assert_eq!((span_first, span_last - span_first + 1), (first, wanted));
});
