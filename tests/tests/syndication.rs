//! Feeds and oEmbed against the real worker under wrangler dev: a video uploaded, transcoded by
//! the real runner and published, then read back from the instance, channel and account feeds
//! by a real feed reader (Python's `feedparser`, for RSS and Atom; it has no JSON Feed support
//! in any release, so the JSON feeds are checked against the JSON Feed fields here), with its
//! enclosure fetched; oEmbed's JSON; and the subscriptions feed with a real feed token.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use edgetube_e2e::{repo_root, shared_dir, Instance, RunnerProcess};
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "e2e-admin-password";

/// What feedparser sends as `Accept` (its `ACCEPT_HEADER`), so the server negotiates as it
/// would for the real reader.
const FEED_READER_ACCEPT: &str = "application/atom+xml,application/rdf+xml,application/rss+xml,\
     application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1";

/// Reads the feed at `path` with feedparser: `{version, bozo, title, entries: [{title, link,
/// enclosures: [{href, type, length}]}]}`.
const READ_FEED: &str = r#"
import feedparser, json, sys
d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "version": d.version,
    "bozo": bool(d.bozo),
    "problem": str(d.get("bozo_exception", "")),
    "title": d.feed.get("title"),
    "entries": [
        {"title": e.get("title"), "link": e.get("link"),
         "enclosures": [{"href": x.get("href"), "type": x.get("type"), "length": x.get("length")}
                        for x in e.get("enclosures", [])]}
        for e in d.entries
    ],
}))
"#;

fn feedparser(file: &Path) -> Result<Value> {
    let python = repo_root().join(".venv/bin/python");
    let output =
        Command::new(&python).arg("-c").arg(READ_FEED).arg(file).output().with_context(|| {
            format!("running {} (scripts/setup.sh installs feedparser)", python.display())
        })?;
    ensure!(output.status.success(), "feedparser: {}", String::from_utf8_lossy(&output.stderr));
    Ok(serde_json::from_slice(&output.stdout)?)
}

async fn login(instance: &Instance) -> Result<String> {
    instance.login("root", ADMIN_PASSWORD).await
}

async fn get_json(client: &reqwest::Client, url: &str, token: Option<&str>) -> Result<(u16, Value)> {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).with_context(|| format!("{url}: {text}"))?))
}

/// Fetches a feed as a feed reader does, saves it, and checks its `Content-Type` family.
async fn fetch_feed(
    instance: &Instance,
    path: &str,
    dir: &Path,
    expected_type: &str,
) -> Result<std::path::PathBuf> {
    let response =
        reqwest::Client::new().get(instance.url(path)).header("accept", FEED_READER_ACCEPT).send().await?;
    ensure!(response.status() == 200, "{path}: {}", response.status());
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    ensure!(content_type.starts_with(expected_type), "{path}: Content-Type {content_type}");
    let cache =
        response.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    ensure!(cache == "max-age=900", "{path}: Cache-Control {cache}");
    let file = dir.join(path.trim_start_matches('/').replace(['/', '?', '=', '&'], "_"));
    std::fs::write(&file, response.bytes().await?)?;
    Ok(file)
}

/// Checks that a feedparser reading lists the video with the largest rendition as enclosure.
fn check_entry(
    path: &str,
    reading: &Value,
    version: &str,
    watch: &str,
    enclosure: &str,
    size: u64,
) -> Result<()> {
    ensure!(reading["bozo"] == false, "{path}: not well formed: {}", reading["problem"]);
    ensure!(reading["version"] == version, "{path}: read as {}", reading["version"]);
    let entries = reading["entries"].as_array().context("entries")?;
    ensure!(entries.len() == 1, "{path}: {reading}");
    let entry = &entries[0];
    ensure!(entry["title"] == "Feed video" && entry["link"] == watch, "{path}: {entry}");
    let expected = json!([{"href": enclosure, "type": "video/mp4", "length": size.to_string()}]);
    ensure!(
        entry["enclosures"] == expected,
        "{path}: enclosures {} (expected {expected})",
        entry["enclosures"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_list_the_published_video_with_its_enclosure_and_oembed_embeds_it() -> Result<()> {
    let instance = Instance::start().await?;
    let admin = login(&instance).await?;
    let runner = RunnerProcess::start(&instance, "runner-feeds", &[])?;
    let client = reqwest::Client::new();
    let (_, me) = get_json(&client, &instance.url("/api/v1/users/me"), Some(&admin)).await?;
    let channel = me["videoChannels"][0]["id"].as_i64().context("channel")?;
    let account = me["account"]["id"].as_i64().context("account")?;
    let uuid = instance
        .upload_video(&admin, &shared_dir().join("fixtures/video/video_short.mp4"), "Feed video")
        .await?;
    let details =
        instance.wait_published(Some(&admin), &uuid, Duration::from_secs(300), || runner.log()).await?;
    let largest = details["streamingPlaylists"][0]["files"]
        .as_array()
        .context("files")?
        .iter()
        .max_by_key(|f| f["resolution"]["id"].as_i64())
        .context("no file")?
        .clone();
    let enclosure = largest["fileUrl"].as_str().context("fileUrl")?;
    let size = largest["size"].as_u64().context("size")?;
    let watch = instance.url(&format!("/videos/watch/{uuid}"));

    // The enclosure is the real file: an MP4 a podcast client can download.
    let head = client.get(enclosure).header("range", "bytes=0-7").send().await?;
    ensure!(head.status() == 206, "{enclosure}: {}", head.status());
    ensure!(&head.bytes().await?[4..8] == b"ftyp", "{enclosure} is not an MP4");

    let dir = tempfile::tempdir()?;
    let owners = [String::new(), format!("?videoChannelId={channel}"), format!("?accountId={account}")];
    for query in &owners {
        for (ext, version, content_type) in
            [("xml", "rss20", "application/xml"), ("atom", "atom10", "application/atom+xml")]
        {
            let path = format!("/feeds/videos.{ext}{query}");
            let file = fetch_feed(&instance, &path, dir.path(), content_type).await?;
            check_entry(&path, &feedparser(&file)?, version, &watch, enclosure, size)?;
        }
        let path = format!("/feeds/videos.json{query}");
        let file = fetch_feed(&instance, &path, dir.path(), "application/json").await?;
        let feed: Value = serde_json::from_slice(&std::fs::read(&file)?)?;
        ensure!(
            feed["version"] == "https://jsonfeed.org/version/1" && feed["title"].is_string(),
            "{path}: {feed}"
        );
        let item = &feed["items"][0];
        ensure!(
            feed["items"].as_array().map(Vec::len) == Some(1) && item["url"] == watch.as_str(),
            "{path}: {feed}"
        );
        ensure!(
            item["attachments"][0]["url"] == enclosure && item["attachments"][0]["size_in_bytes"] == size,
            "{path}: {item}"
        );
    }

    // oEmbed: PeerTube's JSON, an iframe of the embed page, and a preview that exists.
    let short = details["shortUUID"].as_str().context("shortUUID")?;
    let target = instance.url(&format!("/w/{short}"));
    let oembed_url = reqwest::Url::parse_with_params(
        &instance.url("/services/oembed"),
        &[("url", target.as_str()), ("format", "json")],
    )?;
    let (status, oembed) = get_json(&client, oembed_url.as_str(), None).await?;
    ensure!(status == 200, "oembed: {status} {oembed}");
    let keys: Vec<&str> = oembed.as_object().context("object")?.keys().map(String::as_str).collect();
    ensure!(
        keys == [
            "type",
            "version",
            "html",
            "width",
            "height",
            "title",
            "author_name",
            "author_url",
            "provider_name",
            "provider_url",
            "thumbnail_url",
            "thumbnail_width",
            "thumbnail_height"
        ],
        "oembed keys: {keys:?}"
    );
    ensure!(
        oembed["type"] == "video" && oembed["version"] == "1.0" && oembed["provider_url"] == instance.origin,
        "{oembed}"
    );
    let html = oembed["html"].as_str().context("html")?;
    ensure!(html.contains(&format!("src=\"{}\"", instance.url(&format!("/videos/embed/{uuid}")))), "{html}");
    let thumbnail = oembed["thumbnail_url"].as_str().context("thumbnail_url")?;
    let image = client.get(thumbnail).send().await?.error_for_status()?.bytes().await?;
    ensure!(image.starts_with(&[0xff, 0xd8]), "{thumbnail} is not a JPEG");

    // The subscriptions feed: refused without the token or with a wrong one, listed with it.
    let response = client
        .post(instance.url("/api/v1/users/me/subscriptions"))
        .bearer_auth(&admin)
        .json(&json!({"uri": format!("root_channel@127.0.0.1:{}", instance.port)}))
        .send()
        .await?;
    ensure!(response.status() == 204, "subscribe: {}", response.status());
    let (status, _) = get_json(&client, &instance.url("/api/v1/users/scoped-tokens"), None).await?;
    ensure!(status == 401, "scoped tokens without a login: {status}");
    let (_, tokens) = get_json(&client, &instance.url("/api/v1/users/scoped-tokens"), Some(&admin)).await?;
    let token = tokens["feedToken"].as_str().context("feedToken")?;
    let feed =
        |token: &str| instance.url(&format!("/feeds/subscriptions.xml?accountId={account}&token={token}"));
    let (status, problem) = get_json(&client, &feed("wrong"), None).await?;
    ensure!(status == 403 && problem["detail"] == "User and token mismatch", "{status} {problem}");
    let (status, _) =
        get_json(&client, &instance.url(&format!("/feeds/subscriptions.xml?accountId={account}")), None)
            .await?;
    ensure!(status == 400, "without a token: {status}");
    let path = format!("/feeds/subscriptions.xml?accountId={account}&token={token}");
    let file = fetch_feed(&instance, &path, dir.path(), "application/xml").await?;
    check_entry(&path, &feedparser(&file)?, "rss20", &watch, enclosure, size)?;
    Ok(())
}
