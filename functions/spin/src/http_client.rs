//! The outbound HTTP port on `wasi:http/outgoing-handler` (Spin's `allowed_outbound_hosts` apply),
//! with the port's size and time limits.

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::http_client::{read_body, within};
use edgetube_ports::{HttpClient, HttpLimits, PortError};
use futures::StreamExt;
use spin_sdk::http::IncomingResponse;

use crate::deadline::Deadline;

/// Outbound HTTP through Spin, within the caller's [`HttpLimits`].
pub struct SpinHttp;

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("http", e.to_string())
}

/// Sends `request` and returns the response with its body unread (the caller keeps the
/// `IncomingResponse` alive while reading: dropping it cancels the transfer).
///
/// A body goes out with its length declared, as `fetch` does on Workers: WASI sends a body
/// without `Content-Length` chunked, which some servers refuse (s3s answers 411 to a chunked
/// CompleteMultipartUpload) or read as empty.
pub async fn send_raw(mut request: http::Request<Vec<u8>>) -> Result<IncomingResponse, PortError> {
    let method = request.method();
    let declare = !request.body().is_empty()
        || *method == http::Method::PUT
        || *method == http::Method::POST
        || *method == http::Method::PATCH;
    if declare && !request.headers().contains_key(http::header::CONTENT_LENGTH) {
        let length = http::HeaderValue::from(request.body().len());
        request.headers_mut().insert(http::header::CONTENT_LENGTH, length);
    }
    // WASI refuses these in outgoing headers: the host sets them itself (`Host` from the URL's
    // authority, which is what a signature over `host` covers).
    for name in ["host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"] {
        request.headers_mut().remove(name);
    }
    spin_sdk::http::send::<_, IncomingResponse>(request).await.map_err(unavailable)
}

/// The response's status and headers as `http` types.
pub fn head_of(response: &IncomingResponse) -> Result<http::response::Builder, PortError> {
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    Ok(builder)
}

async fn fetch(
    request: http::Request<Bytes>,
    limits: HttpLimits,
) -> Result<http::Response<Bytes>, PortError> {
    let (parts, body) = request.into_parts();
    let request = http::Request::from_parts(parts, body.to_vec());
    let response = send_raw(request).await?;
    let builder = head_of(&response)?;
    let empty = http::HeaderMap::new();
    let received = builder.headers_ref().unwrap_or(&empty).clone();
    let chunks = response.take_body_stream().map(|chunk| chunk.map_err(|e| unavailable(e.to_debug_string())));
    let body = read_body(&received, chunks, limits).await?;
    builder.body(body).map_err(unavailable)
}

#[async_trait(?Send)]
impl HttpClient for SpinHttp {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        limits: HttpLimits,
    ) -> Result<http::Response<Bytes>, PortError> {
        // Dropping the unfinished transfer when the deadline wins cancels it in the host.
        within(fetch(request, limits), Deadline::after_millis(limits.timeout_ms), limits).await
    }
}
