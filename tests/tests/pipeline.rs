//! The media pipeline end to end: the real worker under wrangler dev, the real
//! `transcode-runner` with ffmpeg, uploads over HTTP, players' reads checked with ffprobe.

// The runner-wake suite idles for 10 minutes on one test thread: as a module of this binary it
// overlaps the pipeline's tests instead of adding its whole wait to `make test`. Its name sorts
// first ('0' before '_'), and the test harness starts tests in name order, so the long wait
// begins at once rather than after everything else.
#[path = "alongside/runner_wake.rs"]
mod a0_runner_wake;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use edgetube_e2e::{run_with_env, run_with_timeout, shared_dir, Instance, RunnerProcess};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ADMIN_PASSWORD: &str = "e2e-admin-password";

fn fixture(name: &str) -> PathBuf {
    shared_dir().join("fixtures/video").join(name)
}

/// The legacy one-request upload, field for field as `peertube-cli upload` sends it.
async fn legacy_upload(
    instance: &Instance,
    token: &str,
    file: &Path,
    name: &str,
    privacy: u8,
) -> Result<String> {
    let me: Value = reqwest::Client::new()
        .get(instance.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let channel = me["videoChannels"][0]["id"].as_i64().context("no channel")?;
    let bytes = std::fs::read(file)?;
    let file_name = file.file_name().and_then(|n| n.to_str()).unwrap_or("video").to_owned();
    let form = reqwest::multipart::Form::new()
        .text("name", name.to_owned())
        .text("channelId", channel.to_string())
        .text("privacy", privacy.to_string())
        .text("nsfw", "false")
        .text("waitTranscoding", "true")
        .text("downloadEnabled", "true")
        .part("videofile", reqwest::multipart::Part::bytes(bytes).file_name(file_name));
    let response = reqwest::Client::new()
        .post(instance.url("/api/v1/videos/upload"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    ensure!(status.is_success(), "upload of {} answered {status}: {body}", file.display());
    body["video"]["uuid"].as_str().map(str::to_owned).context("no uuid")
}

async fn video(instance: &Instance, token: &str, uuid: &str) -> Result<Value> {
    Ok(reqwest::Client::new()
        .get(instance.url(&format!("/api/v1/videos/{uuid}")))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?)
}

/// Waits (bounded) until the video's job is completed or errored; returns the job.
async fn wait_for_job(instance: &Instance, admin: &str, uuid: &str, limit: Duration) -> Result<Value> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(job) = instance.runner_job_of(admin, uuid).await? {
            if job["state"]["id"] == 3 || job["state"]["id"] == 4 {
                return Ok(job);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the job of {uuid} did not finish within {limit:?}")
}

fn ffprobe_json(target: &str) -> Result<Value> {
    let mut args = vec!["-v", "error"];
    args.extend(["-show_entries", "stream=codec_type,width,height:format=duration", "-of", "json", target]);
    let output = run_with_timeout("ffprobe", &args, Duration::from_secs(120))?;
    ensure!(output.status.success(), "ffprobe {target}: {}", String::from_utf8_lossy(&output.stderr));
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn duration_of(probe: &Value) -> f64 {
    probe["format"]["duration"].as_str().and_then(|d| d.parse().ok()).unwrap_or(0.0)
}

fn video_size(probe: &Value) -> Option<(u64, u64)> {
    probe["streams"]
        .as_array()?
        .iter()
        .find(|s| s["codec_type"] == "video")
        .map(|s| (s["width"].as_u64().unwrap_or(0), s["height"].as_u64().unwrap_or(0)))
}

/// Checks a published video the way players do: the master lists `expected` resolutions, each
/// rendition plays over HTTP at the right size and duration, every hashed byte range matches.
async fn check_published(details: &Value, source: &Path, expected: &[u64], query: &str) -> Result<()> {
    let playlist = &details["streamingPlaylists"][0];
    let master_url = format!("{}{query}", playlist["playlistUrl"].as_str().context("no playlistUrl")?);
    let client = reqwest::Client::new();
    let master = client.get(&master_url).send().await?.error_for_status()?.text().await?;
    let mut resolutions: Vec<u64> = master
        .lines()
        .filter_map(|l| l.split("RESOLUTION=").nth(1))
        .filter_map(|r| r.split(',').next()?.split('x').nth(1)?.parse().ok())
        .collect();
    resolutions.sort_unstable();
    let mut wanted = expected.to_vec();
    wanted.sort_unstable();
    ensure!(resolutions == wanted, "master lists {resolutions:?}, expected {wanted:?}:\n{master}");

    let source_duration = duration_of(&ffprobe_json(source.to_str().context("path")?)?);
    for file in playlist["files"].as_array().context("no files")? {
        let url = file["fileUrl"].as_str().context("no fileUrl")?;
        let rendition_playlist = url.replace("-fragmented.mp4", ".m3u8");
        let probe = ffprobe_json(&format!("{rendition_playlist}{query}"))?;
        let (w, h) = video_size(&probe).context("no video stream")?;
        ensure!(
            w == file["width"].as_u64().unwrap_or(0) && h == file["height"].as_u64().unwrap_or(0),
            "{url}: {w}x{h}"
        );
        let duration = duration_of(&probe);
        ensure!(
            (duration - source_duration).abs() <= 0.1,
            "{url}: {duration} s vs the source's {source_duration} s"
        );
    }

    let sha_url = format!("{}{query}", playlist["segmentsSha256Url"].as_str().context("no sha url")?);
    let hashes: Value = client.get(&sha_url).send().await?.error_for_status()?.json().await?;
    let base = master_url.rsplit_once('/').context("url")?.0.to_owned();
    let mut checked = 0;
    for (file, ranges) in hashes.as_object().context("sha json")? {
        for (range, hash) in ranges.as_object().context("ranges")? {
            let bytes = client
                .get(format!("{base}/{file}{query}"))
                .header("range", format!("bytes={range}"))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            let actual: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            ensure!(actual == hash.as_str().unwrap_or_default(), "{file} {range}: {actual} != {hash}");
            checked += 1;
        }
    }
    ensure!(checked >= expected.len(), "only {checked} segments hashed");
    Ok(())
}

/// `peertube-cli upload`, PeerTube's own client, unchanged; returns the new video's UUID.
async fn cli_upload(instance: &Instance, admin: &str, file: &Path, name: &str) -> Result<String> {
    const CLI: &str = "node_modules/@peertube/peertube-cli/dist/peertube.js";
    let home = tempfile::tempdir()?;
    let home_path = home.path().to_str().context("utf-8 path")?;
    let env = [("XDG_CONFIG_HOME", home_path), ("HOME", home_path)];
    let run = |args: &[&str]| -> Result<String> {
        let mut full = vec![CLI];
        full.extend_from_slice(args);
        let output = run_with_env("node", &full, &env, Duration::from_secs(300))?;
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        ensure!(output.status.success(), "peertube-cli {}: {text}", args[0]);
        Ok(text)
    };
    run(&["auth", "add", "-u", &instance.origin, "-U", "root", "--password", ADMIN_PASSWORD])?;
    let printed = run(&["upload", "-f", file.to_str().context("path")?, "-n", name, "-P", "1"])?;
    ensure!(printed.contains(&format!("Video {name} uploaded.")), "{printed}");
    let mine: Value = reqwest::Client::new()
        .get(instance.url("/api/v1/users/me/videos?count=100"))
        .bearer_auth(admin)
        .send()
        .await?
        .json()
        .await?;
    mine["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == name)
        .and_then(|v| v["uuid"].as_str())
        .map(str::to_owned)
        .context("the uploaded video is not listed")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peertube_cli_upload_is_transcoded_published_and_deleted() -> Result<()> {
    let instance = Instance::start().await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let _runner = RunnerProcess::start(&instance, "runner-1", &[])?;
    let source = fixture("big-buck-bunny-720p-5s.mp4");
    let uuid = cli_upload(&instance, &admin, &source, "Big Buck Bunny").await?;
    let job = wait_for_job(&instance, &admin, &uuid, Duration::from_secs(300)).await?;
    ensure!(job["state"]["id"] == 3, "job: {job}\nrunner log:\n{}", _runner.log());

    let details = video(&instance, &admin, &uuid).await?;
    ensure!(details["state"]["id"] == 1, "{details}");
    ensure!(details["duration"] == 5, "{}", details["duration"]);
    check_published(&details, &source, &[720, 480, 360, 240], "").await?;
    for path in ["thumbnailPath", "previewPath"] {
        let url = instance.url(details[path].as_str().context("no image path")?);
        let image = reqwest::get(&url).await?.error_for_status()?.bytes().await?;
        ensure!(image.starts_with(&[0xff, 0xd8]), "{path} is not a JPEG");
    }

    let master = details["streamingPlaylists"][0]["playlistUrl"].as_str().context("url")?.to_owned();
    let deleted = reqwest::Client::new()
        .delete(instance.url(&format!("/api/v1/videos/{uuid}")))
        .bearer_auth(&admin)
        .send()
        .await?;
    ensure!(deleted.status() == 204, "delete: {}", deleted.status());
    ensure!(reqwest::get(&master).await?.status() == 404, "the master playlist outlived its video");
    Ok(())
}

/// Above the old 64 MiB cap: only a streamed body fits a Worker's 128 MB isolate with room to spare.
#[tokio::test(flavor = "multi_thread")]
async fn a_70_mb_legacy_upload_streams_into_storage_byte_for_byte() -> Result<()> {
    let instance = Instance::start().await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let total: usize = 70 * 1000 * 1000;
    let mut file = vec![0u8; total];
    let mut state: u64 = 0x853c_49e6_748f_ea9b;
    for byte in &mut file {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = (state >> 24) as u8;
    }
    let expected: String = Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect();
    let (first, last) = (33_000_000, 33_999_999);
    let middle = file[first..=last].to_vec();
    // Bounded: a stalled transfer fails the test instead of hanging it.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(240)).build()?;
    let me: Value =
        client.get(instance.url("/api/v1/users/me")).bearer_auth(&admin).send().await?.json().await?;
    // The metadata after the file: the row can only be written once the whole form is read.
    let form = reqwest::multipart::Form::new()
        .part("videofile", reqwest::multipart::Part::bytes(file).file_name("big.mp4").mime_str("video/mp4")?)
        .text("name", "Seventy megabytes")
        .text("channelId", me["videoChannels"][0]["id"].to_string())
        .text("privacy", "1");
    let started = Instant::now();
    let response =
        client.post(instance.url("/api/v1/videos/upload")).bearer_auth(&admin).multipart(form).send().await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    ensure!(status == 200, "upload answered {status}: {answer}\n{}", instance.log_tail());
    eprintln!("70 MB legacy upload answered in {:?}", started.elapsed());
    let uuid = answer["video"]["uuid"].as_str().context("no uuid")?;

    let details = video(&instance, &admin, uuid).await?;
    let input = &details["files"][0];
    ensure!(input["size"] == total, "stored size: {}", input["size"]);
    ensure!(input["magnetUri"].as_str().is_some_and(|m| m.starts_with("magnet:?xt=urn:btih:")), "{input}");
    let url = input["fileUrl"].as_str().context("no file url")?;
    // A plain GET, as CDNs, curl and ffprobe send: the Worker streams the object from storage
    // with its length (it would not fit its isolate twice).
    let started = Instant::now();
    let mut response = client.get(url).send().await?.error_for_status()?;
    let announced = response.headers().get("content-length").and_then(|v| v.to_str().ok()).map(str::to_owned);
    ensure!(announced == Some(total.to_string()), "Content-Length {announced:?} for {total} bytes");
    let mut hasher = Sha256::new();
    let mut read = 0;
    while let Some(chunk) = response.chunk().await? {
        hasher.update(&chunk);
        read += chunk.len();
    }
    eprintln!("plain GET of {read} bytes in {:?}", started.elapsed());
    let stored: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    ensure!(
        read == total && stored == expected,
        "stored {read} bytes with SHA-256 {stored}, sent {expected}"
    );
    // A range from the middle, as players and web seeds read.
    let part = client.get(url).header("range", format!("bytes={first}-{last}")).send().await?;
    ensure!(part.status() == 206, "ranged GET answered {}", part.status());
    let bytes = part.bytes().await?;
    ensure!(bytes[..] == middle[..], "the range's {} bytes differ", bytes.len());
    Ok(())
}

/// Past the cap with no `Content-Length` to refuse it early: the Worker counts the bytes as they
/// stream through and answers 413 with no video made.
#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_legacy_upload_past_the_cap_is_refused_while_streaming() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "LEGACY_UPLOAD_MAX_BYTES:20000000")]).await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let me: Value = reqwest::Client::new()
        .get(instance.url("/api/v1/users/me"))
        .bearer_auth(&admin)
        .send()
        .await?
        .json()
        .await?;
    let boundary = "edgetube-chunked";
    let mut body = Vec::new();
    for (name, value) in
        [("name", "Too big".to_owned()), ("channelId", me["videoChannels"][0]["id"].to_string())]
    {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"videofile\"; filename=\"big.mp4\"\r\n\r\n").bytes());
    body.extend(vec![7u8; 30_000_000]);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let host = instance.origin.trim_start_matches("http://").to_owned();
    let token = admin.clone();
    let (status, text) = tokio::task::spawn_blocking(move || -> Result<(String, String)> {
        use std::io::Read;
        let mut stream = std::net::TcpStream::connect(&host)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        stream.set_write_timeout(Some(Duration::from_secs(120)))?;
        write!(
            stream,
            "POST /api/v1/videos/upload HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n"
        )?;
        for chunk in body.chunks(64 * 1024) {
            // The answer may come before the body is all sent; then the rest is not read.
            let sent = write!(stream, "{:x}\r\n", chunk.len())
                .and_then(|()| stream.write_all(chunk))
                .and_then(|()| stream.write_all(b"\r\n"));
            if sent.is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer.lines().next().unwrap_or_default().to_owned();
        Ok((status, answer))
    })
    .await??;
    ensure!(status.starts_with("HTTP/1.1 413"), "answer: {text}\n{}", instance.log_tail());
    // The server answers and closes while the client is still sending; the reset that follows can
    // cut the answer's body in transit (seen under load), so its wording is checked when it
    // arrived (the native tests pin it).
    let body_arrived = text.split("\r\n\r\n").nth(1).is_some_and(|b| !b.trim().is_empty());
    ensure!(!body_arrived || text.contains("use the resumable upload"), "answer: {text}");
    let mine: Value = reqwest::Client::new()
        .get(instance.url("/api/v1/users/me/videos"))
        .bearer_auth(&admin)
        .send()
        .await?
        .json()
        .await?;
    ensure!(mine["total"] == 0, "a video was made: {mine}");
    Ok(())
}

/// Sends part of a chunk and drops the connection, as a client losing its network does.
fn interrupted_chunk(
    origin: &str,
    path: &str,
    token: &str,
    range: &str,
    announced: usize,
    body: &[u8],
) -> Result<()> {
    let host = origin.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host)?;
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Range: {range}\r\nContent-Length: {announced}\r\n\r\n"
    )?;
    stream.write_all(body)?;
    stream.flush()?;
    drop(stream);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_300_mb_resumable_upload_survives_an_interruption_byte_for_byte() -> Result<()> {
    let instance = Instance::start().await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let total: usize = 300 * 1024 * 1024;
    // Not periodic at any chunk or part size, so a misplaced range changes the checksum.
    let mut file = vec![0u8; total];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for byte in &mut file {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = (state >> 24) as u8;
    }
    let expected: String = Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect();

    let client = reqwest::Client::new();
    let me: Value =
        client.get(instance.url("/api/v1/users/me")).bearer_auth(&admin).send().await?.json().await?;
    let init = client
        .post(instance.url("/api/v1/videos/upload-resumable"))
        .bearer_auth(&admin)
        .header("x-upload-content-length", total.to_string())
        .header("x-upload-content-type", "video/mp4")
        .json(&json!({"channelId": me["videoChannels"][0]["id"], "name": "Three hundred megabytes",
                      "filename": "big.mp4", "privacy": 1}))
        .send()
        .await?;
    ensure!(init.status() == 201, "init: {}", init.status());
    let location = init.headers()["location"].to_str()?.to_owned();
    let path = location.trim_start_matches(&format!("//127.0.0.1:{}", instance.port)).to_owned();
    let url = instance.url(&path);

    let chunk = 1024 * 1024;
    let mut offset = 0;
    let mut interrupted = false;
    let mut answer = Value::Null;
    // Bounded: one request per chunk plus the interruption's two.
    for _ in 0..(total / chunk + 4) {
        if offset >= total {
            break;
        }
        let end = (offset + chunk).min(total);
        if !interrupted && offset == 100 * chunk {
            interrupted = true;
            let range = format!("bytes {offset}-{}/{total}", end - 1);
            interrupted_chunk(
                &instance.origin,
                &path,
                &admin,
                &range,
                end - offset,
                &file[offset..offset + chunk / 2],
            )?;
            let asked = client
                .put(&url)
                .bearer_auth(&admin)
                .header("content-range", format!("bytes */{total}"))
                .body(Vec::new())
                .send()
                .await?;
            ensure!(asked.status() == 308, "offset query: {}", asked.status());
            let stored = asked.headers()["range"].to_str()?.to_owned();
            ensure!(
                stored == format!("bytes=0-{}", offset - 1),
                "after the interruption the server holds {stored}"
            );
        }
        let response = client
            .put(&url)
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .header("content-range", format!("bytes {offset}-{}/{total}", end - 1))
            .body(file[offset..end].to_vec())
            .send()
            .await?;
        let status = response.status().as_u16();
        if end < total {
            ensure!(status == 308, "chunk at {offset}: {status} {}", response.text().await?);
        } else {
            ensure!(status == 200, "last chunk: {status}");
            answer = response.json().await?;
        }
        offset = end;
    }
    ensure!(interrupted && offset == total, "the upload did not finish");
    let uuid = answer["video"]["uuid"].as_str().context("no uuid")?.to_owned();

    // Read the stored original back the way a runner does, by ranges, and compare checksums.
    let registration = instance.runner_registration_token()?;
    let runner: Value = client
        .post(instance.url("/api/v1/runners/register"))
        .json(&json!({"registrationToken": registration, "name": "checker"}))
        .send()
        .await?
        .json()
        .await?;
    let runner_token = runner["runnerToken"].as_str().context("no runner token")?;
    let started = Instant::now();
    let job = loop {
        let jobs: Value = client
            .post(instance.url("/api/v1/runners/jobs/request"))
            .json(&json!({"runnerToken": runner_token}))
            .send()
            .await?
            .json()
            .await?;
        if let Some(job) = jobs["availableJobs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|j| j["payload"]["videoUUID"] == uuid.as_str())
        {
            break job.clone();
        }
        ensure!(started.elapsed() < Duration::from_secs(60), "no job for the upload");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let accepted: Value = client
        .post(
            instance
                .url(&format!("/api/v1/runners/jobs/{}/accept", job["uuid"].as_str().unwrap_or_default())),
        )
        .json(&json!({"runnerToken": runner_token}))
        .send()
        .await?
        .json()
        .await?;
    let job_token = accepted["job"]["jobToken"].as_str().context("no job token")?;
    let input = accepted["job"]["payload"]["input"]["videoFileUrl"].as_str().context("no input url")?;
    let mut hasher = Sha256::new();
    let mut read = 0;
    let step = 16 * 1024 * 1024;
    for _ in 0..(total / step + 2) {
        if read >= total {
            break;
        }
        let bytes = client
            .post(input)
            .header("range", format!("bytes={read}-{}", read + step - 1))
            .json(&json!({"runnerToken": runner_token, "jobToken": job_token}))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        ensure!(!bytes.is_empty(), "empty read at {read}");
        hasher.update(&bytes);
        read += bytes.len();
    }
    let stored: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    ensure!(
        read == total && stored == expected,
        "stored {read} bytes with SHA-256 {stored}, sent {expected}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn private_media_needs_a_token_and_plays_with_one() -> Result<()> {
    let instance = Instance::start().await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let _runner = RunnerProcess::start(&instance, "runner-1", &[])?;
    let source = fixture("video_short.mp4");
    let uuid = legacy_upload(&instance, &admin, &source, "Private video", 3).await?;
    let job = wait_for_job(&instance, &admin, &uuid, Duration::from_secs(300)).await?;
    ensure!(job["state"]["id"] == 3, "job: {job}");
    let details = video(&instance, &admin, &uuid).await?;
    let playlist = &details["streamingPlaylists"][0];
    let master = playlist["playlistUrl"].as_str().context("url")?;
    ensure!(master.contains("/hls/private/"), "{master}");
    let file = playlist["files"][0]["fileUrl"].as_str().context("file")?;

    let client = reqwest::Client::new();
    for url in [master, file] {
        let anonymous = client.get(url).send().await?.status().as_u16();
        ensure!(anonymous == 401 || anonymous == 403, "{url} without a token: {anonymous}");
        let wrong = client.get(format!("{url}?videoFileToken=not-a-token")).send().await?.status().as_u16();
        ensure!(wrong == 403, "{url} with a bad token: {wrong}");
    }
    let token: Value = client
        .post(instance.url(&format!("/api/v1/videos/{uuid}/token")))
        .bearer_auth(&admin)
        .send()
        .await?
        .json()
        .await?;
    let file_token = token["files"]["token"].as_str().context("no file token")?;
    let with_token = format!("?videoFileToken={file_token}");

    // The iOS-style rewrite: every reference in the master and the renditions carries the token,
    // and each of them answers with it.
    let rewritten = client
        .get(format!("{master}{with_token}&reinjectVideoFileToken=true"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let base = master.rsplit_once('/').context("url")?.0;
    let variants: Vec<&str> = rewritten.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    ensure!(variants.len() == expected_ladder(&source)?.len(), "{rewritten}");
    for variant in variants {
        ensure!(variant.contains(&with_token), "{variant} lost the token");
        let text = client.get(format!("{base}/{variant}")).send().await?.error_for_status()?.text().await?;
        for uri in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            ensure!(uri.ends_with(&with_token), "{uri} lost the token");
            let segment = client.get(format!("{base}/{uri}")).header("range", "bytes=0-99").send().await?;
            ensure!(segment.status() == 206, "{uri}: {}", segment.status());
        }
    }
    // ffmpeg's HLS demuxer drops query strings from segment URIs, so it reads each rendition file
    // directly (as a progressive MP4, with ranges) with the token.
    let source_duration = duration_of(&ffprobe_json(source.to_str().context("path")?)?);
    for file in playlist["files"].as_array().context("files")? {
        let url = format!("{}{with_token}", file["fileUrl"].as_str().context("fileUrl")?);
        let probe = ffprobe_json(&url)?;
        let (w, h) = video_size(&probe).context("no video stream")?;
        ensure!(
            w == file["width"].as_u64().unwrap_or(0) && h == file["height"].as_u64().unwrap_or(0),
            "{url}: {w}x{h}"
        );
        ensure!((duration_of(&probe) - source_duration).abs() <= 0.1, "{url}: {}", duration_of(&probe));
    }
    Ok(())
}

/// PeerTube's default ladder (1080/720/480/360/240) at or below the input's short side, plus
/// the input's own resolution.
fn expected_ladder(source: &Path) -> Result<Vec<u64>> {
    let probe = ffprobe_json(source.to_str().context("path")?)?;
    let (w, h) = video_size(&probe).unwrap_or((0, 0));
    let short = if h == 0 { 480 } else { w.min(h) / 2 * 2 };
    let mut ladder: Vec<u64> = [1080, 720, 480, 360, 240].into_iter().filter(|r| *r <= short).collect();
    if !ladder.contains(&short) {
        ladder.push(short);
    }
    Ok(ladder)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_runner_dies_is_finished_by_another() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "RUNNER_JOB_STALE_SECONDS:5")]).await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    // A 30 s input keeps the first runner busy long enough to be killed mid-job.
    let dir = tempfile::tempdir()?;
    let long = dir.path().join("long.mp4");
    let source = fixture("big-buck-bunny-720p-5s.mp4");
    let made = run_with_timeout(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-stream_loop",
            "5",
            "-i",
            source.to_str().context("path")?,
            "-c",
            "copy",
            long.to_str().context("path")?,
        ],
        Duration::from_secs(120),
    )?;
    ensure!(made.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&made.stderr));

    let mut first = RunnerProcess::start(&instance, "doomed", &["--threads", "1"])?;
    let uuid = legacy_upload(&instance, &admin, &long, "Survives a crash", 1).await?;
    let started = Instant::now();
    loop {
        let job = instance.runner_job_of(&admin, &uuid).await?;
        if job.as_ref().is_some_and(|j| j["state"]["id"] == 2 && j["progress"].as_i64().unwrap_or(0) > 0) {
            break;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "the first runner never started: {}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    first.kill();
    let _second = RunnerProcess::start(&instance, "survivor", &[])?;
    let job = wait_for_job(&instance, &admin, &uuid, Duration::from_secs(300)).await?;
    ensure!(job["state"]["id"] == 3, "job: {job}");
    let details = video(&instance, &admin, &uuid).await?;
    check_published(&details, &long, &[720, 480, 360, 240], "").await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fixture_is_published_or_fails_with_a_reason() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "RUNNER_JOB_MAX_FAILURES:2")]).await?;
    let admin = instance.login("root", ADMIN_PASSWORD).await?;
    let _runner = RunnerProcess::start(&instance, "runner-1", &[])?;
    let mut names: Vec<String> = std::fs::read_dir(shared_dir().join("fixtures/video"))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut uploaded = Vec::new();
    for name in &names {
        uploaded.push((
            name.clone(),
            legacy_upload(&instance, &admin, &fixture(name), &format!("Fixture {name}"), 1).await?,
        ));
    }
    for (name, uuid) in &uploaded {
        let job = wait_for_job(&instance, &admin, uuid, Duration::from_secs(600)).await?;
        let details = video(&instance, &admin, uuid).await?;
        if name == "video_short_fake.webm" {
            ensure!(job["state"]["id"] == 4, "{name}: {job}");
            ensure!(details["state"]["id"] == 7, "{name}: state {}", details["state"]);
            let reason = job["error"].as_str().unwrap_or_default();
            ensure!(
                reason.contains("Invalid data") || reason.contains("cannot"),
                "{name}: unclear reason {reason:?}"
            );
            continue;
        }
        ensure!(job["state"]["id"] == 3, "{name}: {job}");
        ensure!(details["state"]["id"] == 1, "{name}: state {}", details["state"]);
        let files = details["streamingPlaylists"][0]["files"].as_array().map_or(0, Vec::len);
        ensure!(files >= 1, "{name}: no rendition");
        let master = details["streamingPlaylists"][0]["playlistUrl"].as_str().context("url")?;
        let probe = ffprobe_json(master)?;
        ensure!(video_size(&probe).is_some(), "{name}: the master does not play: {probe}");
    }
    Ok(())
}
