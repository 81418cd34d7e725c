//! Real fragmented MP4s from ffmpeg with PeerTube's HLS flags: our layout, playlist, hashes and
//! codecs must agree with ffmpeg's own playlist and with independent tools.

use std::path::Path;
use std::process::Command;

use edgetube_manifest::playlist::MediaSegment;
use edgetube_manifest::{fmp4, rewrite_uris, ByteRange, Codecs, Error, MediaPlaylist, SegmentHashes};

const VIDEOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/video/");
const FILE: &str = "x-720-fragmented.mp4";

struct Case {
    input: &'static str,
    /// Extra output options (frame rate, GOP) placed before PeerTube's HLS flags.
    video: &'static [&'static str],
    segments: usize,
    target_duration: u64,
    audio: Option<&'static str>,
}

/// ffmpeg with the flags PeerTube passes for a VOD HLS rendition; returns the fMP4 and the playlist.
fn transcode(dir: &Path, case: &Case) -> (Vec<u8>, String) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(Path::new(VIDEOS).join(case.input))
        .args(["-c:v", "libx264", "-preset", "veryfast"])
        .args(case.video)
        .args(["-c:a", "aac", "-f", "hls", "-hls_time", "4", "-hls_list_size", "0"])
        .args(["-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_flags", "single_file"])
        .arg("-hls_segment_filename")
        .arg(dir.join(FILE))
        .arg(dir.join("x-720.m3u8"))
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg failed for {}", case.input);
    let bytes = std::fs::read(dir.join(FILE)).expect("fMP4 written");
    let text = std::fs::read_to_string(dir.join("x-720.m3u8")).expect("playlist written");
    (bytes, text)
}

/// PeerTube rewrites the `#EXT-X-MAP` URI to the bare file name (some ffmpeg versions write a path).
fn peertube_map_rewrite(text: &str) -> String {
    rewrite_uris(text, |uri| uri.rsplit('/').next().map(str::to_owned))
}

/// SHA-256 by `tail | head | sha256sum`, over a range taken from ffmpeg's playlist.
fn sha256sum(path: &Path, range: ByteRange) -> String {
    let script =
        format!("tail -c +{} '{}' | head -c {} | sha256sum", range.offset + 1, path.display(), range.length);
    let out = Command::new("sh").args(["-c", &script]).output().expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_owned()
}

fn check(case: Case) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (bytes, ffmpeg_text) = transcode(dir.path(), &case);
    let ffmpeg = MediaPlaylist::parse(&ffmpeg_text).expect("ffmpeg's playlist parses");
    let layout = fmp4::parse(&bytes).expect("our parser reads ffmpeg's fMP4");

    // Byte ranges and durations equal ffmpeg's.
    assert_eq!(ffmpeg.map.as_ref().and_then(|m| m.byte_range), Some(layout.init), "{}", case.input);
    let ranges: Vec<_> = ffmpeg.segments.iter().map(|s| s.byte_range).collect();
    assert_eq!(ranges, layout.segments.iter().map(|s| Some(s.range)).collect::<Vec<_>>(), "{}", case.input);
    let durations = |s: &[MediaSegment]| s.iter().map(|s| format!("{:.6}", s.duration)).collect::<Vec<_>>();
    let ours = MediaPlaylist::from_layout(FILE, &layout);
    assert_eq!(durations(&ours.segments), durations(&ffmpeg.segments), "{}", case.input);
    assert_eq!(layout.segments.len(), case.segments, "{}", case.input);
    assert_eq!(layout.file_len(), bytes.len() as u64);

    // The whole text, after PeerTube's #EXT-X-MAP rewrite.
    assert_eq!(ours.to_string(), peertube_map_rewrite(&ffmpeg_text), "{}", case.input);
    assert_eq!(ours.target_duration, case.target_duration, "{}", case.input);
    let text = ours.to_string();
    assert_eq!(MediaPlaylist::parse(&text).map(|p| p.to_string()), Ok(text));

    // Hashes agree with sha256sum over ffmpeg's ranges, survive a JSON round trip and catch damage.
    let mut hashes = SegmentHashes::new();
    hashes.add_file(FILE, &bytes, &layout).expect("ranges inside the file");
    let (_, recorded) = hashes.files().next().expect("one file");
    for (segment, (range, hash)) in ffmpeg.segments.iter().zip(recorded) {
        assert_eq!(segment.byte_range, Some(*range));
        assert_eq!(*hash, sha256sum(&dir.path().join(FILE), *range), "{} {range}", case.input);
    }
    assert_eq!(recorded.len(), ffmpeg.segments.len());
    let reread = SegmentHashes::parse(&hashes.to_json()).expect("our JSON parses");
    assert_eq!(reread, hashes);
    assert_eq!(reread.verify(FILE, &bytes), vec![]);
    let mut damaged = bytes.clone();
    let last = layout.segments[layout.segments.len() - 1].range;
    damaged[(last.offset + last.length / 2) as usize] ^= 0xff;
    let mismatches = reread.verify(FILE, &damaged);
    assert_eq!(mismatches.iter().map(|m| m.range).collect::<Vec<_>>(), vec![last]);
    let cut = reread.verify(FILE, &bytes[..bytes.len() - 1]);
    assert_eq!(cut.iter().map(|m| (m.range, m.actual.clone())).collect::<Vec<_>>(), vec![(last, None)]);

    // Codecs from the init section alone.
    let codecs = Codecs::from_init(&bytes[..layout.init.length as usize]).expect("codecs");
    let video = codecs.video.clone().unwrap_or_default();
    assert!(video.starts_with("avc1.64") && video.len() == 11, "{video}");
    assert_eq!(codecs.audio.as_deref(), case.audio, "{}", case.input);

    // Cut files fail with typed errors.
    assert!(matches!(fmp4::parse(&bytes[..bytes.len() - 1]), Err(Error::Truncated { .. })));
    assert_eq!(fmp4::parse(&bytes[..layout.init.length as usize]), Err(Error::NoSegments));
}

#[test]
fn big_buck_bunny_25fps_two_second_gops() {
    check(Case {
        input: "big-buck-bunny-720p-5s.mp4",
        video: &["-g", "50"],
        segments: 2,
        target_duration: 4,
        audio: Some("mp4a.40.2"),
    });
}

/// 29.97 fps with 2 s GOPs: segments last 4.004 s, and ffmpeg (so PeerTube) writes a target
/// duration of 4, not the ceiling 5.
#[test]
fn big_buck_bunny_ntsc_rate_rounds_target_duration() {
    check(Case {
        input: "big-buck-bunny-720p-5s.mp4",
        video: &["-r", "30000/1001", "-g", "60"],
        segments: 2,
        target_duration: 4,
        audio: Some("mp4a.40.2"),
    });
}

/// No audio track; segments of 5.04, 4.44 and 0.52 s: ffmpeg's target duration is 5 (rounded),
/// where a ceiling would give 6.
#[test]
fn video_without_audio() {
    check(Case {
        input: "bikes-640x272-10s-noaudio.mp4",
        video: &["-g", "50"],
        segments: 3,
        target_duration: 5,
        audio: None,
    });
}
