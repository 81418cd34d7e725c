use http::header::{HeaderMap, HeaderValue};

/// Headers on every answer: CORS open to any origin (players and apps live elsewhere), as
/// PeerTube sends them, and no framing of API answers.
pub fn add_common(headers: &mut HeaderMap) {
    let fixed = [
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "Retry-After, Location, Range, ETag"),
        ("x-frame-options", "DENY"),
        ("x-powered-by", "Edgetube"),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
}

/// The answer to a CORS preflight.
pub fn preflight() -> http::Response<bytes::Bytes> {
    http::Response::builder()
        .status(http::StatusCode::NO_CONTENT)
        .header("access-control-allow-methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
        .header(
            "access-control-allow-headers",
            "Authorization, Content-Type, Content-Range, X-Upload-Content-Length, X-Upload-Content-Type, \
             X-Peertube-Video-Password, Range",
        )
        .header("access-control-max-age", "86400")
        .body(bytes::Bytes::new())
        .unwrap_or_default()
}
