//! Fuzzes the fragmented-MP4 box reader of `edgetube-manifest`: the box iterator (walked
//! recursively), `fmp4::parse` and `Codecs::from_init`, on arbitrary bytes.
//!
//! Invariants: nothing panics; every box lies inside its parent; a parsed layout starts at byte 0,
//! its segments tile the rest of the file without gaps and end exactly at the file's end.
#![no_main]

use edgetube_manifest::fmp4::{self, Boxes};
use edgetube_manifest::{Codecs, MediaPlaylist};
use libfuzzer_sys::fuzz_target;

/// Walks `boxes` and their children down to `depth`, checking each box sits in `[start, end)`.
fn walk(boxes: Boxes<'_>, start: u64, end: u64, depth: u32) {
    let mut next = start;
    for b in boxes {
        let Ok(b) = b else { return };
        let range = b.range();
        assert_eq!(range.offset, next, "boxes are consecutive");
        assert!(range.length >= b.header_len && range.end() <= end, "{range:?} outside {start}..{end}");
        next = range.end();
        if depth > 0 {
            walk(b.children(), b.offset + b.header_len, range.end(), depth - 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    walk(fmp4::boxes(data), 0, len, 6);

    if let Ok(layout) = fmp4::parse(data) {
        assert_eq!(layout.init.offset, 0);
        assert!(!layout.segments.is_empty());
        let mut next = layout.init.end();
        for segment in &layout.segments {
            assert_eq!(segment.range.offset, next, "segments are contiguous");
            assert!(segment.range.length > 0);
            assert!(segment.timescale > 0);
            next = segment.range.end();
        }
        assert_eq!(layout.file_len(), len, "segments end at the file's end");
        assert!(layout.tracks.iter().any(|t| t.id == layout.reference_track));
        // What the runner writes from a layout must not panic either.
        let playlist = MediaPlaylist::from_layout("f.mp4", &layout);
        let _ = playlist.to_string();
    }

    if let Ok(codecs) = Codecs::from_init(data) {
        let _ = codecs.hls_value();
    }
});
