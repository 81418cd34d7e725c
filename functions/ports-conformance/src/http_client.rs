//! The outbound HTTP port against a server the caller runs ([`HttpTarget`]): what is within the
//! limits arrives whole with its status, and what is not (an announced or an undeclared length
//! past the cap, a response slower than the timeout) fails the way [`HttpClient`] documents.
//!
//! Only the caller can run the server (a Worker cannot listen), so these checks are not part of
//! [`run_all`](crate::run_all): the caller passes the target's base URL.

use bytes::Bytes;
use edgetube_ports::{Clock, HttpClient, HttpLimits, PortError};

use crate::{ensure, Failure, Report, Run};

/// A server the checks talk to, at `base` (`http://127.0.0.1:<port>`), answering:
/// - `GET /bytes/<n>`: 200 with `n` bytes `b'a' + i % 26` and a `Content-Length`;
/// - `GET /chunked/<n>`: the same bytes in chunked encoding, with no `Content-Length`;
/// - `GET /slow/<ms>`: 200 and a body only after `ms` milliseconds;
/// - `GET /status/<code>`: that status with an empty body;
/// - `POST /echo`: 200 with the request body, and its `x-probe` header back as `x-probe`.
pub struct HttpTarget {
    /// `scheme://host:port`, no trailing slash.
    pub base: String,
}

/// The body `/bytes/<n>` and `/chunked/<n>` send, for servers written against this suite.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Runs every HTTP client check against `target`.
pub async fn check_http_client(
    http: &dyn HttpClient,
    clock: &dyn Clock,
    run: &Run,
    target: &HttpTarget,
) -> Report {
    let mut report = Report::new(run);
    report.add("http_client.body_within_the_cap_arrives_whole", within_cap(http, target).await);
    report.add("http_client.announced_length_over_the_cap_fails", announced_over(http, target).await);
    report.add("http_client.undeclared_length_over_the_cap_fails", chunked_over(http, target).await);
    report.add("http_client.slow_response_times_out", slow(http, clock, target).await);
    report.add("http_client.error_status_is_a_response", status(http, target).await);
    report.add("http_client.request_body_and_headers_are_sent", echo(http, run, target).await);
    report
}

fn get(target: &HttpTarget, path: &str) -> Result<http::Request<Bytes>, Failure> {
    http::Request::get(format!("{}{path}", target.base))
        .body(Bytes::new())
        .map_err(|e| Failure(format!("cannot build GET {path}: {e}")))
}

async fn within_cap(http: &dyn HttpClient, target: &HttpTarget) -> Result<(), Failure> {
    for path in ["/bytes/3000", "/chunked/3000"] {
        let response = http.send(get(target, path)?, HttpLimits::new(3000, 10_000)).await?;
        ensure!(response.status() == 200, "GET {path}: status {}", response.status());
        ensure!(
            response.body()[..] == pattern(3000)[..],
            "GET {path}: {} bytes, not the 3000 sent",
            response.body().len()
        );
    }
    Ok(())
}

fn expect_limit(path: &str, result: Result<http::Response<Bytes>, PortError>) -> Result<(), Failure> {
    match result {
        Err(PortError::LimitExceeded { .. }) => Ok(()),
        Err(other) => Err(Failure(format!("GET {path} over the cap: {other}, not a limit error"))),
        Ok(response) => {
            Err(Failure(format!("GET {path} over a 1000-byte cap gave {} bytes", response.body().len())))
        }
    }
}

async fn announced_over(http: &dyn HttpClient, target: &HttpTarget) -> Result<(), Failure> {
    let path = "/bytes/3000";
    expect_limit(path, http.send(get(target, path)?, HttpLimits::new(1000, 10_000)).await)
}

async fn chunked_over(http: &dyn HttpClient, target: &HttpTarget) -> Result<(), Failure> {
    // 4 MiB undeclared: an adapter that buffers first and checks after would still pass a small
    // body, so the body is large enough that only stopping at the cap is cheap.
    let path = "/chunked/4194304";
    expect_limit(path, http.send(get(target, path)?, HttpLimits::new(1000, 10_000)).await)
}

async fn slow(http: &dyn HttpClient, clock: &dyn Clock, target: &HttpTarget) -> Result<(), Failure> {
    let path = "/slow/5000";
    let started = clock.now_millis();
    let result = http.send(get(target, path)?, HttpLimits::new(1000, 500)).await;
    let took = clock.now_millis() - started;
    ensure!(matches!(result, Err(PortError::Unavailable { .. })), "GET {path} with 500 ms: {result:?}");
    // Generous: the point is that the call does not wait for the 5 s answer.
    ensure!(took < 3000, "GET {path} with a 500 ms timeout took {took} ms");
    Ok(())
}

async fn status(http: &dyn HttpClient, target: &HttpTarget) -> Result<(), Failure> {
    for code in [404_u16, 503] {
        let path = format!("/status/{code}");
        let response = http.send(get(target, &path)?, HttpLimits::DOCUMENT).await?;
        ensure!(response.status() == code, "GET {path}: status {}", response.status());
    }
    Ok(())
}

async fn echo(http: &dyn HttpClient, run: &Run, target: &HttpTarget) -> Result<(), Failure> {
    let body = Bytes::from(format!("{{\"run\":\"{}\"}}", run.id));
    let request = http::Request::post(format!("{}/echo", target.base))
        .header("x-probe", run.id.as_str())
        .header("content-type", "application/activity+json")
        .body(body.clone())
        .map_err(|e| Failure(format!("cannot build POST /echo: {e}")))?;
    let response = http.send(request, HttpLimits::DOCUMENT).await?;
    ensure!(response.status() == 200, "POST /echo: status {}", response.status());
    ensure!(response.body() == &body, "POST /echo sent back {:?}", response.body());
    let probe = response.headers().get("x-probe").and_then(|v| v.to_str().ok());
    ensure!(probe == Some(run.id.as_str()), "POST /echo: x-probe came back as {probe:?}");
    Ok(())
}
