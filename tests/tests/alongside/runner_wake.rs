//! Runners that wait without polling, end to end, with the real `transcode-runner`: on the
//! Worker under wrangler dev a Durable Object holds the runner's hibernatable WebSocket; on the
//! Spin component (`EDGETUBE_E2E_PLATFORM=spin`), which has no such place, the runner's
//! `jobs/request` is held open instead (a long poll).
//!
//! An idle runner waiting for `EDGETUBE_E2E_RUNNER_IDLE_SECONDS` (600 by default, as the
//! acceptance asks; 60 is enough while developing) makes at most 20 HTTP requests, counted on
//! the instance's side from its request log (a runner polling every second would make one per
//! second there); then a video uploaded starts transcoding within 2 s of its upload's answer
//! (the job's `startedAt`, written by `accept`, minus the instant the upload answered). A
//! waiting runner also takes over the job of a runner that died once that job is stale (woken
//! by the Durable Object's alarm, or found by its held request), not minutes later by a safety
//! poll.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use edgetube_domain::parse_iso8601_millis;
use edgetube_e2e::{shared_dir, Instance, RunnerProcess};
use serde_json::Value;

const ADMIN_PASSWORD: &str = "e2e-admin-password";
/// The acceptance's bounds.
const MAX_IDLE_REQUESTS: usize = 20;
const MAX_START_LATENCY_MS: i64 = 2_000;

fn idle_window() -> Duration {
    let seconds = std::env::var("EDGETUBE_E2E_RUNNER_IDLE_SECONDS").ok().and_then(|s| s.parse().ok());
    Duration::from_secs(seconds.unwrap_or(600))
}

/// The runners' requests the instance answered, from its request log (wrangler dev's
/// `[wrangler:info] GET /path 200 OK (3ms)`, the Spin harness's `GET /path 200 (3ms)`), after
/// the first `skip` bytes. Only runner routes count: on Spin the cron trigger's ticks reach
/// the same log.
fn request_lines(instance: &Instance, skip: usize) -> Vec<String> {
    let log = std::fs::read_to_string(instance.request_log()).unwrap_or_default();
    log.get(skip..)
        .unwrap_or_default()
        .lines()
        .filter(|line| {
            ["GET /", "POST /", "PUT /", "DELETE /", "HEAD /", "PATCH /", "OPTIONS /"]
                .iter()
                .any(|method| line.contains(&format!("{method}api/v1/runners/")))
        })
        .map(str::to_owned)
        .collect()
}

fn log_len(instance: &Instance) -> usize {
    std::fs::metadata(instance.request_log()).map_or(0, |m| m.len() as usize)
}

/// What the runner logs once it waits for jobs without polling: on the wait socket, or with
/// long polls where the instance has none (Spin).
const WAITING: &str = "waiting for jobs";

/// Waits (bounded) until the runner's log says `needle`.
async fn runner_logged(runner: &RunnerProcess, needle: &str, limit: Duration) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if runner.log().contains(needle) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("the runner did not log {needle:?} within {limit:?}; its log:\n{}", runner.log())
}

/// The legacy one-request upload of the 5 s fixture; answers once the original is stored.
async fn upload(instance: &Instance, token: &str) -> Result<String> {
    upload_file(instance, token, &shared_dir().join("fixtures/video/big-buck-bunny-720p-5s.mp4")).await
}

/// The legacy one-request upload of `file`; its video's UUID.
async fn upload_file(instance: &Instance, token: &str, file: &std::path::Path) -> Result<String> {
    let client = reqwest::Client::new();
    let me: Value =
        client.get(instance.url("/api/v1/users/me")).bearer_auth(token).send().await?.json().await?;
    let channel = me["videoChannels"][0]["id"].as_i64().context("no channel")?;
    let bytes = std::fs::read(file)?;
    let form = reqwest::multipart::Form::new()
        .text("name", "Woken")
        .text("channelId", channel.to_string())
        .text("privacy", "1")
        .part("videofile", reqwest::multipart::Part::bytes(bytes).file_name("bunny.mp4"));
    let response =
        client.post(instance.url("/api/v1/videos/upload")).bearer_auth(token).multipart(form).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    ensure!(status.is_success(), "upload answered {status}: {body}");
    body["video"]["uuid"].as_str().map(str::to_owned).context("no uuid")
}

/// The video's job once a runner accepted it (bounded wait).
async fn started_job(instance: &Instance, admin: &str, uuid: &str, limit: Duration) -> Result<Value> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < limit {
        let jobs: Value = client
            .get(instance.url("/api/v1/runners/jobs?count=100"))
            .bearer_auth(admin)
            .send()
            .await?
            .json()
            .await?;
        let job = jobs["data"].as_array().into_iter().flatten().find(|j| j["payload"]["videoUUID"] == uuid);
        if let Some(job) = job.filter(|j| j["startedAt"].is_string()) {
            return Ok(job.clone());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("no runner accepted the job of {uuid} within {limit:?}")
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_runner_makes_few_requests_and_a_new_upload_starts_within_two_seconds() -> Result<()> {
    let instance = Instance::start().await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let runner = RunnerProcess::start(&instance, "waiting-runner", &[])?;
    runner_logged(&runner, WAITING, Duration::from_secs(60)).await?;
    // Let the connect-time request land before the window opens.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let window = idle_window();
    let from = log_len(&instance);
    tokio::time::sleep(window).await;
    let idle = request_lines(&instance, from);
    eprintln!("{} requests reached the instance in {window:?} of an idle runner:", idle.len());
    for line in &idle {
        eprintln!("  {line}");
    }
    ensure!(
        idle.len() <= MAX_IDLE_REQUESTS,
        "{} requests in {window:?} of idle (at most {MAX_IDLE_REQUESTS}):\n{}",
        idle.len(),
        idle.join("\n")
    );
    ensure!(
        !runner.log().contains("polling for jobs instead"),
        "the runner fell back to polling:\n{}",
        runner.log()
    );

    let uuid = upload(&instance, &admin).await?;
    let uploaded_at = now_millis();
    let job = started_job(&instance, &admin, &uuid, Duration::from_secs(30)).await?;
    let started_at = job["startedAt"].as_str().and_then(parse_iso8601_millis).context("startedAt")?;
    let latency = started_at - uploaded_at;
    eprintln!("job accepted {latency} ms after the upload answered");
    ensure!(
        latency <= MAX_START_LATENCY_MS,
        "the job started {latency} ms after the upload (at most {MAX_START_LATENCY_MS}); runner log:\n{}",
        runner.log()
    );
    Ok(())
}

/// A runner told to poll (`--wait false`, what every runner did before) is what the idle bound
/// rules out: the same count over a few seconds shows about one request a second. And the wait
/// route refuses a stranger with a problem document, not a socket.
#[tokio::test(flavor = "multi_thread")]
async fn a_polling_runner_is_what_the_count_catches() -> Result<()> {
    let instance = Instance::start().await?;
    let refused = reqwest::Client::new()
        .get(instance.url("/api/v1/runners/jobs/wait"))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("x-runner-token", "ptrt-00000000-0000-0000-0000-000000000000")
        .send()
        .await?;
    ensure!(refused.status() == 401, "a stranger's wait answered {}", refused.status());
    let kind = refused.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    ensure!(kind.starts_with("application/problem+json"), "not a problem document: {kind}");

    let runner = RunnerProcess::start(&instance, "polling-runner", &["--wait", "false"])?;
    runner_logged(&runner, "taking jobs", Duration::from_secs(60)).await?;
    let from = log_len(&instance);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let polls =
        request_lines(&instance, from).iter().filter(|l| l.contains("/api/v1/runners/jobs/request")).count();
    ensure!(polls >= 5, "only {polls} polls counted in 10 s: the count would miss a polling runner");
    Ok(())
}

/// Runner A holds a long job with a heartbeat every second (never stale while it lives); runner B
/// connects meanwhile and finds nothing to take. A is killed: on the Worker its socket closes and
/// the room's alarm fires `RUNNER_JOB_STALE_SECONDS` (5 s) later; on Spin B's held request finds
/// the job once stale. Either way B accepts the job well before a 5-minute safety poll could.
#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_runner_takes_over_a_dead_runners_job_when_it_is_stale() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "RUNNER_JOB_STALE_SECONDS:5")]).await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let dir = tempfile::tempdir()?;
    let long = dir.path().join("long.mp4");
    let source = shared_dir().join("fixtures/video/big-buck-bunny-720p-5s.mp4");
    let looped = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-stream_loop", "5", "-i"])
        .arg(&source)
        .args(["-c", "copy"])
        .arg(&long)
        .status()?;
    ensure!(looped.success(), "ffmpeg could not loop the fixture");

    let mut doomed = RunnerProcess::start(&instance, "doomed", &["--threads", "1", "--heartbeat", "1s"])?;
    runner_logged(&doomed, WAITING, Duration::from_secs(60)).await?;
    let uuid = upload_file(&instance, &admin, &long).await?;
    runner_logged(&doomed, "job accepted", Duration::from_secs(60)).await?;
    let survivor = RunnerProcess::start(&instance, "survivor", &[])?;
    runner_logged(&survivor, WAITING, Duration::from_secs(60)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    ensure!(
        !survivor.log().contains("job accepted"),
        "the survivor took a live runner's job:\n{}",
        survivor.log()
    );

    doomed.kill();
    let killed = Instant::now();
    runner_logged(&survivor, "job accepted", Duration::from_secs(60)).await?;
    let took = killed.elapsed();
    eprintln!("the survivor accepted the dead runner's job {took:?} after the kill");
    // Stale after 5 s, the alarm a second later; the safety poll would be 300 s.
    ensure!(took < Duration::from_secs(30), "took over only after {took:?}");
    let job = started_job(&instance, &admin, &uuid, Duration::from_secs(5)).await?;
    ensure!(job["state"]["id"] == 2, "the job is processing again: {job}");
    Ok(())
}
