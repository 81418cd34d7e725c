//! A Spin instance whose host is killed (SIGKILL, no shutdown: a crash or an evicted pod) in the
//! middle of its work, then restarted over the same state, loses nothing: not the job of an
//! acknowledged upload, not a transcoding job a runner holds, not an activity whose delivery was
//! in flight. Spin has no queues, so this is the SQL outbox's promise (`functions/spin/src/outbox.rs`:
//! a message stays a row until settled; a dead drainer's lease expires and the next drain runs it).
//!
//! S is the Spin instance (the uploader, with the real runner transcoding into its S3 server);
//! R is a Worker under `wrangler dev` that subscribes to S's channel, so S's video also crosses
//! from a Spin instance to a Cloudflare one. One scenario: each step builds on the previous one.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use edgetube_e2e::{eventually, shared_dir, Instance, Platform, RunnerProcess};
use serde_json::{json, Value};

/// S's outbox lease is short here (default 120 s) so the message a killed drainer held runs again
/// soon; federation retries start at one second.
const S_VARS: [(&str, &str); 1] =
    [("EDGETUBE_VARS", "FEDERATION_RETRY_BASE_SECONDS:1 OUTBOX_LEASE_SECONDS:15")];
const R_VARS: [(&str, &str); 1] = [("EDGETUBE_VARS", "FEDERATION_RETRY_BASE_SECONDS:1")];

/// The rows of S's outbox (`job_outbox` in the harness's `default.db`): (type, leased, dead).
fn outbox(instance: &Instance) -> Result<Vec<(String, bool, bool)>> {
    let db = rusqlite::Connection::open_with_flags(
        instance.state_dir().join("default.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    db.busy_timeout(Duration::from_secs(5))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let mut statement = db.prepare("SELECT message, leased_until, dead_at FROM job_outbox ORDER BY id")?;
    let rows = statement.query_map([], |row| {
        let message: String = row.get(0)?;
        let leased: Option<i64> = row.get(1)?;
        let dead: Option<i64> = row.get(2)?;
        Ok((message, leased.is_some_and(|until| until > now), dead.is_some()))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (message, leased, dead) = row?;
        let kind: Value = serde_json::from_str(&message)?;
        out.push((kind["type"].as_str().unwrap_or("?").to_owned(), leased, dead));
    }
    Ok(out)
}

async fn get(instance: &Instance, token: &str, path: &str) -> Result<Value> {
    let response = reqwest::Client::new().get(instance.url(path)).bearer_auth(token).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    ensure!(status.is_success(), "GET {path}: {status} {body}");
    Ok(body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spin_host_killed_mid_job_and_mid_delivery_loses_nothing() -> Result<()> {
    let mut s = Instance::start_on(Platform::Spin, &S_VARS).await?;
    let mut r = Instance::start_on(Platform::Cloudflare, &R_VARS).await?;
    let runner = RunnerProcess::start(&s, "runner-s", &[])?;
    let admin_s = s.login("root", &s.admin_password()?).await?;
    let admin_r = r.login("root", &r.admin_password()?).await?;
    let channel = format!("root_channel@127.0.0.1:{}", s.port);
    let client = reqwest::Client::new();

    // R subscribes to S's channel; S accepts.
    let answer = client
        .post(r.url("/api/v1/users/me/subscriptions"))
        .bearer_auth(&admin_r)
        .json(&json!({"uri": channel}))
        .send()
        .await?;
    ensure!(answer.status() == 204, "subscribe: {} {}", answer.status(), answer.text().await?);
    eventually("S's Accept on R", Duration::from_secs(60), || async {
        let exist =
            get(&r, &admin_r, &format!("/api/v1/users/me/subscriptions/exist?uris={channel}")).await?;
        Ok((exist[&channel] == true).then_some(()))
    })
    .await?;

    // 1. Killed the moment the upload is acknowledged: its storage event is a row (or already
    //    a job), so after the restart the job is made and a runner takes it.
    let bunny = shared_dir().join("fixtures/video/big-buck-bunny-720p-5s.mp4");
    let uuid = s.upload_video(&admin_s, &bunny, "Crash-proof bunny").await?;
    s.kill();
    let left = outbox(&s)?;
    println!("killed S right after the upload was acknowledged; its outbox held {left:?}");
    s.restart().await?;
    let admin_s = s.login("root", &s.admin_password()?).await?;

    // 2. Killed while the runner transcodes: the job is a row the runner still holds; the runner
    //    retries its calls until S answers again, and the job ends published.
    eventually("the runner to be transcoding", Duration::from_secs(120), || async {
        let job = s.runner_job_of(&admin_s, &uuid).await?;
        Ok(job.filter(|j| j["state"]["id"] == 2).map(|_| ()))
    })
    .await?;
    s.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.restart().await?;
    let admin_s = s.login("root", &s.admin_password()?).await?;
    let details = s.wait_published(Some(&admin_s), &uuid, Duration::from_secs(300), || runner.log()).await?;
    let resolutions = details["streamingPlaylists"][0]["files"].as_array().map_or(0, Vec::len);
    ensure!(resolutions >= 1, "published without files: {details}");
    let job = s.runner_job_of(&admin_s, &uuid).await?.context("no job")?;
    ensure!(job["state"]["id"] == 3, "the job after two crashes: {job}");
    println!("published on S after two crashes; the job: {}", job["state"]);
    // Spin cannot host the WebTorrent tracker: its videos name none, so players stay on HTTP.
    ensure!(details["trackerUrls"] == json!([]), "a Spin video names a tracker: {}", details["trackerUrls"]);
    let config = get(&s, &admin_s, "/api/v1/config").await?;
    ensure!(config["tracker"]["enabled"] == false, "{}", config["tracker"]);

    // The video crosses from the Spin instance to the Worker, with S's playlist.
    eventually("S's video on R with its playlist", Duration::from_secs(120), || async {
        let video = get(&r, &admin_r, &format!("/api/v1/videos/{uuid}")).await?;
        let url = video["streamingPlaylists"][0]["playlistUrl"].as_str().unwrap_or_default();
        Ok((video["isLocal"] == false && url.starts_with(&s.origin)).then_some(()))
    })
    .await?;

    // 3. Killed mid-delivery: R hangs (frozen), S renames the video and starts delivering the
    //    Update to R; S is killed while its drainer holds that message, and R too, so the
    //    request in flight is lost on both sides. Both restart; the Update arrives.
    let settled = eventually("S's outbox to be empty", Duration::from_secs(60), || async {
        let rows = outbox(&s)?;
        Ok(rows.iter().all(|(_, _, dead)| *dead).then_some(rows))
    })
    .await?;
    ensure!(settled.is_empty(), "dead letters on S: {settled:?}");
    r.pause()?;
    let renamed = "Renamed while R hung";
    let answer = client
        .put(s.url(&format!("/api/v1/videos/{uuid}")))
        .bearer_auth(&admin_s)
        .json(&json!({"name": renamed}))
        .send()
        .await?;
    ensure!(answer.status() == 204, "rename: {} {}", answer.status(), answer.text().await?);
    let in_flight = eventually("S's drainer to hold the delivery", Duration::from_secs(9), || async {
        let rows = outbox(&s)?;
        Ok(rows.iter().any(|(kind, leased, _)| kind == "deliver" && *leased).then_some(rows))
    })
    .await?;
    s.kill();
    r.kill();
    println!("killed S mid-delivery; its outbox held {in_flight:?}");
    let killed_at = Instant::now();
    r.restart().await?;
    s.restart().await?;
    let admin_r = r.login("root", &r.admin_password()?).await?;
    eventually("the Update on R", Duration::from_secs(120), || async {
        let video = get(&r, &admin_r, &format!("/api/v1/videos/{uuid}")).await?;
        Ok((video["name"] == renamed).then_some(()))
    })
    .await?;
    println!("the Update reached R {:.1} s after the kill", killed_at.elapsed().as_secs_f64());
    let rows = eventually("S's outbox to be empty again", Duration::from_secs(60), || async {
        let rows = outbox(&s)?;
        Ok(rows.iter().all(|(_, _, dead)| *dead).then_some(rows))
    })
    .await?;
    ensure!(rows.is_empty(), "dead letters on S: {rows:?}");
    Ok(())
}
