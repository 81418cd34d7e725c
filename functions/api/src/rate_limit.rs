//! Per-client request limits, as PeerTube applies them (API calls, login attempts).

use crate::Problem;
use bytes::Bytes;
use edgetube_domain::RateLimit;
use edgetube_ports::{Ports, RateDecision};
use http::{HeaderValue, Request, Response, StatusCode};

/// The client's address as the edge saw it. Only `CF-Connecting-IP` is trusted: Cloudflare sets
/// it and overwrites any value a client sends; `X-Forwarded-For` is the client's to forge.
pub fn client_address(request: &Request<Bytes>) -> &str {
    request.headers().get("cf-connecting-ip").and_then(|v| v.to_str().ok()).unwrap_or("unknown")
}

/// Counts this request in `scope` for its client. A refusal is the 429 to send; an unavailable
/// limiter lets the request through, because losing the limiter must not take the API down.
pub async fn check(
    ports: &Ports<'_>,
    scope: &str,
    limit: RateLimit,
    request: &Request<Bytes>,
) -> Result<Option<RateDecision>, Response<Bytes>> {
    let key = format!("{scope}:{}", client_address(request));
    let now = ports.clock.now_millis();
    let Ok(decision) = ports.rate_limiter.hit(&key, limit.max, limit.window_seconds, now).await else {
        return Ok(None);
    };
    if decision.allowed {
        return Ok(Some(decision));
    }
    let mut response =
        Problem::new(StatusCode::TOO_MANY_REQUESTS, "You have been rate limited, please try again later")
            .into_response();
    let retry_after = ((decision.reset_at_millis - now).max(0) + 999) / 1000;
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(http::header::RETRY_AFTER, value);
    }
    add_headers(&mut response, &decision);
    Err(response)
}

/// PeerTube's `X-RateLimit-*` headers (reset in epoch seconds).
pub fn add_headers<B>(response: &mut Response<B>, decision: &RateDecision) {
    let values = [
        ("x-ratelimit-limit", decision.limit.to_string()),
        ("x-ratelimit-remaining", decision.remaining.to_string()),
        ("x-ratelimit-reset", (decision.reset_at_millis / 1000).to_string()),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
}
