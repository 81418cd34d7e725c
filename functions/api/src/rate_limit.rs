//! Per-client request limits: API calls and login attempts as PeerTube applies them, and failed
//! video-password attempts, which PeerTube does not limit.

use crate::context::Ctx;
use crate::Problem;
use bytes::Bytes;
use edgetube_domain::RateLimit;
use edgetube_ports::{Ports, RateDecision};
use http::{HeaderValue, Request, Response};

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
    let mut response = Problem::rate_limited(now, decision.reset_at_millis).into_response();
    add_headers(&mut response, &decision);
    Err(response)
}

/// Limits failed video-password attempts on one video: per client address, and per video from
/// every address together (`InstanceConfig::video_password_rate_limit` and
/// `video_password_video_rate_limit`).
///
/// [`PasswordAttempt::start`] counts the attempt in both scopes before the password is checked,
/// and refuses it once either scope is spent, whether the password is right or not (otherwise
/// a guesser past the limit would still learn which guess is right). A right password then
/// hands its counts back ([`PasswordAttempt::succeeded`]), so only failures use the budget.
/// Counting before checking keeps the limit exact when guesses arrive in parallel.
pub struct PasswordAttempt {
    counted: Vec<(String, RateLimit, RateDecision)>,
}

impl PasswordAttempt {
    /// Counts one attempt at `video_id`'s password, or the 429 when a scope is spent. An
    /// unavailable limiter lets the attempt through uncounted.
    pub async fn start(ctx: &Ctx<'_>, video_id: i64) -> Result<Self, Problem> {
        let config = ctx.config;
        let scopes = [
            (
                format!("video-password:{video_id}:{}", client_address(ctx.request)),
                config.video_password_rate_limit,
            ),
            (format!("video-password:{video_id}"), config.video_password_video_rate_limit),
        ];
        let now = ctx.ports.clock.now_millis();
        let limiter = ctx.ports.rate_limiter;
        let decisions = futures::future::join_all(
            scopes.iter().map(|(key, limit)| limiter.hit(key, limit.max, limit.window_seconds, now)),
        )
        .await;
        let mut attempt = Self { counted: Vec::new() };
        let mut refused_until = None;
        for ((key, limit), decision) in scopes.into_iter().zip(decisions) {
            let Ok(decision) = decision else { continue };
            if decision.allowed {
                attempt.counted.push((key, limit, decision));
            } else {
                refused_until = refused_until.max(Some(decision.reset_at_millis));
            }
        }
        match refused_until {
            None => Ok(attempt),
            Some(reset_at) => {
                // This attempt was never checked: it must not keep the other scope's count.
                attempt.succeeded(ctx).await;
                Err(Problem::rate_limited(now, reset_at))
            }
        }
    }

    /// The password was right: the attempt no longer counts against either scope.
    pub async fn succeeded(self, ctx: &Ctx<'_>) {
        let limiter = ctx.ports.rate_limiter;
        // A refund that fails leaves one attempt counted: stricter, never more lenient.
        let _ = futures::future::join_all(
            self.counted
                .iter()
                .map(|(key, limit, decision)| limiter.refund(key, limit.window_seconds, decision)),
        )
        .await;
    }
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
