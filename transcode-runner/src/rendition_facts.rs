//! What the instance must know of an uploaded fMP4 that the transcoding report does not say:
//! its segment hashes, `CODECS` string, which tracks it has, and its duration.
//!
//! All of it comes from the file's bytes through `edgetube-manifest`, the same code the edge uses
//! to serve and check them, so the runner and the edge cannot disagree on segment boundaries.

use edgetube_manifest::{fmp4, Codecs, SegmentHashes};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct RenditionFacts {
    /// The master playlist's `CODECS` value, e.g. `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    pub has_audio: bool,
    pub has_video: bool,
    /// `"<first>-<last>"` → hex SHA-256 of each media segment, in file order.
    pub segments_sha256: Map<String, Value>,
    /// Sum of the segment durations, in seconds.
    pub duration: f64,
}

/// Reads the facts of the fragmented MP4 `bytes`, named `file_name`.
pub fn rendition_facts(file_name: &str, bytes: &[u8]) -> Result<RenditionFacts, edgetube_manifest::Error> {
    let layout = fmp4::parse(bytes)?;
    let codecs = Codecs::from_init(bytes)?;
    let mut hashes = SegmentHashes::new();
    hashes.add_file(file_name, bytes, &layout)?;
    let segments_sha256 = hashes
        .files()
        .flat_map(|(_, ranges)| ranges)
        .map(|(range, hash)| (format!("{}-{}", range.offset, range.last_byte()), Value::String(hash.clone())))
        .collect();
    Ok(RenditionFacts {
        codecs: codecs.hls_value(),
        has_audio: codecs.audio.is_some(),
        has_video: codecs.video.is_some(),
        segments_sha256,
        duration: layout.segments.iter().map(|s| s.duration_secs()).sum(),
    })
}
