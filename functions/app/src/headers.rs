//! Headers every answer carries (CORS, `nosniff`, framing) and the CORS preflight.

use http::header::{HeaderMap, HeaderValue};

/// Headers on every answer, media included.
///
/// CORS is open to any origin (players and apps live elsewhere), as PeerTube's `cors()` sends it,
/// and without `Access-Control-Allow-Credentials`: browsers refuse credentials with a wildcard
/// origin anyway, and the API authenticates with bearer tokens, never cookies. `nosniff` because
/// originals are files users uploaded, served from our own origin: a browser must take them for
/// the type we declare, never guess HTML or script from their bytes. No framing, but for embeds.
pub fn add_common(headers: &mut HeaderMap) {
    let fixed = [
        ("access-control-allow-origin", "*"),
        ("access-control-expose-headers", "Retry-After, Location, Range, ETag"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("x-powered-by", "Edgetube"),
    ];
    // An embed allows framing by any page through CSP's `frame-ancestors`; `DENY` beside it would
    // contradict it for browsers that only know X-Frame-Options.
    let framable = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|csp| csp.contains("frame-ancestors"));
    for (name, value) in fixed {
        if name == "x-frame-options" && framable {
            continue;
        }
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
