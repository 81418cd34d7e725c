//! The foundation, end to end: a real worker bundle under `wrangler dev` is discoverable the
//! way PeerTube instances are, by our own checks and by an independent ActivityPub
//! implementation (Fedify), and keeps its identity across restarts.

use std::time::Duration;

use anyhow::{Context, Result};
use edgetube_e2e::{run_with_timeout, shared_dir, Instance};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::Value;

const ACTIVITY_JSON: &str = "application/activity+json";

async fn get_json(url: &str, accept: &str) -> Result<(reqwest::header::HeaderMap, Value)> {
    let response = reqwest::Client::new().get(url).header("accept", accept).send().await?;
    anyhow::ensure!(response.status().is_success(), "GET {url}: {}", response.status());
    let headers = response.headers().clone();
    let body = response.text().await?;
    Ok((headers, serde_json::from_str(&body).with_context(|| format!("GET {url}: {body}"))?))
}

fn rsa_bits(pem: &str) -> Result<usize> {
    Ok(rsa::RsaPublicKey::from_public_key_pem(pem)?.size() * 8)
}

/// The actor documents behind WebFinger for the instance actor, the admin and its channel.
async fn actor_keys(instance: &Instance) -> Result<Vec<(String, String)>> {
    let authority = format!("127.0.0.1:{}", instance.port);
    let mut keys = Vec::new();
    for (handle, kind) in [("peertube", "Application"), ("root", "Person"), ("root_channel", "Group")] {
        let (_, jrd) = get_json(
            &instance.url(&format!("/.well-known/webfinger?resource=acct:{handle}@{authority}")),
            "application/json",
        )
        .await?;
        assert_eq!(jrd["subject"], format!("acct:{handle}@{authority}"));
        let href = jrd["links"]
            .as_array()
            .and_then(|links| links.iter().find(|l| l["rel"] == "self"))
            .and_then(|l| l["href"].as_str())
            .context("no self link")?
            .to_owned();
        let (headers, actor) = get_json(&href, ACTIVITY_JSON).await?;
        assert!(headers["content-type"].to_str()?.starts_with(ACTIVITY_JSON));
        assert_eq!(actor["type"], kind, "{handle}");
        assert_eq!(actor["id"], href.as_str());
        assert_eq!(actor["publicKey"]["id"], format!("{href}#main-key"));
        let pem = actor["publicKey"]["publicKeyPem"].as_str().context("no publicKeyPem")?;
        assert_eq!(rsa_bits(pem)?, 2048, "{handle}");
        keys.push((href, pem.to_owned()));
    }
    Ok(keys)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_instance_is_discoverable_like_peertube() -> Result<()> {
    let instance = Instance::start().await?;
    let keys = actor_keys(&instance).await?;

    // NodeInfo: discovery, then a 2.0 document with every field the schema requires.
    let (_, discovery) = get_json(&instance.url("/.well-known/nodeinfo"), "application/json").await?;
    let href = discovery["links"][0]["href"].as_str().context("no nodeinfo link")?;
    assert_eq!(discovery["links"][0]["rel"], "http://nodeinfo.diaspora.software/ns/schema/2.0");
    let (headers, nodeinfo) = get_json(href, "application/json").await?;
    assert!(headers["content-type"].to_str()?.contains("nodeinfo.diaspora.software/ns/schema/2.0"));
    assert_eq!(nodeinfo["version"], "2.0");
    let name = nodeinfo["software"]["name"].as_str().context("software.name")?;
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    );
    assert!(nodeinfo["software"]["version"].is_string());
    assert!(nodeinfo["protocols"].as_array().is_some_and(|p| p.iter().any(|p| p == "activitypub")));
    assert!(nodeinfo["services"]["inbound"].is_array() && nodeinfo["services"]["outbound"].is_array());
    assert!(nodeinfo["openRegistrations"].is_boolean());
    assert!(nodeinfo["usage"]["users"].is_object());
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);
    assert!(nodeinfo["metadata"].is_object());

    // host-meta points at WebFinger.
    let host_meta = reqwest::get(instance.url("/.well-known/host-meta")).await?.text().await?;
    assert!(host_meta
        .contains(&format!("template=\"{}/.well-known/webfinger?resource={{uri}}\"", instance.origin)));

    // /api/v1/config and /about answer with PeerTube 7's top-level keys.
    for (path, sample) in [("/api/v1/config", "config.json"), ("/api/v1/config/about", "config-about.json")] {
        let (_, ours) = get_json(&instance.url(path), "application/json").await?;
        let theirs: Value = serde_json::from_str(&std::fs::read_to_string(
            shared_dir().join("reference/peertube-samples/rest").join(sample),
        )?)?;
        let keys =
            |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(keys(&ours), keys(&theirs), "{path}");
    }

    // Collections in PeerTube's paging shape.
    let channel = &keys[2].0;
    let (_, followers) = get_json(&format!("{channel}/followers"), ACTIVITY_JSON).await?;
    assert_eq!(followers["type"], "OrderedCollection");
    assert_eq!(followers["first"], format!("{channel}/followers?page=1"));
    let (_, page) = get_json(&format!("{channel}/outbox?page=1"), ACTIVITY_JSON).await?;
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["partOf"], format!("{channel}/outbox"));

    // A browser gets a page; unknown actors get a problem document.
    let page = reqwest::Client::new().get(channel).header("accept", "text/html").send().await?;
    assert!(page.headers()["content-type"].to_str()?.starts_with("text/html"));
    let missing = reqwest::get(instance.url("/accounts/nobody")).await?;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-type"].to_str()?.starts_with("application/problem+json"));

    // An independent implementation (Fedify) finds the channel and the same key.
    let output =
        run_with_timeout("node", &["tests/e2e/fedify-lookup.mjs", channel], Duration::from_secs(60))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "fedify: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let found: Value = serde_json::from_str(stdout.trim())?;
    assert_eq!(found["webfinger"]["links"][0]["href"], channel.as_str());
    assert_eq!(found["object"]["type"], "Group");
    assert_eq!(found["object"]["id"], channel.as_str());
    assert_eq!(
        rsa::RsaPublicKey::from_public_key_pem(found["object"]["publicKeyPem"].as_str().context("pem")?)?,
        rsa::RsaPublicKey::from_public_key_pem(&keys[2].1)?,
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn restarting_keeps_the_identity() -> Result<()> {
    let state = tempfile::tempdir()?;
    let port = edgetube_e2e::free_port()?;
    let mut first = Instance::start_at(state.path(), port).await?;
    let before = actor_keys(&first).await?;
    first.stop();
    let second = Instance::start_at(state.path(), port).await?;
    let after = actor_keys(&second).await?;
    assert_eq!(before, after);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn api_calls_are_rate_limited_by_a_durable_object() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "API_RATE_LIMIT:5/60")]).await?;
    let client = reqwest::Client::new();
    // The harness's readiness probe already spent one call of the window.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(client.get(instance.url("/api/v1/config")).send().await?.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429], "{}", instance.log_tail());
    let refused = client.get(instance.url("/api/v1/config/about")).send().await?;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.headers()["x-ratelimit-limit"], "5");
    // Federation routes are not API calls.
    assert_eq!(client.get(instance.url("/.well-known/nodeinfo")).send().await?.status(), 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cron_trigger_runs_housekeeping() -> Result<()> {
    // The worker's console.log lines show from wrangler's "log" level on.
    let instance = Instance::start_with(&[("EDGETUBE_LOG_LEVEL", "log")]).await?;
    // wrangler dev --test-scheduled fires the Worker's scheduled event; Spin's tick does the same.
    let response = instance.run_scheduled().await?;
    assert_eq!(response.status(), 200, "{}", response.text().await?);
    let mut logged = false;
    for _ in 0..50 {
        if instance.log_tail().contains("housekeeping: 0 abandoned uploads removed, 0 stale jobs released") {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(logged, "no housekeeping line in the log:\n{}", instance.log_tail());
    Ok(())
}
