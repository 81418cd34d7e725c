//! The runner's streaming segment hashes (file read one segment at a time) against the in-memory
//! ones, on a real ffmpeg-made HLS fMP4 of a shared fixture.
//!
//! Skipped (with a message) when `../shared/fixtures` is missing.

use std::path::Path;
use std::process::Command;

use transcode_runner::rendition_facts::{rendition_facts, rendition_facts_from_file};

#[test]
fn streaming_facts_equal_the_in_memory_ones() {
    let input =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/video/big-buck-bunny-720p-5s.mp4");
    if !input.exists() {
        eprintln!("skipped: fixture {} not found", input.display());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("v-240-fragmented.mp4");
    // A keyframe every second and one-second segments, so the file has several.
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&input)
        .args(["-vf", "scale=-2:240", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "copy"])
        .args(["-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod"])
        .args(["-hls_segment_type", "fmp4", "-hls_flags", "single_file", "-hls_segment_filename"])
        .arg(&file)
        .arg(dir.path().join("v-240.m3u8"))
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let bytes = std::fs::read(&file).expect("reads");

    let in_memory = rendition_facts("v-240-fragmented.mp4", &bytes).expect("in memory");
    let streamed = rendition_facts_from_file(&file).expect("streamed");
    assert_eq!(streamed, in_memory);
    assert!(in_memory.segments_sha256.len() >= 2, "{:?}", in_memory.segments_sha256);
    assert!((4.9..5.5).contains(&streamed.duration), "{}", streamed.duration);
    assert!(streamed.has_audio && streamed.has_video);

    // A file cut inside its last segment is refused, as the in-memory reading refuses it.
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("writes");
    assert!(rendition_facts("cut.mp4", &bytes[..bytes.len() - 100]).is_err());
    let error = rendition_facts_from_file(&cut).expect_err("a truncated file");
    assert!(error.to_string().contains("past the end"), "{error}");
}
