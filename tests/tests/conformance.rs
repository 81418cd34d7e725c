//! The port conformance suite (`edgetube-ports-conformance`) through the real Worker: the
//! bundle under `wrangler dev` runs every check against D1, KV, R2, the queue, its Durable
//! Objects and WebCrypto (`POST /_edgetube/conformance`, mounted for local runs only) and answers
//! the report; every check must pass. The same checks run natively in that crate's own tests.
//!
//! The outbound HTTP checks need a server: [`serve_http_target`] runs one on loopback, answering
//! the paths `edgetube_ports_conformance::HttpTarget` documents, and the Worker's `fetch` talks
//! to it.

use std::time::Duration;

use anyhow::{Context, Result};
use edgetube_e2e::Instance;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `b'a' + i % 26`, as `edgetube_ports_conformance::pattern` (not a dependency of this crate).
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// A loopback HTTP/1.1 server for the HTTP client checks; stops when the task is aborted.
async fn serve_http_target() -> Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // A client that gave up (the size and time checks do) resets the connection.
                let _ = answer(stream).await;
            });
        }
    });
    Ok((base, task))
}

/// One request, one response, then the connection closes.
async fn answer(mut stream: TcpStream) -> Result<()> {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        anyhow::ensure!(head.len() < 16 * 1024, "request head too long");
        anyhow::ensure!(stream.read(&mut byte).await? == 1, "closed in the head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    };
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let number = |prefix: &str| path.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok());
    let close = "connection: close\r\n";
    if let Some(n) = number("/bytes/") {
        stream.write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n{close}\r\n").as_bytes()).await?;
        stream.write_all(&pattern(n)).await?;
    } else if let Some(n) = number("/chunked/") {
        stream
            .write_all(format!("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n{close}\r\n").as_bytes())
            .await?;
        for chunk in pattern(n).chunks(64 * 1024) {
            stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await?;
        }
        stream.write_all(b"0\r\n\r\n").await?;
    } else if let Some(ms) = number("/slow/") {
        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        stream
            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n{close}\r\nlate").as_bytes())
            .await?;
    } else if let Some(code) = number("/status/") {
        stream
            .write_all(format!("HTTP/1.1 {code} Status\r\ncontent-length: 0\r\n{close}\r\n").as_bytes())
            .await?;
    } else if method == "POST" && path == "/echo" {
        let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        anyhow::ensure!(length <= 1 << 20, "echo body too long");
        let mut body = vec![0_u8; length];
        stream.read_exact(&mut body).await?;
        let probe = header("x-probe").unwrap_or_default();
        stream
            .write_all(
                format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\nx-probe: {probe}\r\n{close}\r\n")
                    .as_bytes(),
            )
            .await?;
        stream.write_all(&body).await?;
    } else {
        stream
            .write_all(format!("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n{close}\r\n").as_bytes())
            .await?;
    }
    stream.flush().await?;
    Ok(())
}

async fn run_suite(instance: &Instance, http_target: &str) -> Result<Value> {
    let response = reqwest::Client::new()
        .post(instance.url("/_edgetube/conformance"))
        .query(&[("http_target", http_target)])
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
    let (http_target, server) = serve_http_target().await?;
    // Twice: each run writes under its own prefix and cleans up, so reruns against one
    // instance (and its persisted state) must pass too.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let report = run_suite(&instance, &http_target).await?;
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
        let http_checks = results
            .iter()
            .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("http_client.")))
            .count();
        assert_eq!(http_checks, 6, "the outbound HTTP checks did not all run");
        assert!(failed.is_empty(), "checks failed against the real bindings:\n{}", failed.join("\n"));
        runs.push(report["run"].as_str().unwrap_or_default().to_owned());
    }
    assert_ne!(runs[0], runs[1], "two runs shared a prefix");

    // Only the POST is mounted; a GET is the app's.
    let get = reqwest::get(instance.url("/_edgetube/conformance")).await?;
    assert_eq!(get.status(), 404);
    server.abort();
    Ok(())
}
