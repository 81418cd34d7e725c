//! End-to-end runs of `transcode-local` on the shared fixtures, checked with ffprobe.
//!
//! They need ffmpeg/ffprobe on the PATH and `../shared/fixtures` beside the repository; they are
//! skipped (with a message) when the fixtures are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use transcode_runner::ladder::LadderConfig;
use transcode_runner::transcode_local::{transcode_local, JobEvent, LocalJob, Naming, Strategy, Tools};

fn fixture(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/video").join(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: fixture {name} not found");
        None
    }
}

fn job(input: PathBuf, output_dir: PathBuf) -> LocalJob {
    LocalJob {
        tools: Tools { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into() },
        input,
        output_dir,
        ladder: LadderConfig::edgetube_default(),
        naming: Naming::Stem("video".into()),
        strategy: Strategy::SingleDecode,
        threads: None,
    }
}

/// What ffprobe says about one output file.
struct Media {
    video: Option<(String, u32, u32)>,
    audio_codec: Option<String>,
    duration: f64,
}

fn ffprobe(path: &Path) -> Media {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(output.status.success(), "ffprobe {}", path.display());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let codec = |s: &serde_json::Value| s["codec_name"].as_str().unwrap_or_default().to_string();
    let video = streams.iter().find(|s| s["codec_type"] == "video").map(|v| {
        (codec(v), v["width"].as_u64().unwrap_or(0) as u32, v["height"].as_u64().unwrap_or(0) as u32)
    });
    let audio_codec = streams.iter().find(|s| s["codec_type"] == "audio").map(codec);
    let duration = json["format"]["duration"].as_str().and_then(|d| d.parse().ok()).unwrap_or(0.0);
    Media { video, audio_codec, duration }
}

fn image_size(path: &Path) -> (u32, u32) {
    let (_, w, h) = ffprobe(path).video.expect("an image");
    (w, h)
}

#[tokio::test]
async fn big_buck_bunny_gets_the_ladder_images_and_a_report() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let report = transcode_local(&job(input.clone(), out.clone()), &mut |_| {}).await.expect("transcodes");

    let input_duration = ffprobe(&input).duration;
    let expected = [(720, 1280, 720), (480, 854, 480), (360, 640, 360), (240, 426, 240)];
    let made: Vec<u32> = report.renditions.iter().map(|r| r.resolution).collect();
    assert_eq!(made, [720, 480, 360, 240]);
    for (resolution, width, height) in expected {
        let file = out.join(format!("video-{resolution}-fragmented.mp4"));
        let media = ffprobe(&file);
        assert_eq!(media.video, Some(("h264".into(), width, height)), "{}", file.display());
        assert_eq!(media.audio_codec.as_deref(), Some("aac"), "{}", file.display());
        let duration = media.duration;
        assert!(
            (duration - input_duration).abs() <= 0.1,
            "{resolution}p lasts {duration}s, input {input_duration}s"
        );
        let playlist =
            std::fs::read_to_string(out.join(format!("video-{resolution}.m3u8"))).expect("playlist");
        assert!(
            playlist.contains(&format!("#EXT-X-MAP:URI=\"video-{resolution}-fragmented.mp4\"")),
            "{playlist}"
        );
        assert!(playlist.contains("#EXT-X-PLAYLIST-TYPE:VOD") && playlist.contains("#EXT-X-BYTERANGE:"));
    }
    assert_eq!(image_size(&out.join("thumbnail.jpg")), (280, 157));
    assert_eq!(image_size(&out.join("preview.jpg")), (850, 480));
    // 5.3 s → six 192×108 sprites of 1 s in one row.
    assert_eq!(image_size(&out.join("storyboard.jpg")), (6 * 192, 108));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("renditions.json")).expect("report"))
            .expect("json");
    assert_eq!(json["renditions"][1]["width"], 854);
    assert_eq!(json["renditions"][1]["file"], "video-480-fragmented.mp4");
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[tokio::test]
async fn garbage_input_fails_clearly_and_leaves_nothing() {
    let Some(input) = fixture("video_short_fake.webm") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let error = transcode_local(&job(input, out.clone()), &mut |_| {}).await.expect_err("refused");
    let message = format!("{error:#}");
    assert!(message.contains("is not a readable video"), "{message}");
    assert!(!out.exists(), "the output directory was created");

    // An existing output directory is left as it was.
    std::fs::create_dir(&out).expect("mkdir");
    let input = fixture("video_short_fake.webm").expect("fixture");
    transcode_local(&job(input, out.clone()), &mut |_| {}).await.expect_err("refused");
    assert_eq!(std::fs::read_dir(&out).expect("list").count(), 0);
}

#[tokio::test]
async fn audio_only_becomes_one_still_image_rendition() {
    let Some(input) = fixture("sample.ogg") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let report = transcode_local(&job(input.clone(), out.clone()), &mut |_| {}).await.expect("transcodes");
    assert_eq!(report.source, "still_image");
    assert_eq!(report.renditions.len(), 1);
    let media = ffprobe(&out.join("video-480-fragmented.mp4"));
    assert_eq!(media.video, Some(("h264".into(), 850, 480)));
    assert_eq!(media.audio_codec.as_deref(), Some("aac"));
    let (duration, input_duration) = (media.duration, ffprobe(&input).duration);
    assert!((duration - input_duration).abs() <= 0.2, "{duration}s vs {input_duration}s");
    assert_eq!(image_size(&out.join("preview.jpg")), (850, 480));
    assert_eq!(image_size(&out.join("thumbnail.jpg")), (280, 157));
    assert!(!out.join("storyboard.jpg").exists());
}

#[tokio::test]
async fn lowest_first_hands_out_the_lowest_rendition_while_the_rest_encodes() {
    let Some(input) = fixture("bikes-640x272-10s-noaudio.mp4") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let mut job = job(input, out.clone());
    job.strategy = Strategy::LowestFirst;
    // (event, whether each rendition's fMP4 is in the output directory at that moment)
    let mut seen = Vec::new();
    let report = transcode_local(&job, &mut |event| {
        let present = |r: u32| out.join(format!("video-{r}-fragmented.mp4")).exists();
        seen.push((event, present(240), present(272)));
    })
    .await
    .expect("transcodes");

    let ready: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, (e, ..))| matches!(e, JobEvent::RenditionReady(_)))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ready.len(), 1, "{seen:?}");
    let (event, lowest_there, original_there) = &seen[ready[0]];
    let JobEvent::RenditionReady(rendition) = event else { unreachable!() };
    assert_eq!(
        (rendition.resolution, rendition.width, rendition.file.as_str()),
        (240, 564, "video-240-fragmented.mp4")
    );
    assert!(*lowest_there && !*original_there, "only the lowest is out when announced");
    let playlist = std::fs::read_to_string(out.join("video-240.m3u8")).expect("playlist");
    assert!(playlist.contains("#EXT-X-MAP:URI=\"video-240-fragmented.mp4\""), "{playlist}");
    // The rest is encoded after the announcement.
    let later_progress = seen[ready[0]..].iter().filter_map(|(e, ..)| match e {
        JobEvent::Progress(f) => Some(*f),
        _ => None,
    });
    assert!(later_progress.clone().any(|f| f < 1.0), "{seen:?}");
    assert!(later_progress.clone().zip(later_progress.skip(1)).all(|(a, b)| a <= b), "{seen:?}");

    let made: Vec<u32> = report.renditions.iter().map(|r| r.resolution).collect();
    assert_eq!(made, [272, 240]);
    for (resolution, width) in [(272, 640), (240, 564)] {
        let media = ffprobe(&out.join(format!("video-{resolution}-fragmented.mp4")));
        assert_eq!(media.video, Some(("h264".into(), width, resolution)));
        assert!((media.duration - 10.0).abs() <= 0.2, "{resolution}p lasts {}", media.duration);
    }
    let mut entries = std::fs::read_dir(&out).expect("list").filter_map(Result::ok);
    assert!(!entries.any(|e| e.file_name().to_string_lossy().starts_with('.')), "staging left behind");
}
