//! The outbound HTTP port on the Workers `fetch`, with the port's size and time limits.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::http_client::{read_body, within};
use edgetube_ports::{HttpClient, HttpLimits, PortError};
use futures::StreamExt;
use worker::{AbortController, AbortSignal, Delay, Fetch, Headers, Method, Request, RequestInit};

/// Outbound HTTP through the Workers `fetch`, within the caller's [`HttpLimits`].
pub struct WorkersFetch;

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("http", e.to_string())
}

#[async_trait(?Send)]
impl HttpClient for WorkersFetch {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        limits: HttpLimits,
    ) -> Result<http::Response<Bytes>, PortError> {
        let controller = AbortController::default();
        let signal = controller.signal();
        // `setTimeout` takes an i32 of milliseconds.
        let deadline = Delay::from(Duration::from_millis(limits.timeout_ms.min(i32::MAX as u64)));
        let result = within(fetch(request, &signal, limits), deadline, limits).await;
        if result.is_err() {
            // The deadline or the cap gave up on a transfer that may still be running: abort it so
            // its connection (a Worker has 6) is freed and no more bytes arrive. Only after `within`
            // has returned: `worker::ByteStream` reports an aborted body as a clean end, which must
            // never pass for a complete one.
            controller.abort();
        }
        result
    }
}

async fn fetch(
    request: http::Request<Bytes>,
    signal: &AbortSignal,
    limits: HttpLimits,
) -> Result<http::Response<Bytes>, PortError> {
    let (parts, body) = request.into_parts();
    let headers = Headers::new();
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            headers.append(name.as_str(), value).map_err(unavailable)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(parts.method.as_str().to_owned())).with_headers(headers);
    if !body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(&body[..]).into()));
    }
    let request = Request::new_with_init(&parts.uri.to_string(), &init).map_err(unavailable)?;
    let mut response = Fetch::Request(request).send_with_signal(signal).await.map_err(unavailable)?;
    let mut builder = http::Response::builder().status(response.status_code());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    let empty = http::HeaderMap::new();
    let received = builder.headers_ref().unwrap_or(&empty).clone();
    // Read as a stream, never with `bytes()`: `read_body` refuses an announced length over the cap
    // and stops reading at the cap.
    let body = match response.stream() {
        Ok(stream) => read_body(&received, stream.map(|chunk| chunk.map_err(unavailable)), limits).await?,
        // No body at all (204, 304, HEAD).
        Err(_) => Bytes::new(),
    };
    builder.body(body).map_err(unavailable)
}
