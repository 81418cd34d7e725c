//! The web pages in Debian's Chromium (driven by npm `playwright-core`) against the real worker
//! under `wrangler dev` and the real runner: a person signs up, logs out and in, uploads the 5 s
//! fixture through the upload page while the connection drops once mid-upload, waits for
//! publication, plays the video to its end on the watch page, switches quality, comments and
//! likes; the embed autoplays in an iframe of another origin; every page is then screenshotted at desktop and phone sizes
//! (`target/browser-screenshots/pages/`), with no console error on any of them; last, the
//! edit page renames the video and deletes it.
//!
//! The browser part is `tests/browser/pages.mjs`; it reports what it saw and this test judges it.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use edgetube_e2e::{repo_root, run_with_timeout, shared_dir, Instance, RunnerProcess};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_up_uploads_watches_comments_and_likes_in_chromium() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "SIGNUP_OPEN:true")]).await?;
    let _runner = RunnerProcess::start(&instance, "runner-pages", &[])?;
    let shots = repo_root().join("target/browser-screenshots/pages");
    let fixture = shared_dir().join("fixtures/video/big-buck-bunny-720p-5s.mp4");
    let output = tokio::task::spawn_blocking({
        let (origin, shots, fixture) = (instance.origin.clone(), shots.clone(), fixture.clone());
        move || {
            run_with_timeout(
                "node",
                &[
                    "tests/browser/pages.mjs",
                    &origin,
                    shots.to_str().unwrap_or_default(),
                    fixture.to_str().unwrap_or_default(),
                ],
                Duration::from_secs(480),
            )
        }
    })
    .await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) else {
        bail!(
            "the browser run did not finish.\nstdout:\n{stdout}\nstderr:\n{stderr}\ninstance:\n{}",
            instance.log_tail()
        );
    };
    let r: Value = serde_json::from_str(line).context("RESULT line")?;
    eprintln!("{}", serde_json::to_string_pretty(&r)?);

    assert_eq!(r["signedUpAs"], "alice", "signing up logs in");
    assert_eq!(r["loggedOutShowsLogin"], true);
    assert_eq!(r["loggedInAs"], "alice", "the login page logs in");

    // The upload: the progress bar moved through several values up to 100, and the chunk whose
    // connection was dropped was resumed instead of restarting the upload.
    assert_eq!(r["dropped"], true, "the test dropped one chunk's connection");
    let progress: Vec<f64> =
        r["progress"].as_array().context("progress")?.iter().filter_map(Value::as_f64).collect();
    let distinct: std::collections::BTreeSet<i64> = progress.iter().map(|p| *p as i64).collect();
    assert!(distinct.len() >= 3, "the progress bar moved: {progress:?}");
    assert_eq!(progress.last().copied(), Some(100.0), "it ends full: {progress:?}");
    assert!(progress.windows(2).all(|w| w[1] >= w[0]), "it never went back: {progress:?}");
    let puts = r["uploadPuts"].as_u64().context("uploadPuts")?;
    assert!((5..=8).contains(&puts), "5 chunks of 256 KiB plus the dropped one, not a restart: {puts}");

    // Playback: to the end, in a second quality.
    let (played, duration) =
        (r["playedTo"].as_f64().context("playedTo")?, r["duration"].as_f64().context("duration")?);
    assert!(duration > 4.0 && played >= duration - 0.5, "played {played} of {duration}");
    assert!(r["levels"].as_array().is_some_and(|l| l.len() >= 2), "several qualities: {}", r["levels"]);
    assert_eq!(r["qualitySwitchedTo"], r["qualityTarget"], "the quality switch took effect");

    // The comment and the like, in the page and through the API.
    assert_eq!(r["apiComments"], serde_json::json!(["A comment from the browser"]));
    assert_eq!(r["commentAfterReload"], true);
    assert_eq!(r["likesShown"], "1");
    assert_eq!(r["apiLikes"], 1);

    for (page, status) in r["pageStatus"].as_object().context("pageStatus")? {
        assert_eq!(status, 200, "{page} answered {status}");
    }
    assert_eq!(r["searchFound"], true, "the search page finds the video");
    assert_eq!(r["myVideosListed"], true, "my videos lists it");
    assert_eq!(r["apiNameAfterEdit"], "Renamed in the browser", "the edit page saves");
    assert_eq!(r["apiStatusAfterDelete"], 404, "the edit page deletes");
    assert_eq!(r["firstTab"], "Skip to content", "the keyboard reaches the skip link first");
    assert_eq!(r["consoleErrors"], serde_json::json!([]), "no console errors");
    let shots_taken = r["screenshots"].as_array().context("screenshots")?;
    assert!(
        r["embedPlayedInForeignFrame"].as_f64().is_some_and(|t| t > 1.0),
        "the embed autoplays in another origin's iframe"
    );
    assert_eq!(shots_taken.len(), 24, "11 pages at two sizes, the upload and the framed embed");
    for name in shots_taken {
        let file = shots.join(name.as_str().unwrap_or_default());
        let size = std::fs::metadata(&file).with_context(|| format!("{file:?}"))?.len();
        assert!(size > 5_000, "{file:?} is a real screenshot ({size} bytes)");
    }
    Ok(())
}
