//! Two Edgetube instances federating over loopback, each the real worker bundle under
//! `wrangler dev`, with the real transcode runner on A: a user on B subscribes to a channel on A
//! by handle, A's upload reaches B's subscription feed and plays on B from A's playlist (ffprobe,
//! and Chromium on B's watch page),
//! comments, replies and ratings cross both ways, a title update and a delete propagate, B being
//! stopped loses nothing, unsubscribing is honoured and an instance follow brings A's videos.
//!
//! One scenario in one test: the instances and the transcode are expensive, and each step builds
//! on the previous one. Every wait is bounded and says what it waited for.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use edgetube_e2e::{eventually, shared_dir, Instance, Platform, RunnerProcess};
use serde_json::{json, Value};

/// Federation retries start at one second here (production: a minute), so B's outage is short.
const VARS: [(&str, &str); 1] = [("EDGETUBE_VARS", "FEDERATION_RETRY_BASE_SECONDS:1")];

struct Api<'a> {
    instance: &'a Instance,
    token: String,
    client: reqwest::Client,
}

impl<'a> Api<'a> {
    async fn root(instance: &'a Instance) -> Result<Self> {
        let token = instance.login("root", &instance.admin_password()?).await?;
        Ok(Self { instance, token, client: reqwest::Client::new() })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<(u16, Value)> {
        let mut request = self.client.request(method, self.instance.url(path)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.timeout(Duration::from_secs(60)).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        ))
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await?;
        ensure!(status == 200, "GET {path}: {status} {body}");
        Ok(body)
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Result<Value> {
        let (got, answer) = self.call(method.clone(), path, body).await?;
        ensure!(got == status, "{method} {path}: {got} (expected {status}) {answer}");
        Ok(answer)
    }

    async fn upload(&self, file: &str, name: &str) -> Result<String> {
        let me = self.get("/api/v1/users/me").await?;
        let channel = me["videoChannels"][0]["id"].as_i64().context("no channel")?;
        let bytes = std::fs::read(shared_dir().join("fixtures/video").join(file))?;
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_owned())
            .text("channelId", channel.to_string())
            .text("privacy", "1")
            .part("videofile", reqwest::multipart::Part::bytes(bytes).file_name(file.to_owned()));
        let response = self
            .client
            .post(self.instance.url("/api/v1/videos/upload"))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        ensure!(status.is_success(), "upload: {status} {body}");
        body["video"]["uuid"].as_str().map(str::to_owned).context("no uuid")
    }

    async fn comments(&self, uuid: &str) -> Result<Vec<String>> {
        let threads = self.get(&format!("/api/v1/videos/{uuid}/comment-threads")).await?;
        let mut texts = Vec::new();
        for thread in threads["data"].as_array().into_iter().flatten() {
            let id = thread["id"].as_i64().context("thread id")?;
            let whole = self.get(&format!("/api/v1/videos/{uuid}/comment-threads/{id}")).await?;
            collect_texts(&whole, &mut texts);
        }
        Ok(texts)
    }
}

fn collect_texts(node: &Value, out: &mut Vec<String>) {
    if let Some(text) = node["comment"]["text"].as_str() {
        out.push(text.to_owned());
    }
    for child in node["children"].as_array().into_iter().flatten() {
        collect_texts(child, out);
    }
}

async fn published(api: &Api<'_>, uuid: &str) -> Result<Value> {
    eventually("the upload to be published", Duration::from_secs(300), || async {
        let video = api.get(&format!("/api/v1/videos/{uuid}")).await?;
        Ok((video["state"]["id"] == 1 && !video["streamingPlaylists"].as_array().is_none_or(Vec::is_empty))
            .then_some(video))
    })
    .await
}

/// Waits until the transcoding job of `uuid` completed on `api`'s instance (every rendition in).
async fn transcoded(api: &Api<'_>, uuid: &str) -> Result<()> {
    eventually("the transcoding job to complete", Duration::from_secs(300), || async {
        let jobs = api.get("/api/v1/runners/jobs?count=100").await?;
        let job = jobs["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|j| j["payload"]["videoUUID"] == uuid)
            .cloned();
        match job.map(|j| j["state"]["id"].as_i64()) {
            Some(Some(3)) => Ok(Some(())),
            Some(Some(4)) => anyhow::bail!("the job errored"),
            _ => Ok(None),
        }
    })
    .await
}

async fn in_feed(api: &Api<'_>, uuid: &str) -> Result<Value> {
    eventually("the video in B's subscription feed", Duration::from_secs(60), || async {
        let feed = api.get("/api/v1/users/me/subscriptions/videos").await?;
        Ok(feed["data"].as_array().into_iter().flatten().find(|v| v["uuid"] == uuid).cloned())
    })
    .await
}

fn ffprobe_duration(url: &str) -> Result<f64> {
    let output = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "json", url])
        .output()?;
    ensure!(output.status.success(), "ffprobe {url}: {}", String::from_utf8_lossy(&output.stderr));
    let probe: Value = serde_json::from_slice(&output.stdout)?;
    probe["format"]["duration"].as_str().context("no duration")?.parse().context("duration")
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_federate_videos_comments_ratings_and_outages() -> Result<()> {
    let a = Instance::start_with(&VARS).await?;
    // B may run on the other shell (EDGETUBE_E2E_PEER_PLATFORM): a Worker and a Spin instance.
    let mut b = Instance::start_on(Platform::peer_from_env()?, &VARS).await?;
    println!("A runs on {:?}, B on {:?}", a.platform, b.platform);
    let _runner = RunnerProcess::start(&a, "runner-a", &[])?;
    let api_a = Api::root(&a).await?;
    let mut api_b = Api::root(&b).await?;
    let a_host = format!("127.0.0.1:{}", a.port);
    let channel = format!("root_channel@{a_host}");

    // B subscribes to A's channel by handle; A accepts.
    api_b
        .expect(reqwest::Method::POST, "/api/v1/users/me/subscriptions", Some(json!({"uri": channel})), 204)
        .await?;
    eventually("A's Accept on B", Duration::from_secs(30), || async {
        let exist = api_b.get(&format!("/api/v1/users/me/subscriptions/exist?uris={channel}")).await?;
        Ok((exist[&channel] == true).then_some(()))
    })
    .await?;

    // A uploads; once published it is in B's feed, with A's facts, playing from A.
    let uuid = api_a.upload("bikes-640x272-10s-noaudio.mp4", "Federated bikes").await?;
    let on_a = published(&api_a, &uuid).await?;
    let published_at = Instant::now();
    in_feed(&api_b, &uuid).await?;
    println!("time from published on A to B's feed: {:.1} s", published_at.elapsed().as_secs_f64());
    let on_b = eventually("B's copy with its playlist", Duration::from_secs(30), || async {
        let video = api_b.get(&format!("/api/v1/videos/{uuid}")).await?;
        Ok((!video["streamingPlaylists"].as_array().is_none_or(Vec::is_empty)).then_some(video))
    })
    .await?;
    ensure!(on_b["isLocal"] == false, "{on_b}");
    ensure!(on_b["duration"] == on_a["duration"], "duration {} vs {}", on_b["duration"], on_a["duration"]);
    ensure!(
        on_b["channel"]["name"] == "root_channel" && on_b["channel"]["host"] == a_host.as_str(),
        "{}",
        on_b["channel"]
    );
    let resolutions = |v: &Value| -> Vec<i64> {
        let mut r: Vec<i64> = v["streamingPlaylists"][0]["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["resolution"]["id"].as_i64())
            .collect();
        r.sort_unstable();
        r
    };
    // Renditions after the first make a new master playlist on A; B follows through Updates,
    // and ffprobe plays B's playlistUrl, served by A.
    transcoded(&api_a, &uuid).await?;
    let playlist = eventually(
        "B's playlistUrl to be A's current one, and to play",
        Duration::from_secs(120),
        || async {
            let on_a = api_a.get(&format!("/api/v1/videos/{uuid}")).await?;
            let on_b = api_b.get(&format!("/api/v1/videos/{uuid}")).await?;
            let (a_url, b_url) = (
                &on_a["streamingPlaylists"][0]["playlistUrl"],
                &on_b["streamingPlaylists"][0]["playlistUrl"],
            );
            ensure!(a_url == b_url, "A reports {a_url}, B {b_url}");
            let url = b_url.as_str().context("no playlistUrl")?;
            let duration = ffprobe_duration(url)?;
            ensure!((duration - 10.0).abs() < 1.0, "ffprobe of B's playlistUrl: {duration} s");
            Ok(Some(url.to_owned()))
        },
    )
    .await?;
    ensure!(playlist.starts_with(&a.origin), "B plays from A: {playlist}");
    eventually("the same renditions on A and B", Duration::from_secs(60), || async {
        let on_a = api_a.get(&format!("/api/v1/videos/{uuid}")).await?;
        let on_b = api_b.get(&format!("/api/v1/videos/{uuid}")).await?;
        let (ra, rb) = (resolutions(&on_a), resolutions(&on_b));
        if ra != rb || ra.is_empty() {
            anyhow::bail!(
                "A {ra:?} ({}) vs B {rb:?} ({})",
                on_a["streamingPlaylists"],
                on_b["streamingPlaylists"]
            );
        }
        Ok(Some(()))
    })
    .await?;
    // A person on B watches A's video in Chromium: B's watch page plays it from A's playlist.
    let shot = edgetube_e2e::repo_root().join("target/browser-screenshots/remote-watch-on-b.png");
    std::fs::create_dir_all(shot.parent().context("screenshot folder")?)?;
    let watch = b.url(&format!("/w/{uuid}"));
    let played = tokio::task::spawn_blocking(move || {
        edgetube_e2e::run_with_timeout(
            "node",
            &["tests/browser/play.mjs", &watch, shot.to_str().unwrap_or_default()],
            Duration::from_secs(180),
        )
    })
    .await??;
    let stdout = String::from_utf8_lossy(&played.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).with_context(|| {
        format!("the browser did not play: {stdout}{}", String::from_utf8_lossy(&played.stderr))
    })?;
    let played: Value = serde_json::from_str(line)?;
    ensure!(played["status"] == 200 && played["title"] == "Federated bikes", "{played}");
    ensure!(played["playlistUrl"].as_str().is_some_and(|u| u.starts_with(&a.origin)), "from A: {played}");
    let (to, of) = (played["playedTo"].as_f64().unwrap_or(0.0), played["duration"].as_f64().unwrap_or(0.0));
    ensure!(of > 9.0 && to >= of - 0.5, "played to the end on B: {played}");
    ensure!(played["consoleErrors"] == json!([]), "no console errors: {played}");
    eventually("B's copy with A's thumbnail", Duration::from_secs(30), || async {
        let on_a = api_a.get(&format!("/api/v1/videos/{uuid}")).await?;
        let on_b = api_b.get(&format!("/api/v1/videos/{uuid}")).await?;
        let Some(path) = on_a["thumbnailPath"].as_str() else { anyhow::bail!("A has no thumbnail yet") };
        if on_b["thumbnailUrl"].as_str() != Some(a.url(path).as_str()) {
            anyhow::bail!("A's thumbnail {path}, B's {} / {}", on_b["thumbnailPath"], on_b["thumbnailUrl"]);
        }
        // B serves it from its own cache, filled from A on this first request.
        let cached = on_b["thumbnailPath"].as_str().context("B's thumbnailPath")?;
        let from_b = reqwest::get(b.url(cached)).await?;
        ensure!(from_b.status() == 200, "B's cached thumbnail {cached}: {}", from_b.status());
        let original = reqwest::get(a.url(path)).await?.bytes().await?;
        ensure!(from_b.bytes().await? == original, "B's cached thumbnail differs from A's");
        Ok(Some(()))
    })
    .await?;

    // A comment from B appears on A; A's reply appears on B.
    let posted = api_b
        .expect(
            reqwest::Method::POST,
            &format!("/api/v1/videos/{uuid}/comment-threads"),
            Some(json!({"text": "Hello from B"})),
            200,
        )
        .await?;
    ensure!(posted["comment"]["id"].is_i64(), "{posted}");
    eventually("B's comment on A", Duration::from_secs(30), || async {
        Ok(api_a.comments(&uuid).await?.contains(&"Hello from B".to_owned()).then_some(()))
    })
    .await?;
    let threads = api_a.get(&format!("/api/v1/videos/{uuid}/comment-threads")).await?;
    let thread = threads["data"][0]["id"].as_i64().context("thread on A")?;
    ensure!(
        threads["data"][0]["account"]["host"] != a_host.as_str(),
        "the author is B's: {}",
        threads["data"][0]["account"]
    );
    api_a
        .expect(
            reqwest::Method::POST,
            &format!("/api/v1/videos/{uuid}/comments/{thread}"),
            Some(json!({"text": "Hello back from A"})),
            200,
        )
        .await?;
    eventually("A's reply on B", Duration::from_secs(30), || async {
        Ok(api_b.comments(&uuid).await?.contains(&"Hello back from A".to_owned()).then_some(()))
    })
    .await?;

    // B likes: counted on A (and on B's copy).
    api_b
        .expect(
            reqwest::Method::PUT,
            &format!("/api/v1/videos/{uuid}/rate"),
            Some(json!({"rating": "like"})),
            204,
        )
        .await?;
    eventually("B's like on A", Duration::from_secs(30), || async {
        Ok((api_a.get(&format!("/api/v1/videos/{uuid}")).await?["likes"] == 1).then_some(()))
    })
    .await?;
    ensure!(api_b.get(&format!("/api/v1/videos/{uuid}")).await?["likes"] == 1);
    api_b
        .expect(
            reqwest::Method::PUT,
            &format!("/api/v1/videos/{uuid}/rate"),
            Some(json!({"rating": "dislike"})),
            204,
        )
        .await?;
    eventually("B's dislike replacing its like on A", Duration::from_secs(30), || async {
        let video = api_a.get(&format!("/api/v1/videos/{uuid}")).await?;
        Ok((video["likes"] == 0 && video["dislikes"] == 1).then_some(()))
    })
    .await?;
    // A's video lists B's Dislike, and the two Announces it was published with, by their ids.
    let dislikes = api_a.get(&format!("/videos/watch/{uuid}/dislikes?page=1")).await?;
    ensure!(
        dislikes["orderedItems"].as_array().is_some_and(|items| items.len() == 1
            && items[0].as_str().is_some_and(|id| id.starts_with(&b.url("/accounts/root/dislikes/")))),
        "A's dislikes collection: {dislikes}"
    );
    let shares = api_a.get(&format!("/videos/watch/{uuid}/announces")).await?;
    ensure!(shares["totalItems"] == 2, "A's announces collection: {shares}");

    // A renames the video: B sees the new title.
    api_a
        .expect(
            reqwest::Method::PUT,
            &format!("/api/v1/videos/{uuid}"),
            Some(json!({"name": "Federated bikes, renamed"})),
            204,
        )
        .await?;
    eventually("the new title on B", Duration::from_secs(30), || async {
        Ok((api_b.get(&format!("/api/v1/videos/{uuid}")).await?["name"] == "Federated bikes, renamed")
            .then_some(()))
    })
    .await?;

    // B is stopped while A comments; when B is back, the comment arrives.
    b.stop();
    api_a
        .expect(
            reqwest::Method::POST,
            &format!("/api/v1/videos/{uuid}/comment-threads"),
            Some(json!({"text": "Sent while B was down"})),
            200,
        )
        .await?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    b.restart().await?;
    api_b = Api::root(&b).await?;
    eventually("the comment A sent while B was down", Duration::from_secs(120), || async {
        Ok(api_b.comments(&uuid).await?.contains(&"Sent while B was down".to_owned()).then_some(()))
    })
    .await?;

    // B unsubscribes: A has no follower left; B follows A's instance instead and A's next video
    // arrives through that follow.
    api_b
        .expect(reqwest::Method::DELETE, &format!("/api/v1/users/me/subscriptions/{channel}"), None, 204)
        .await?;
    eventually("the Undo on A", Duration::from_secs(30), || async {
        let followers = reqwest::Client::new()
            .get(a.url("/video-channels/root_channel/followers"))
            .header("accept", "application/activity+json")
            .send()
            .await?
            .json::<Value>()
            .await?;
        Ok((followers["totalItems"] == 0).then_some(()))
    })
    .await?;
    api_b
        .expect(reqwest::Method::POST, "/api/v1/server/following", Some(json!({"hosts": [a_host]})), 204)
        .await?;
    eventually("A's Accept of the instance follow", Duration::from_secs(30), || async {
        let following = api_b.get("/api/v1/server/following").await?;
        Ok((following["data"][0]["state"] == "accepted").then_some(()))
    })
    .await?;
    let second = api_a.upload("video_short.mp4", "Through the instance follow").await?;
    published(&api_a, &second).await?;
    eventually("A's second video on B", Duration::from_secs(60), || async {
        let (status, video) =
            api_b.call(reqwest::Method::GET, &format!("/api/v1/videos/{second}"), None).await?;
        Ok((status == 200 && video["isLocal"] == false).then_some(()))
    })
    .await?;

    // A deletes the first video: gone from B.
    api_a.expect(reqwest::Method::DELETE, &format!("/api/v1/videos/{uuid}"), None, 204).await?;
    eventually("the delete on B", Duration::from_secs(30), || async {
        let (status, _) = api_b.call(reqwest::Method::GET, &format!("/api/v1/videos/{uuid}"), None).await?;
        Ok((status == 404).then_some(()))
    })
    .await?;
    Ok(())
}
