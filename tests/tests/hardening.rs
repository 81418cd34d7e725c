//! The security review's findings, checked against the real worker under `wrangler dev`: one
//! instance shared by every check, so the suite costs one start.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use edgetube_e2e::Instance;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ADMIN_PASSWORD: &str = "e2e-admin-password";

/// Seconds without a heartbeat after which a job goes to another runner.
const STALE_SECONDS: u64 = 3;

#[tokio::test(flavor = "multi_thread")]
async fn the_review_findings_stay_closed() -> Result<()> {
    let vars = format!("RUNNER_JOB_STALE_SECONDS:{STALE_SECONDS}");
    let instance = Instance::start_with(&[("EDGETUBE_VARS", vars.as_str())]).await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let checks = async {
        eprintln!("finding 1: unauthenticated chunks");
        unauthenticated_chunks_are_refused_while_they_are_sent(&instance, &admin).await?;
        eprintln!("finding 2: a stale runner");
        a_stale_runner_cannot_touch_its_successors_job(&instance, &admin).await?;
        eprintln!("findings 4, 5 and 8: bounded lists, password guessing on media, headers");
        password_guessing_on_media_is_limited(&instance, &admin).await
    };
    let result = match tokio::time::timeout(Duration::from_secs(300), checks).await {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!("the checks did not finish within 300 s")),
    };
    result.with_context(|| format!("instance log:\n{}", instance.log_tail()))
}

/// An HTTP client whose every call is bounded.
fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default()
}

/// Bytes stored by the local R2 (its blobs), to see that a refused request wrote nothing.
fn stored_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            total += stored_bytes(&path);
        } else {
            total += entry.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

/// Finding 1: a chunk route answers an unknown caller from the headers, while the client is
/// still sending a 60 MB body slowly, and nothing of it is stored.
async fn unauthenticated_chunks_are_refused_while_they_are_sent(
    instance: &Instance,
    admin: &str,
) -> Result<()> {
    let client = client();
    let me: Value =
        client.get(instance.url("/api/v1/users/me")).bearer_auth(admin).send().await?.json().await?;
    let channel = me["videoChannels"][0]["id"].as_i64().context("no channel")?;
    let init = client
        .post(instance.url("/api/v1/videos/upload-resumable"))
        .bearer_auth(admin)
        .header("x-upload-content-length", "60000000")
        .json(&json!({"channelId": channel, "name": "Slow chunk", "filename": "slow.mp4"}))
        .send()
        .await?;
    ensure!(init.status() == 201, "init answered {}", init.status());
    let location = init.headers()["location"].to_str()?.to_owned();
    let path = location.trim_start_matches(&format!("//127.0.0.1:{}", instance.port)).to_owned();

    let r2 = instance.state_dir().join("v3/r2");
    let before = stored_bytes(&r2);
    for (route, headers) in [
        (path.as_str(), String::new()),
        (path.as_str(), "Authorization: Bearer not-a-token\r\n".to_owned()),
        (
            "/api/v1/runners/jobs/unknown-job/files/upload/hls/0.m3u8",
            "X-Runner-Token: ptrt-guess\r\nX-Job-Token: ptrjt-guess\r\n".to_owned(),
        ),
    ] {
        let (status, sent) = slow_put(instance.port, route, &headers, 60_000_000).await?;
        ensure!(status == 401, "PUT {route} with {headers:?} answered {status}");
        ensure!(sent < 30_000_000, "the answer came only after {sent} bytes were sent");
    }
    let after = stored_bytes(&r2);
    ensure!(after < before + 1_000_000, "storage grew from {before} to {after} bytes");

    // The session the slow chunks named still holds no byte.
    let offset = client
        .put(instance.url(&path))
        .bearer_auth(admin)
        .header("content-range", "bytes */60000000")
        .send()
        .await?;
    ensure!(offset.status() == 308, "offset query answered {}", offset.status());
    ensure!(offset.headers().get("range").is_none(), "bytes were recorded: {:?}", offset.headers());
    Ok(())
}

/// Sends `PUT route` announcing `length` bytes and sends them slowly (64 KiB every 20 ms) until
/// an answer arrives; the answer's status and how many bytes had been sent by then.
async fn slow_put(port: u16, route: &str, headers: &str, length: u64) -> Result<(u16, u64)> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await?;
    let head = format!(
        "PUT {route} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {length}\r\nContent-Range: bytes 0-{}/{length}\r\n{headers}\r\n",
        length - 1
    );
    socket.write_all(head.as_bytes()).await?;
    let (mut reader, mut writer) = socket.into_split();
    let piece = vec![0x5a_u8; 64 * 1024];
    let mut sent = 0u64;
    let mut answer = Vec::new();
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(60) {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => continue,
            read = reader.read(&mut buffer) => {
                let n = read?;
                answer.extend_from_slice(&buffer[..n]);
                if n == 0 || answer.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            written = async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                writer.write_all(&piece).await
            }, if sent < length => {
                if written.is_err() {
                    // The server closed its side after answering: read the answer.
                    continue;
                }
                sent += piece.len() as u64;
            }
        }
    }
    let line = String::from_utf8_lossy(&answer);
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    match status {
        Some(status) => Ok((status, sent)),
        None => bail!("no answer after {sent} bytes in {:?}: {line:?}", started.elapsed()),
    }
}

/// The runner protocol's JSON call.
async fn runner_call(instance: &Instance, path: &str, body: Value) -> Result<(u16, Value)> {
    let response = client().post(instance.url(path)).json(&body).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

async fn register_runner(instance: &Instance, name: &str) -> Result<String> {
    let token = instance.runner_registration_token()?;
    let (status, body) =
        runner_call(instance, "/api/v1/runners/register", json!({"registrationToken": token, "name": name}))
            .await?;
    ensure!(status == 200, "register answered {status}: {body}");
    body["runnerToken"].as_str().map(str::to_owned).context("no runnerToken")
}

/// Asks for work until `uuid` is offered, then accepts it; the job token.
async fn take_job(instance: &Instance, runner: &str, uuid: &str) -> Result<String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let (_, offered) =
            runner_call(instance, "/api/v1/runners/jobs/request", json!({"runnerToken": runner})).await?;
        let listed = offered["availableJobs"].as_array().into_iter().flatten().any(|j| j["uuid"] == uuid);
        if listed {
            let (status, accepted) = runner_call(
                instance,
                &format!("/api/v1/runners/jobs/{uuid}/accept"),
                json!({"runnerToken": runner}),
            )
            .await?;
            ensure!(status == 200, "accept answered {status}: {accepted}");
            return accepted["job"]["jobToken"].as_str().map(str::to_owned).context("no jobToken");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("job {uuid} was never offered")
}

/// Finding 2: once a job went to another runner, the first runner's late calls are refused and
/// change nothing of the new holder's job.
async fn a_stale_runner_cannot_touch_its_successors_job(instance: &Instance, admin: &str) -> Result<()> {
    let client = client();
    let me: Value =
        client.get(instance.url("/api/v1/users/me")).bearer_auth(admin).send().await?.json().await?;
    let channel = me["videoChannels"][0]["id"].as_i64().context("no channel")?;
    // Any bytes make a job: the storage event does not look inside the file.
    let form = reqwest::multipart::Form::new()
        .text("name", "Reassigned")
        .text("channelId", channel.to_string())
        .part("videofile", reqwest::multipart::Part::bytes(vec![7u8; 50_000]).file_name("clip.mp4"));
    let uploaded: Value = client
        .post(instance.url("/api/v1/videos/upload"))
        .bearer_auth(admin)
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    let video = uploaded["video"]["uuid"].as_str().context("no video uuid")?.to_owned();
    let started = Instant::now();
    let job = loop {
        if let Some(job) = instance.runner_job_of(admin, &video).await? {
            break job;
        }
        ensure!(started.elapsed() < Duration::from_secs(30), "no job for {video}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let uuid = job["uuid"].as_str().context("no job uuid")?.to_owned();

    let first = register_runner(instance, "first").await?;
    let second = register_runner(instance, "second").await?;
    let first_job_token = take_job(instance, &first, &uuid).await?;
    tokio::time::sleep(Duration::from_secs(STALE_SECONDS + 1)).await;
    let second_job_token = take_job(instance, &second, &uuid).await?;
    let (status, body) = runner_call(
        instance,
        &format!("/api/v1/runners/jobs/{uuid}/update"),
        json!({"runnerToken": second, "jobToken": second_job_token, "progress": 42}),
    )
    .await?;
    ensure!(status == 204, "the holder's update answered {status}: {body}");

    let late = json!({"runnerToken": first, "jobToken": first_job_token});
    for (call, extra) in [
        ("update", json!({"progress": 99})),
        ("success", json!({"payload": {"thumbnail": "t.jpg", "preview": "p.jpg"}})),
        ("error", json!({"message": "late failure"})),
        ("abort", json!({})),
    ] {
        let mut body = late.clone();
        body.as_object_mut().context("object")?.extend(extra.as_object().cloned().unwrap_or_default());
        let (status, answer) =
            runner_call(instance, &format!("/api/v1/runners/jobs/{uuid}/{call}"), body).await?;
        ensure!(status == 409, "the stale runner's {call} answered {status}: {answer}");
    }
    let upload = client
        .put(instance.url(&format!("/api/v1/runners/jobs/{uuid}/files/upload/hls/0.m3u8")))
        .header("x-runner-token", &first)
        .header("x-job-token", &first_job_token)
        .header("content-range", "bytes 0-9/10")
        .body(vec![b'#'; 10])
        .send()
        .await?;
    ensure!(upload.status() == 409, "the stale runner's file upload answered {}", upload.status());

    let job = instance.runner_job_of(admin, &video).await?.context("the job vanished")?;
    ensure!(job["state"]["id"] == 2, "the job left processing: {job}");
    ensure!(job["progress"] == 42, "the job's progress changed: {job}");
    ensure!(job["failures"] == 0, "a failure was counted: {job}");
    Ok(())
}

/// A one-request upload of a few bytes (the storage event makes a job whatever they are).
async fn small_upload(instance: &Instance, admin: &str, fields: &[(&str, &str)]) -> Result<String> {
    let client = client();
    let me: Value =
        client.get(instance.url("/api/v1/users/me")).bearer_auth(admin).send().await?.json().await?;
    let channel = me["videoChannels"][0]["id"].as_i64().context("no channel")?;
    let mut form = reqwest::multipart::Form::new().text("channelId", channel.to_string());
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let form =
        form.part("videofile", reqwest::multipart::Part::bytes(vec![7u8; 50_000]).file_name("clip.mp4"));
    let response =
        client.post(instance.url("/api/v1/videos/upload")).bearer_auth(admin).multipart(form).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    ensure!(status.is_success(), "upload answered {status}: {body}");
    body["video"]["uuid"].as_str().map(str::to_owned).context("no video uuid")
}

/// Findings 4, 5 and 8: a password list is bounded; wrong passwords on a media URL (outside
/// `/api/`) are limited per address and video, and past the limit even the right one is refused;
/// answers carry `nosniff` and no credentials beside a wildcard origin.
async fn password_guessing_on_media_is_limited(instance: &Instance, admin: &str) -> Result<()> {
    let client = client();
    let uuid = small_upload(
        instance,
        admin,
        &[("name", "Guarded"), ("privacy", "5"), ("videoPasswords[]", "right-password")],
    )
    .await?;
    let passwords: Vec<String> = (0..1000).map(|i| format!("password-{i}")).collect();
    let update = client
        .put(instance.url(&format!("/api/v1/videos/{uuid}")))
        .bearer_auth(admin)
        .json(&json!({"videoPasswords": passwords}))
        .send()
        .await?;
    ensure!(update.status() == 400, "1,000 passwords answered {}", update.status());

    let details: Value = client
        .get(instance.url(&format!("/api/v1/videos/{uuid}")))
        .bearer_auth(admin)
        .send()
        .await?
        .json()
        .await?;
    let file_url = details["files"][0]["fileUrl"].as_str().context("no input file URL")?.to_owned();
    let media = |password: &str| client.get(&file_url).header("x-peertube-video-password", password).send();
    let right = media("right-password").await?;
    ensure!(right.status() == 200, "the right password answered {}", right.status());
    let headers = right.headers();
    ensure!(headers.get("x-content-type-options").is_some_and(|v| v == "nosniff"), "media: {headers:?}");
    ensure!(headers.get("access-control-allow-credentials").is_none(), "media: {headers:?}");
    let mut statuses = Vec::new();
    for attempt in 0..12 {
        statuses.push(media(&format!("guess-{attempt}")).await?.status().as_u16());
    }
    ensure!(statuses.contains(&429), "twelve wrong passwords were never limited: {statuses:?}");
    let after = media("right-password").await?;
    ensure!(after.status() == 429, "past the limit the right password answered {}", after.status());
    ensure!(after.headers().get("retry-after").is_some(), "no Retry-After: {:?}", after.headers());

    let api = client.get(instance.url("/api/v1/config")).send().await?;
    ensure!(
        api.headers().get("x-content-type-options").is_some_and(|v| v == "nosniff"),
        "api: {:?}",
        api.headers()
    );
    ensure!(api.headers().get("access-control-allow-credentials").is_none(), "api: {:?}", api.headers());
    Ok(())
}
