//! The port conformance suite (`edgetube-ports-conformance`) through the real Worker: the
//! bundle under `wrangler dev` runs every check against D1, KV, R2, the queue, its Durable
//! Objects and WebCrypto (`POST /_edgetube/conformance`, mounted for local runs only) and answers
//! the report; every check must pass. The same checks run natively in that crate's own tests.

use std::time::Duration;

use anyhow::{Context, Result};
use edgetube_e2e::Instance;
use serde_json::Value;

async fn run_suite(instance: &Instance) -> Result<Value> {
    let response = reqwest::Client::new()
        .post(instance.url("/_edgetube/conformance"))
        .timeout(Duration::from_secs(300))
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(status.is_success(), "POST /_edgetube/conformance: {status}: {body}");
    serde_json::from_str(&body).with_context(|| format!("not a report: {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_bindings_pass_the_port_conformance_suite() -> Result<()> {
    let instance = Instance::start().await?;
    // Twice: each run writes under its own prefix and cleans up, so reruns against one
    // instance (and its persisted state) must pass too.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let report = run_suite(&instance).await?;
        let results = report["results"].as_array().context("no results")?.clone();
        for result in &results {
            let mark = if result["passed"] == true { "ok  " } else { "FAIL" };
            println!(
                "{mark} {}: {}",
                result["name"].as_str().unwrap_or("?"),
                result["detail"].as_str().unwrap_or("")
            );
        }
        let failed: Vec<String> = results
            .iter()
            .filter(|r| r["passed"] != true)
            .map(|r| format!("{}: {}", r["name"], r["detail"]))
            .collect();
        assert!(results.len() > 30, "only {} checks ran", results.len());
        assert!(failed.is_empty(), "checks failed against the real bindings:\n{}", failed.join("\n"));
        runs.push(report["run"].as_str().unwrap_or_default().to_owned());
    }
    assert_ne!(runs[0], runs[1], "two runs shared a prefix");

    // Only the POST is mounted; a GET is the app's.
    let get = reqwest::get(instance.url("/_edgetube/conformance")).await?;
    assert_eq!(get.status(), 404);
    Ok(())
}
