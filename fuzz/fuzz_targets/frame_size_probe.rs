//! Fuzzes `FrameSizeProbe`, the streaming display-size probe of uploads, with the file cut into
//! chunks at fuzzer-chosen boundaries.
//!
//! Input layout: byte 0 is the number of cuts `k` (mod 16), then `k` little-endian `u16` chunk
//! lengths, then the file. Invariants: nothing panics; the answer does not depend on how the file
//! was cut (fed whole, fed in the chosen chunks, fed byte by byte); a size found is never zero.
#![no_main]

use edgetube_manifest::frame_size::FrameSizeProbe;
use libfuzzer_sys::fuzz_target;

fn probe<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Option<(u32, u32)> {
    let mut probe = FrameSizeProbe::default();
    for chunk in chunks {
        probe.update(chunk);
    }
    probe.finish()
}

fuzz_target!(|data: &[u8]| {
    let Some((&cuts, rest)) = data.split_first() else { return };
    let cuts = usize::from(cuts % 16);
    let Some((lengths, mut file)) = rest.split_at_checked(cuts * 2) else { return };
    let whole = file;

    let mut chunks = Vec::with_capacity(cuts + 1);
    for pair in lengths.chunks_exact(2) {
        let n = usize::from(u16::from_le_bytes([pair[0], pair[1]])).min(file.len());
        let (chunk, tail) = file.split_at(n);
        chunks.push(chunk);
        file = tail;
    }
    chunks.push(file);

    let expected = probe([whole]);
    if let Some((width, height)) = expected {
        assert!(width > 0 && height > 0);
    }
    assert_eq!(probe(chunks.iter().copied()), expected, "chunked at {chunks:?}");
    if whole.len() <= 4096 {
        assert_eq!(probe(whole.chunks(1)), expected, "byte by byte");
    }
});
