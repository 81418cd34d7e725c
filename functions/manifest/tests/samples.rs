//! Reproductions of the real PeerTube 7 output in `shared/reference/peertube-samples/hls/`.

use edgetube_manifest::fmp4::Segment;
use edgetube_manifest::{
    inject_video_file_token, master_playlist, ByteRange, Fmp4Layout, MasterPlaylist, MasterRendition,
    MediaPlaylist, PlaylistKind, SegmentHashes,
};

const HLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/peertube-samples/hls/");

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{HLS}{name}")).expect("sample exists")
}

/// `(size, file name)` of the fragmented MP4s listed in `storage-files.txt`.
fn stored_fmp4s() -> Vec<(u64, String)> {
    sample("storage-files.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (size, path) = l.trim().split_once("  ")?;
            let name = path.trim().rsplit('/').next()?;
            let size = size.parse().ok()?;
            name.ends_with("-fragmented.mp4").then(|| (size, name.to_owned()))
        })
        .collect()
}

/// The master from the sample's numbers: sizes from `storage-files.txt`, resolutions, frame rate
/// and codecs as PeerTube recorded them.
///
/// PeerTube divides by the video's duration as it stores it, in whole seconds: the renditions
/// last 5.28 s (ffprobe) and the source 5.31 s, stored as 5. Only 5 reproduces the sample:
/// 720p gives ceil(1221394 × 8 / 5) = 1954231, whereas 5.28 s would give 1850598.
#[test]
fn master_from_sample_numbers() {
    let files = stored_fmp4s();
    assert_eq!(files.len(), 3);
    let renditions: Vec<MasterRendition> = files
        .iter()
        .rev() // PeerTube's job order is 720, 360, 240: sorting is the function's job.
        .map(|(size, name)| {
            let (width, height, codecs) = match name {
                n if n.ends_with("-240-fragmented.mp4") => (426, 240, "avc1.640015,mp4a.40.2"),
                n if n.ends_with("-360-fragmented.mp4") => (640, 360, "avc1.64001e,mp4a.40.2"),
                _ => (1280, 720, "avc1.64001f,mp4a.40.2"),
            };
            MasterRendition {
                uri: name.replace("-fragmented.mp4", ".m3u8"),
                width,
                height,
                fps: 25,
                size: *size,
                codecs: codecs.to_owned(),
            }
        })
        .collect();
    let text = master_playlist(&renditions, 5);
    assert_eq!(text, sample("master.m3u8"));
    assert_eq!(text.len(), 464, "the master's size in storage-files.txt");
    assert_eq!(edgetube_manifest::playlist::bandwidth(1221394, 0), 1221394, "unknown duration");

    let parsed = MasterPlaylist::parse(&text).expect("parses");
    let summary: Vec<_> = parsed
        .variants
        .iter()
        .map(|v| (v.attribute("BANDWIDTH"), v.attribute("RESOLUTION"), v.attribute("CODECS")))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some("614349"), Some("426x240"), Some("avc1.640015,mp4a.40.2")),
            (Some("873813"), Some("640x360"), Some("avc1.64001e,mp4a.40.2")),
            (Some("1954231"), Some("1280x720"), Some("avc1.64001f,mp4a.40.2")),
        ]
    );
    assert_eq!(parsed.version, Some(3));
}

/// The 720p layout from `boxes-720-fragmented-mp4.txt`: init = `ftyp`+`moov`, each segment ends
/// with its top-level `mdat`. Durations: the second fragment's video `tfdt` is 51200 and the
/// stream's `duration_ts` (ffprobe) 67584, in the `mdhd` timescale 12800.
fn layout_720() -> Fmp4Layout {
    let mut init_end = 0;
    let mut ends = Vec::new();
    for line in sample("boxes-720-fragmented-mp4.txt").lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let top_level = line.get(29..).is_some_and(|rest| rest.starts_with("  ") && !rest.starts_with("   "));
        let last: u64 = fields[1].parse().expect("last byte");
        match fields[3] {
            "moov" => init_end = last + 1,
            "mdat" if top_level => ends.push(last + 1),
            _ => {}
        }
    }
    let mut start = init_end;
    let segments = ends
        .iter()
        .zip([51200, 67584 - 51200])
        .map(|(&end, duration_ticks)| {
            let s = Segment { range: ByteRange::new(start, end - start), duration_ticks, timescale: 12800 };
            start = end;
            s
        })
        .collect();
    Fmp4Layout { init: ByteRange::new(0, init_end), segments, tracks: Vec::new(), reference_track: 1 }
}

#[test]
fn rendition_playlist_from_box_layout() {
    let layout = layout_720();
    assert_eq!(layout.file_len(), 1221394, "the file's size in storage-files.txt");
    let text = MediaPlaylist::from_layout("394d8b43-63c8-41b1-9074-5759554013b4-720-fragmented.mp4", &layout)
        .to_string();
    assert_eq!(text, sample("variant-720.m3u8"));
    assert_eq!(text.len(), 413, "the playlist's size in storage-files.txt");
}

#[test]
fn segments_sha256_json() {
    let text = sample("segments-sha256.json");
    let hashes = SegmentHashes::parse(&text).expect("parses");
    assert_eq!(hashes.to_json_pretty(), text, "the sample's two-space form");
    // storage-files.txt records 675 bytes: PeerTube writes compact JSON and a newline.
    assert_eq!(hashes.to_json().len(), 675);
    assert_eq!(SegmentHashes::parse(&hashes.to_json()), Ok(hashes.clone()));

    let names: Vec<&str> = hashes.files().map(|(name, _)| name).collect();
    let stored: Vec<String> = stored_fmp4s().into_iter().map(|(_, n)| n).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, stored, "one entry per fragmented MP4");

    // The 720p keys are the playlist's byte ranges, init excluded, last byte inclusive.
    let (_, ranges) = hashes.files().nth(2).expect("720p");
    let playlist = MediaPlaylist::parse(&sample("variant-720.m3u8")).expect("parses");
    let expected: Vec<_> = playlist.segments.iter().map(|s| s.byte_range).collect();
    assert_eq!(ranges.iter().map(|(r, _)| Some(*r)).collect::<Vec<_>>(), expected);
    assert_eq!(
        ranges.first().map(|(r, _)| r.offset),
        playlist.map.and_then(|m| m.byte_range).map(|r| r.end())
    );
}

fn check(input: &str, kind: PlaylistKind, expect: &str) {
    assert_eq!(PlaylistKind::detect(input), kind, "{input}");
    assert_eq!(inject_video_file_token(input, "tok-1", kind), expect, "{input}");
}

#[test]
fn video_file_token_rewrite() {
    let master = sample("master.m3u8");
    let expect = master
        .replace("-240.m3u8", "-240.m3u8?videoFileToken=tok-1&reinjectVideoFileToken=true")
        .replace("-360.m3u8", "-360.m3u8?videoFileToken=tok-1&reinjectVideoFileToken=true")
        .replace("-720.m3u8", "-720.m3u8?videoFileToken=tok-1&reinjectVideoFileToken=true");
    check(&master, PlaylistKind::Master, &expect);

    let variant = sample("variant-720.m3u8");
    let expect = variant.replace("-fragmented.mp4", "-fragmented.mp4?videoFileToken=tok-1");
    assert_eq!(expect.matches("videoFileToken").count(), 3, "the map and both segments");
    check(&variant, PlaylistKind::Media, &expect);

    check(
        "#EXTM3U\r\n# a comment about x.mp4\r\n#EXTINF:4.000000,\r\nseg.ts\r\nother.vtt\r\n",
        PlaylistKind::Media,
        "#EXTM3U\r\n# a comment about x.mp4\r\n#EXTINF:4.000000,\r\nseg.ts?videoFileToken=tok-1\r\nother.vtt\r\n",
    );
    check(
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",URI=\"a-0.m3u8?x=1\"\n",
        PlaylistKind::Master,
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",URI=\"a-0.m3u8?x=1&videoFileToken=tok-1&reinjectVideoFileToken=true\"\n",
    );
    assert_eq!(
        inject_video_file_token("https://cdn/x-720.m3u8#t", "a b/+", PlaylistKind::Media),
        "https://cdn/x-720.m3u8?videoFileToken=a%20b%2F%2B#t"
    );
}

#[test]
fn invalid_playlists() {
    use edgetube_manifest::Error;
    let bad = |line, reason: &str| Err(Error::InvalidPlaylist { line, reason: reason.to_owned() });
    for (input, expect) in [
        ("", bad(1, "the first line is not #EXTM3U")),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:4\nx.mp4\n", bad(3, "URI without #EXTINF")),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:abc,\nx.mp4\n", bad(3, "bad #EXTINF duration")),
        ("#EXTM3U\n#EXTINF:4,\nx.mp4\n", bad(3, "no #EXT-X-TARGETDURATION")),
    ] {
        assert_eq!(MediaPlaylist::parse(input).map(|p| p.to_string()), expect, "{input:?}");
    }
}
