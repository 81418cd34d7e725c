//! A bucket on 127.0.0.1 that takes presigned `PUT`s as R2's S3 endpoint does: a request without
//! a signature, or with the signature `expired`, is 403; a `PUT` without `Content-Length` is 411
//! (S3 takes no chunked upload). It keeps what it was sent, and stops when dropped.

#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;

/// One request the bucket saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// Whether a runner or job token came along (it must not).
    pub had_token: bool,
    pub body: Vec<u8>,
}

pub struct FakeBucket {
    pub origin: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeBucket {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeBucket {
    pub async fn start() -> FakeBucket {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let log = log.clone();
            async move {
                let (parts, body) = request.into_parts();
                let query = parts.uri.query().unwrap_or("").to_owned();
                let signed = query.contains("X-Amz-Signature=") && !query.contains("X-Amz-Signature=expired");
                let header =
                    |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let has_length = header("content-length").is_some();
                let mut seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    status: 200,
                    content_type: header("content-type"),
                    had_token: header("x-runner-token").is_some()
                        || header("x-job-token").is_some()
                        || header("authorization").is_some(),
                    body: Vec::new(),
                };
                seen.body = axum::body::to_bytes(body, 64 << 20).await.unwrap_or_default().to_vec();
                seen.status = match (signed, has_length) {
                    (false, _) => 403,
                    (true, false) => 411,
                    (true, true) => 200,
                };
                let status = StatusCode::from_u16(seen.status).expect("status");
                log.lock().expect("log").push(seen);
                Response::builder()
                    .status(status)
                    .header("etag", "\"e\"")
                    .body(Body::empty())
                    .expect("response")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds to loopback");
        let origin = format!("http://{}", listener.local_addr().expect("has an address"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serves");
        });
        FakeBucket { origin, seen, server }
    }

    pub fn seen(&self) -> MutexGuard<'_, Vec<Seen>> {
        self.seen.lock().expect("log")
    }
}
