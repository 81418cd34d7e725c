//! `run` against the in-process fake instance, with real ffmpeg on the shared fixtures: a whole
//! job published (through the binary, with faults on the way), a failing input reported with
//! `error`, a job given away mid-way, a shutdown that aborts, and registration failures.
//!
//! The ffmpeg tests are skipped (with a message) when `../shared/fixtures` is missing.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use edgetube_manifest::{master_playlist, MasterRendition, SegmentHashes};
use indicatif::{MultiProgress, ProgressDrawTarget};
use serde_json::{json, Value};
use support::fake_bucket::FakeBucket;
use support::fake_instance::{FakeInstance, JobState, REGISTRATION_TOKEN};
use tokio::sync::watch;
use transcode_runner::job_runner::{run, RunnerConfig, RunnerError};
use transcode_runner::progress_display::ProgressDisplay;
use transcode_runner::runner_state::{self, RunnerState};
use transcode_runner::transcode_local::Tools;
use transcode_runner::transfer::TransferSettings;
use transcode_runner::wake::WakeSettings;

fn fixture(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/video").join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!("skipped: fixture {name} not found");
            None
        }
    }
}

struct Dirs {
    _root: tempfile::TempDir,
    state: PathBuf,
    work: PathBuf,
}

fn dirs() -> Dirs {
    let root = tempfile::tempdir().expect("tempdir");
    let (state, work) = (root.path().join("state"), root.path().join("work"));
    Dirs { _root: root, state, work }
}

fn config(fake: &FakeInstance, dirs: &Dirs) -> RunnerConfig {
    RunnerConfig {
        url: fake.origin(),
        registration_token: Some(REGISTRATION_TOKEN.into()),
        name: "test-runner".into(),
        state_dir: dirs.state.clone(),
        work_dir: dirs.work.clone(),
        // The fake instance has a wait route only when a test opens it; until then it polls.
        wake: WakeSettings::new(Duration::from_millis(50)),
        heartbeat: Duration::from_millis(200),
        transfer: TransferSettings {
            chunk_size: 256 * 1024,
            max_attempts: 5,
            first_backoff: Duration::from_millis(10),
        },
        threads: None,
        lowest_first: true,
        tools: Tools { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into() },
        once: true,
        exit_when_idle: None,
    }
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).map_or(true, |mut entries| entries.next().is_none())
}

/// Command lines of running processes that mention `path` (ffmpeg working in a job directory).
fn processes_using(path: &Path) -> Vec<String> {
    let needle = path.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&needle))
        .collect()
}

/// Waits briefly for killed processes to be gone (the kill is immediate, the exit nearly so).
async fn assert_no_process_uses(path: &Path) {
    for _ in 0..50 {
        if processes_using(path).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("still running: {:?}", processes_using(path));
}

fn runner_binary() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_transcode-runner"));
    command.env("RUST_LOG", "info").kill_on_drop(true);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn run_once_publishes_every_rendition_then_the_images_and_exits_0() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let fake = FakeInstance::start().await;
    fake.add_job(input, &[360, 240], false);
    {
        let mut world = fake.world();
        world.faults.download_cut_after.insert(0, 1000);
        world.faults.upload_store_then_500.insert(1);
    }
    let dirs = dirs();
    let output = runner_binary()
        .args(["run", "--once", "--url", &fake.origin(), "--registration-token", REGISTRATION_TOKEN])
        .arg("--state-dir")
        .arg(&dirs.state)
        .arg("--work-dir")
        .arg(&dirs.work)
        .args(["--chunk-size", "256KiB", "--heartbeat", "3s", "--poll-interval", "100ms", "--name", "bbb"])
        .output()
        .await
        .expect("the runner runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}: {stderr}", output.status);
    assert!(stderr.contains("transfer failed, retrying"), "the injected faults were met: {stderr}");
    assert!(!stderr.contains(&fake.world().runner_tokens[0]), "the runner token stays out of the logs");

    let world = fake.world();
    assert_eq!(world.job_state, Some(JobState::Completed));
    assert_eq!(world.registrations.len(), 1);
    assert_eq!(world.registrations[0]["name"], "bbb");
    let state = runner_state::load(&dirs.state).expect("state").expect("stored");
    assert_eq!(state.runner_token, world.runner_tokens[0]);
    assert!(is_empty_dir(&dirs.work), "the job's files are removed");

    // Renditions smallest first, each after both its files are complete.
    let renditions: Vec<&Value> = world.updates.iter().filter_map(|u| u.get("rendition")).collect();
    let resolutions: Vec<u64> =
        renditions.iter().map(|r| r["resolution"].as_u64().expect("resolution")).collect();
    assert_eq!(resolutions, [240, 360]);
    for (rendition, (width, height)) in renditions.iter().zip([(426, 240), (640, 360)]) {
        let file = rendition["file"].as_str().expect("file");
        let playlist = rendition["playlist"].as_str().expect("playlist");
        assert!(file.ends_with("-fragmented.mp4") && playlist.ends_with(".m3u8"), "{rendition}");
        let bytes = &world.stored[&format!("hls/{file}")];
        assert!(
            world.complete.contains(&format!("hls/{file}"))
                && world.complete.contains(&format!("hls/{playlist}"))
        );
        assert_eq!(rendition["size"].as_u64(), Some(bytes.len() as u64));
        assert_eq!((rendition["width"].as_u64(), rendition["height"].as_u64()), (Some(width), Some(height)));
        assert_eq!(rendition["fps"], 25);
        let codecs = rendition["codecs"].as_str().expect("codecs");
        assert!(codecs.starts_with("avc1.") && codecs.ends_with(",mp4a.40.2"), "{codecs}");
        assert_eq!(
            (rendition["hasAudio"].as_bool(), rendition["hasVideo"].as_bool()),
            (Some(true), Some(true))
        );
        let segments = rendition["segmentsSha256"].as_object().expect("hashes");
        assert!(segments.len() >= 2, "{segments:?}");
        let hashes = SegmentHashes::parse(&json!({ file: segments }).to_string()).expect("parses");
        assert!(hashes.verify(file, bytes).is_empty(), "segment hashes match the uploaded bytes");
    }

    // The video facts come with the first update, from the probe, well before any rendition.
    let first_video = world.updates.iter().position(|u| u.get("video").is_some()).expect("video facts");
    let first_rendition = world.updates.iter().position(|u| u.get("rendition").is_some()).expect("rendition");
    assert_eq!(first_video, 0, "{:?}", world.updates);
    assert!(first_video < first_rendition);
    let video = &world.updates[first_video]["video"];
    let duration = video["duration"].as_f64().expect("duration");
    assert!((4.9..5.5).contains(&duration), "{video}");
    assert_eq!(video["aspectRatio"], 1.7778);
    let progress: Vec<u64> = world.updates.iter().filter_map(|u| u["progress"].as_u64()).collect();
    assert!(progress.iter().all(|&p| p <= 100), "{progress:?}");
    // The lowest rendition is published while the rest encodes (`--lowest-first`, the default);
    // the others are uploaded once encoding is over.
    let mut upload_progress =
        world.updates.iter().filter(|u| u.get("rendition").is_some()).map(|u| &u["progress"]).skip(1);
    assert!(upload_progress.all(|p| p.as_u64() >= Some(80)), "uploads are past encoding: {progress:?}");

    let success = world.success.as_ref().expect("success");
    for kind in ["thumbnail", "preview"] {
        let name = success[kind].as_str().expect("image name");
        assert!(world.complete.contains(&format!("{kind}/{name}")), "{kind} {name}");
    }
    let storyboard = &success["storyboard"];
    let name = storyboard["file"].as_str().expect("storyboard");
    assert!(world.complete.contains(&format!("storyboard/{name}")));
    assert_eq!(storyboard["spriteWidth"], 192);
    assert_eq!(storyboard["spriteHeight"], 108);
    assert_eq!(storyboard["spriteDuration"], 1);
    // 5.3 s: six one-second sprites in one row, as PeerTube lays them out.
    assert_eq!(storyboard["totalWidth"], 192 * 6);
    assert_eq!(storyboard["totalHeight"], 108);
}

/// Runs one job through the binary with `--once`; returns its stderr after checking it exited 0.
async fn run_once(fake: &FakeInstance, dirs: &Dirs) -> String {
    let output = runner_binary()
        .args(["run", "--once", "--url", &fake.origin(), "--registration-token", REGISTRATION_TOKEN])
        .arg("--state-dir")
        .arg(&dirs.state)
        .arg("--work-dir")
        .arg(&dirs.work)
        .args(["--chunk-size", "256KiB", "--heartbeat", "3s", "--poll-interval", "100ms"])
        .output()
        .await
        .expect("the runner runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{}: {stderr}", output.status);
    stderr
}

#[tokio::test(flavor = "multi_thread")]
async fn with_presigned_uploads_every_result_goes_to_storage_in_one_put() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let fake = FakeInstance::start().await;
    let bucket = FakeBucket::start().await;
    fake.add_job(input, &[360, 240], false);
    {
        let mut world = fake.world();
        world.offer_presigned = true;
        world.presign_bucket = Some(bucket.origin.clone());
        // The first URL is refused (an expired signature); the runner asks for a fresh one.
        world.presign_expired_first = 1;
    }
    let dirs = dirs();
    let stderr = run_once(&fake, &dirs).await;
    assert!(
        !stderr.contains("X-Amz-Signature") && !stderr.contains("sig1"),
        "signatures stay out of logs: {stderr}"
    );

    let world = fake.world();
    assert_eq!(world.job_state, Some(JobState::Completed));
    assert!(world.upload_ranges.is_empty(), "nothing went through the API upload path");
    let seen = bucket.seen();
    assert!(seen.iter().all(|s| s.method == "PUT" && !s.had_token), "{seen:?}");
    assert_eq!(seen.iter().filter(|s| s.status == 403).count(), 1);
    let stored =
        |path: String| seen.iter().find(|s| s.status == 200 && s.path == path).map(|s| s.body.clone());
    let renditions: Vec<&Value> = world.updates.iter().filter_map(|u| u.get("rendition")).collect();
    assert_eq!(renditions.len(), 2);
    for rendition in renditions {
        let file = rendition["file"].as_str().expect("file");
        let bytes = stored(format!("/media/hls/{file}")).expect("the fMP4 is in the bucket");
        assert_eq!(rendition["size"].as_u64(), Some(bytes.len() as u64));
        let segments = rendition["segmentsSha256"].as_object().expect("hashes");
        let hashes = SegmentHashes::parse(&json!({ file: segments }).to_string()).expect("parses");
        assert!(hashes.verify(file, &bytes).is_empty(), "the bucket holds the bytes the report describes");
        let playlist = stored(format!("/media/hls/{}", rendition["playlist"].as_str().expect("playlist")));
        assert!(playlist.expect("the playlist is in the bucket").starts_with(b"#EXTM3U"));
    }
    let success = world.success.as_ref().expect("success");
    for kind in ["thumbnail", "preview"] {
        let image = stored(format!("/media/{kind}/{}", success[kind].as_str().expect("name")));
        assert!(image.expect("in the bucket").starts_with(&[0xff, 0xd8]), "{kind} is a JPEG");
    }
    assert!(stored(format!("/media/storyboard/{}", success["storyboard"]["file"].as_str().expect("file")))
        .is_some());
    assert!(is_empty_dir(&dirs.work), "the job's files are removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_that_hands_out_no_url_gets_the_files_through_its_api() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let fake = FakeInstance::start().await;
    fake.add_job(input, &[240], false);
    // Offered in the payload, but every `upload-url` call answers 501.
    fake.world().offer_presigned = true;
    let dirs = dirs();
    run_once(&fake, &dirs).await;

    let world = fake.world();
    assert_eq!(world.job_state, Some(JobState::Completed));
    // One refusal per publisher (the early one, then the rest) is enough to fall back.
    assert!((1..=2).contains(&world.upload_url_requests.len()), "{:?}", world.upload_url_requests);
    let rendition = world.updates.iter().find_map(|u| u.get("rendition")).expect("a rendition");
    assert!(world.complete.contains(&format!("hls/{}", rendition["file"].as_str().expect("file"))));
    let success = world.success.as_ref().expect("success");
    assert!(world.complete.contains(&format!("thumbnail/{}", success["thumbnail"].as_str().expect("name"))));
}

/// What the runner has done when the instance hears of the lowest rendition.
struct FirstReport {
    resolution: u64,
    /// Command lines of the job's ffmpeg processes at that moment.
    ffmpeg: Vec<String>,
    /// Rendition files uploaded by then.
    uploaded: Vec<String>,
}

/// Polls until the first rendition update arrives, then records what is going on.
async fn first_report(fake: &FakeInstance, work: &Path) -> FirstReport {
    for _ in 0..6000 {
        {
            let world = fake.world();
            if let Some(rendition) = world.updates.iter().find_map(|u| u.get("rendition")) {
                let uploaded = world.stored.keys().filter(|k| k.ends_with(".mp4")).cloned().collect();
                return FirstReport {
                    resolution: rendition["resolution"].as_u64().expect("resolution"),
                    ffmpeg: processes_using(work),
                    uploaded,
                };
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no rendition was reported within a minute");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lowest_rendition_is_published_while_the_rest_of_the_ladder_encodes() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let fake = FakeInstance::start().await;
    fake.add_job(input, &[480, 360, 240], true);
    let dirs = dirs();
    let config = config(&fake, &dirs);
    assert!(config.lowest_first);
    let (_shutdown, shutdown_requested) = watch::channel(None);
    let runner = tokio::spawn(async move { run(&config, ProgressDisplay::Logs, shutdown_requested).await });

    let first = first_report(&fake, &dirs.work).await;
    assert_eq!(first.resolution, 240);
    // The ladder pass (one decode, split to the three other renditions) is still encoding.
    let ladder: Vec<&String> = first.ffmpeg.iter().filter(|c| c.contains("split=3")).collect();
    assert_eq!(ladder.len(), 1, "{:?}", first.ffmpeg);
    for resolution in ["720", "480", "360"] {
        assert!(ladder[0].contains(&format!("-{resolution}-fragmented.mp4")), "{}", ladder[0]);
    }
    assert!(!ladder[0].contains("-240-"), "{}", ladder[0]);
    assert!(first.uploaded.iter().all(|k| k.ends_with("-240-fragmented.mp4")), "{:?}", first.uploaded);

    let result = tokio::time::timeout(Duration::from_secs(300), runner).await.expect("finishes");
    assert!(result.expect("joins").is_ok(), "the job succeeds");
    let world = fake.world();
    assert_eq!(world.job_state, Some(JobState::Completed));
    let renditions: Vec<&Value> = world.updates.iter().filter_map(|u| u.get("rendition")).collect();
    let resolutions: Vec<u64> = renditions.iter().filter_map(|r| r["resolution"].as_u64()).collect();
    assert_eq!(resolutions, [240, 360, 480, 720], "each once, smallest first");

    // The master the instance writes from these reports lists every rendition.
    let master: Vec<MasterRendition> = renditions
        .iter()
        .map(|r| {
            let file = r["file"].as_str().expect("file");
            assert!(world.complete.contains(&format!("hls/{file}")), "{file}");
            assert_eq!(r["size"].as_u64(), Some(world.stored[&format!("hls/{file}")].len() as u64));
            let playlist = r["playlist"].as_str().expect("playlist");
            assert!(world.complete.contains(&format!("hls/{playlist}")), "{playlist}");
            let hashes =
                SegmentHashes::parse(&json!({ file: r["segmentsSha256"] }).to_string()).expect("parses");
            assert!(hashes.verify(file, &world.stored[&format!("hls/{file}")]).is_empty(), "{file}");
            let number = |key: &str| r[key].as_u64().expect(key);
            MasterRendition {
                uri: playlist.to_owned(),
                width: number("width") as u32,
                height: number("height") as u32,
                fps: number("fps") as u32,
                size: number("size"),
                codecs: r["codecs"].as_str().expect("codecs").to_owned(),
            }
        })
        .collect();
    let master = master_playlist(&master, 5);
    for size in ["426x240", "640x360", "854x480", "1280x720"] {
        assert_eq!(master.matches(&format!("RESOLUTION={size},")).count(), 1, "{master}");
    }
    assert!(is_empty_dir(&dirs.work), "the job's files are removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_input_is_reported_with_error_after_registering_again() {
    let fake = FakeInstance::start().await;
    fake.add_job(b"this is not a video ".repeat(500), &[240], false);
    let dirs = dirs();
    // A token from an earlier life of the instance: answered 401, so the runner registers again.
    let stale = RunnerState {
        url: fake.origin(),
        runner_id: Some(9),
        runner_token: "ptrt-stale".into(),
        name: "test-runner".into(),
    };
    runner_state::save(&dirs.state, &stale).expect("saves");
    let (_shutdown, shutdown_requested) = watch::channel(None);
    // The terminal display, drawn nowhere: its calls must not disturb the job.
    let bars = ProgressDisplay::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::hidden()));

    let result = run(&config(&fake, &dirs), bars, shutdown_requested).await;

    let Err(RunnerError::JobFailed { message, .. }) = result else { panic!("the job fails: {result:?}") };
    assert!(
        message.contains("cannot transcode the input") && message.contains("not a readable video"),
        "{message}"
    );
    let world = fake.world();
    assert_eq!(world.errors, std::slice::from_ref(&message));
    assert_eq!(world.registrations.len(), 1);
    let state = runner_state::load(&dirs.state).expect("state").expect("stored");
    assert_eq!(state.runner_token, world.runner_tokens[0]);
    assert!(world.success.is_none());
    assert!(is_empty_dir(&dirs.work));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_given_away_is_dropped_without_reporting() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let fake = FakeInstance::start().await;
    fake.add_job(input, &[720, 480, 360, 240], true);
    // Once the video facts arrive (probed), the job is someone else's while ffmpeg encodes, and
    // the next beat learns it.
    fake.world().faults.gone_after_video_facts = true;
    let dirs = dirs();
    let (_shutdown, shutdown_requested) = watch::channel(None);

    let result = run(&config(&fake, &dirs), ProgressDisplay::Logs, shutdown_requested).await;

    assert!(matches!(result, Err(RunnerError::JobGone { .. })), "{result:?}");
    {
        let world = fake.world();
        assert!(world.updates.last().and_then(|u| u.get("video")).is_some(), "{:?}", world.updates);
        assert!(world.success.is_none() && world.errors.is_empty() && world.aborts.is_empty());
        assert!(world.complete.is_empty(), "nothing was published");
    }
    assert!(is_empty_dir(&dirs.work));
    assert_no_process_uses(&dirs.work).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shutdown_during_a_job_aborts_it() {
    let Some(input) = fixture("big-buck-bunny-720p-5s.mp4") else { return };
    let fake = FakeInstance::start().await;
    fake.add_job(input, &[720, 480, 360, 240], true);
    let dirs = dirs();
    let mut config = config(&fake, &dirs);
    config.once = false;
    let (shutdown, shutdown_requested) = watch::channel(None);
    let runner = tokio::spawn(async move { run(&config, ProgressDisplay::Logs, shutdown_requested).await });

    // Once the video facts arrive the input is probed and ffmpeg is at work.
    tokio::time::timeout(Duration::from_secs(30), async {
        while !fake.world().updates.iter().any(|u| u.get("video").is_some()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the job starts");
    shutdown.send_replace(Some("the runner received SIGTERM and is shutting down".into()));
    let result = tokio::time::timeout(Duration::from_secs(10), runner).await.expect("stops promptly");
    assert!(result.expect("joins").is_ok());

    {
        let world = fake.world();
        assert_eq!(world.aborts, ["the runner received SIGTERM and is shutting down"]);
        assert_eq!(world.job_state, Some(JobState::Pending));
        assert!(world.success.is_none());
    }
    assert!(is_empty_dir(&dirs.work));
    assert_no_process_uses(&dirs.work).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn run_once_exits_non_zero_when_registration_is_refused() {
    let fake = FakeInstance::start().await;
    let dirs = dirs();
    let output = runner_binary()
        .args(["run", "--once", "--url", &fake.origin(), "--registration-token", "ptrrt-wrong"])
        .arg("--state-dir")
        .arg(&dirs.state)
        .arg("--work-dir")
        .arg(&dirs.work)
        .output()
        .await
        .expect("the runner runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown registration token"), "{stderr}");
    assert!(!dirs.state.join(runner_state::STATE_FILE).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn run_without_any_token_explains_what_is_missing() {
    let fake = FakeInstance::start().await;
    let dirs = dirs();
    let mut config = config(&fake, &dirs);
    config.registration_token = None;
    let (_shutdown, shutdown_requested) = watch::channel(None);
    let result = run(&config, ProgressDisplay::Logs, shutdown_requested).await;
    assert!(matches!(result, Err(RunnerError::NoRegistrationToken { .. })), "{result:?}");
}
