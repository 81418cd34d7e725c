//! Requests and responses between Spin's WASI 0.2 HTTP types and the core's `http` types, with
//! bodies streamed both ways (media responses are never read whole).

use bytes::Bytes;
use edgetube_app::{Body, BodyError};
use futures::{SinkExt, StreamExt};
use send_wrapper::SendWrapper;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};

/// The request with its body still unread: the core streams the large bodies and reads the others.
pub fn into_http(request: IncomingRequest) -> Result<http::Request<Body>, String> {
    let method = request.method().to_string();
    let path = request.path_with_query().unwrap_or_else(|| "/".to_owned());
    let mut builder = http::Request::builder().method(method.as_str()).uri(path);
    let headers = request.headers().entries();
    // WASI carries `Host` as the request's authority, not among its headers; the core reads it.
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        if let Some(authority) = request.authority() {
            builder = builder.header(http::header::HOST, authority);
        }
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    // `SendWrapper` is sound here: a Spin component runs on one thread, so the stream never
    // leaves it (the core's bodies are `Send` for multipart parsing).
    let stream = request
        .into_body_stream()
        .map(|chunk| chunk.map(Bytes::from).map_err(|e| BodyError(e.to_debug_string())));
    builder.body(Body::stream(send_stream(stream))).map_err(|e| e.to_string())
}

/// A `!Send` stream the single-threaded component may hand to the core as `Send`.
struct SendStream<S>(SendWrapper<std::pin::Pin<Box<S>>>);

impl<S: futures::Stream> futures::Stream for SendStream<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

/// Wraps a stream of this component (outbound bodies) for the `Send` bodies of the core.
pub fn send_stream<S: futures::Stream>(stream: S) -> impl futures::Stream<Item = S::Item> + Send {
    SendStream(SendWrapper::new(Box::pin(stream)))
}

/// Sends `response`, streaming its body when it is a stream.
pub async fn send(out: ResponseOutparam, response: http::Response<Body>) {
    let (parts, body) = response.into_parts();
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let outgoing = OutgoingResponse::new(Fields::from_list(&headers).unwrap_or_else(|_| Fields::new()));
    if outgoing.set_status_code(parts.status.as_u16()).is_err() {
        eprintln!("status {} refused by the host", parts.status);
    }
    let mut sink = outgoing.take_body();
    out.set(outgoing);
    let written = match body {
        Body::Full(bytes) if bytes.is_empty() => Ok(()),
        Body::Full(bytes) => sink.send(bytes.to_vec()).await,
        Body::Stream(mut stream) => {
            let mut result = Ok(());
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => {
                        if let Err(e) = sink.send(chunk.to_vec()).await {
                            result = Err(e);
                            break;
                        }
                    }
                    Err(e) => {
                        // Headers are gone already: all that is left is to cut the body short,
                        // which the client sees as a truncated response.
                        eprintln!("response body failed mid-stream: {}", e.0);
                        break;
                    }
                }
            }
            result
        }
    };
    if let Err(e) = written {
        eprintln!("response body not fully sent: {e:?}");
    }
}

/// Sends a plain-text response (errors before the core is reached).
pub async fn send_text(out: ResponseOutparam, status: u16, text: &str) {
    let response = http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::Full(Bytes::from(text.to_owned())));
    match response {
        Ok(response) => send(out, response).await,
        Err(e) => eprintln!("could not build a {status} response: {e}"),
    }
}
