//! The REST API areas against the real worker, with PeerTube's refusals: channels, videos,
//! privacy, comments, ratings, views (through the view counter's Durable Object and its alarm),
//! expired tokens and oversized bodies, and the direct upload path being off without R2 credentials.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use edgetube_e2e::{Instance, Platform};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

struct Api<'a> {
    instance: &'a Instance,
    client: reqwest::Client,
}

impl Api<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let mut request = self.client.request(method, self.instance.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).context(text)? }))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Result<(u16, Value)> {
        self.call(Method::GET, path, token, None).await
    }

    async fn login(&self, username: &str, password: &str) -> Result<String> {
        let (_, local) = self.get("/api/v1/oauth-clients/local", None).await?;
        let response = self
            .client
            .post(self.instance.url("/api/v1/users/token"))
            .form(&[
                ("client_id", local["client_id"].as_str().context("client_id")?),
                ("client_secret", local["client_secret"].as_str().context("client_secret")?),
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await?;
        let tokens: Value = response.json().await?;
        Ok(tokens["access_token"].as_str().with_context(|| tokens.to_string())?.to_owned())
    }

    async fn register(&self, username: &str) -> Result<String> {
        let password = format!("{username}-password");
        let body =
            json!({"username": username, "password": password, "email": format!("{username}@example.com")});
        let (status, problem) = self.call(Method::POST, "/api/v1/users/register", None, Some(body)).await?;
        anyhow::ensure!(status == 204, "register {username}: {status} {problem}");
        self.login(username, &password).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn channels_videos_comments_ratings_and_views() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "SIGNUP_OPEN:true")]).await?;
    let api = Api { instance: &instance, client: reqwest::Client::new() };
    let root = api.login("root", &instance.admin_password()?).await?;
    let alice = api.register("alice").await?;
    let uuids = instance.seed_videos("root_channel", 2)?;
    let (public, private) = (&uuids[0], &uuids[1]);

    // Channels: create, refuse a taken name and an over-long display name, update, refuse others.
    let new_channel = json!({"name": "alice_music", "displayName": "Alice's music"});
    let (status, created) =
        api.call(Method::POST, "/api/v1/video-channels", Some(&alice), Some(new_channel.clone())).await?;
    assert_eq!(status, 200, "{created}");
    assert!(created["videoChannel"]["id"].is_i64());
    assert_eq!(
        api.call(Method::POST, "/api/v1/video-channels", Some(&alice), Some(new_channel)).await?.0,
        409
    );
    let long = json!({"name": "alice_long", "displayName": "x".repeat(121)});
    let (status, problem) =
        api.call(Method::POST, "/api/v1/video-channels", Some(&alice), Some(long)).await?;
    assert_eq!((status, problem["invalid-params"]["displayName"].is_object()), (400, true), "{problem}");
    let edit = json!({"displayName": "Root's channel"});
    assert_eq!(
        api.call(Method::PUT, "/api/v1/video-channels/root_channel", Some(&alice), Some(edit.clone()))
            .await?
            .0,
        403
    );
    assert_eq!(
        api.call(Method::PUT, "/api/v1/video-channels/root_channel", Some(&root), Some(edit)).await?.0,
        204
    );
    let (_, channels) = api.get("/api/v1/accounts/alice/video-channels", None).await?;
    assert_eq!(channels["total"], 2);

    // Videos: listed, searchable, another user's video is not theirs to edit, names are bounded.
    let (_, list) = api.get("/api/v1/videos?count=15&sort=-publishedAt", None).await?;
    assert_eq!(list["total"], 2);
    let (_, found) = api.get("/api/v1/search/videos?search=seeded", None).await?;
    assert_eq!(found["total"], 2);
    let video_path = format!("/api/v1/videos/{public}");
    assert_eq!(
        api.call(Method::PUT, &video_path, Some(&alice), Some(json!({"name": "Mine now"}))).await?.0,
        403
    );
    let (status, problem) =
        api.call(Method::PUT, &video_path, Some(&root), Some(json!({"name": "x".repeat(121)}))).await?;
    assert_eq!(status, 400);
    assert_eq!(
        problem["invalid-params"]["name"]["msg"],
        "Should have a video name between 3 and 120 characters long"
    );
    let (status, _) = api
        .call(Method::PUT, &format!("/api/v1/videos/{private}"), Some(&root), Some(json!({"privacy": 3})))
        .await?;
    assert_eq!(status, 204);
    assert_eq!(api.get(&format!("/api/v1/videos/{private}"), None).await?.0, 401);
    assert_eq!(api.get(&format!("/api/v1/videos/{private}"), Some(&alice)).await?.0, 403);
    assert_eq!(api.get(&format!("/api/v1/videos/{private}"), Some(&root)).await?.0, 200);

    // Comments and ratings.
    let threads = format!("{video_path}/comment-threads");
    let (status, comment) =
        api.call(Method::POST, &threads, Some(&alice), Some(json!({"text": "Lovely bunny"}))).await?;
    assert_eq!(status, 200, "{comment}");
    let comment_id = comment["comment"]["id"].as_i64().context("comment id")?;
    let reply = json!({"text": "Thanks!"});
    assert_eq!(
        api.call(Method::POST, &format!("{video_path}/comments/{comment_id}"), Some(&root), Some(reply))
            .await?
            .0,
        200
    );
    let (_, listed) = api.get(&threads, None).await?;
    assert_eq!((listed["total"].as_i64(), listed["data"][0]["totalReplies"].as_i64()), (Some(1), Some(1)));
    assert_eq!(
        api.call(Method::PUT, &format!("{video_path}/rate"), Some(&alice), Some(json!({"rating": "like"})))
            .await?
            .0,
        204
    );
    assert_eq!(api.get(&video_path, None).await?.1["likes"], 1);

    // Views: three viewers, one of them five times, reach D1 once the counter's alarm flushes.
    for (address, times) in [("198.51.100.1", 5), ("198.51.100.2", 1), ("198.51.100.3", 1)] {
        for _ in 0..times {
            let response = api
                .client
                .post(instance.url(&format!("{video_path}/views")))
                .header("cf-connecting-ip", address)
                .json(&json!({"currentTime": 2}))
                .send()
                .await?;
            assert_eq!(response.status(), 204);
        }
    }
    let started = Instant::now();
    let mut views = Value::Null;
    while started.elapsed() < Duration::from_secs(60) {
        views = api.get(&video_path, None).await?.1["views"].clone();
        if views.as_i64().is_some_and(|v| v > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // The seeded video starts with 0 views.
    assert_eq!(views, 3, "views after the flush; log:\n{}", instance.log_tail());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_tokens_and_oversized_bodies_are_refused() -> Result<()> {
    let instance = Instance::start().await?;
    let api = Api { instance: &instance, client: reqwest::Client::new() };
    let root = api.login("root", &instance.admin_password()?).await?;
    assert_eq!(api.get("/api/v1/users/me", Some(&root)).await?.0, 200);

    // A token whose day is over: stored as PeerTube's would be after 24 h, only its hash known.
    let expired = "0123456789abcdef0123456789abcdef01234567";
    let hash: String = Sha256::digest(expired.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    instance.execute_sql(&format!(
        "INSERT INTO oauth_tokens (access_token_hash, refresh_token_hash, access_expires_at, refresh_expires_at, \
         user_id, client_id, created_at) VALUES ('{hash}', 'r-{hash}', 1000, 2000, 1, 1, 0);"
    ))?;
    let (status, problem) = api.get("/api/v1/users/me", Some(expired)).await?;
    assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_token")), "{problem}");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("expired"), "{problem}");

    // A 2 MB JSON body is refused from its announced length, before a byte of it is read. The
    // body is announced and never sent: a client still sending when the server answers and
    // closes may lose the answer to the connection's reset, which would test the network.
    assert_eq!(status_of_announced_body(&instance, &root, 2 * 1024 * 1024).await?, 413);
    Ok(())
}

/// The status of `PUT /api/v1/users/me` announcing `length` bytes of JSON and sending none.
async fn status_of_announced_body(instance: &Instance, token: &str, length: usize) -> Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", instance.port)).await?;
    let head = format!(
        "PUT /api/v1/users/me HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        instance.port
    );
    socket.write_all(head.as_bytes()).await?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            let n = socket.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read).await??;
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context(format!("no status in {line:?}"))
}

/// `wrangler dev` has no R2 S3 endpoint, so the direct upload path is off there and says so. A Spin
/// instance always has an S3 store (its media live there), so there the path works end to end:
/// the one part goes to the presigned URL of the real S3 server, which checks our signature.
#[tokio::test(flavor = "multi_thread")]
async fn direct_uploads_answer_501_without_r2_credentials() -> Result<()> {
    let instance = Instance::start().await?;
    let api = Api { instance: &instance, client: reqwest::Client::new() };
    let root = api.login("root", &instance.admin_password()?).await?;
    let body = json!({"name": "Direct", "channelId": 1, "filename": "clip.mp4"});
    if instance.platform == Platform::Spin {
        let (_, channel) = api.get("/api/v1/video-channels/root_channel", None).await?;
        let body = json!({"name": "Direct", "channelId": channel["id"], "filename": "clip.mp4"});
        let file = vec![7_u8; 1000];
        let created = api
            .client
            .post(instance.url("/api/v1/videos/upload-direct"))
            .bearer_auth(&root)
            .header("x-upload-content-length", file.len())
            .json(&body)
            .send()
            .await?;
        let status = created.status();
        let answer: serde_json::Value = created.json().await?;
        assert_eq!(status, 201, "{answer}");
        let upload = answer["uploadId"].as_str().context("uploadId")?;
        let url = answer["parts"][0]["url"].as_str().context("part URL")?;
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let put = api.client.put(url).body(file).send().await?;
        assert!(put.status().is_success(), "{}", put.text().await?);
        let etag = put.headers().get("etag").context("no ETag")?.to_str()?.to_owned();
        let parts = json!({"parts": [{"partNumber": 1, "etag": etag}]});
        let path = format!("/api/v1/videos/upload-direct/{upload}/complete");
        let (status, done) = api.call(Method::POST, &path, Some(&root), Some(parts)).await?;
        assert_eq!(status, 200, "{done}");
        assert!(done["video"]["uuid"].is_string(), "{done}");
        return Ok(());
    }
    let (status, answer) =
        api.call(Method::POST, "/api/v1/videos/upload-direct", Some(&root), Some(body)).await?;
    assert_eq!((status, answer["code"].as_str()), (501, Some("direct_upload_disabled")), "{answer}");
    let (status, _) = api
        .call(Method::POST, "/api/v1/videos/upload-direct/x/complete", Some(&root), Some(json!({})))
        .await?;
    assert_eq!(status, 501);
    Ok(())
}
