//! PeerTube's error document, `application/problem+json`, and the builders of successful
//! responses: one error type and one responder for every route family (the REST API, the
//! ActivityPub and discovery routes, the inbox), so none of them depends on another's crate.
//!
//! A 500's real cause rides the response as the [`InternalError`] extension, for the platform
//! shell to log; the client only sees a generic message.

pub mod respond;

use bytes::Bytes;
use http::{header, Response, StatusCode};
use serde_json::{json, Map, Value};

/// An API error in PeerTube's RFC 7807 shape (`type`, `title`, `detail`, `status`, plus `code`,
/// `error` and `invalid-params` where PeerTube has them).
///
/// Boxed inside, so that `Result<_, Problem>` stays two words wide on every handler's return path.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<Details>);

#[derive(Debug, Clone, PartialEq)]
struct Details {
    status: StatusCode,
    detail: String,
    code: Option<&'static str>,
    invalid_params: Option<Map<String, Value>>,
    retry_after_secs: Option<i64>,
    cause: Option<String>,
}

/// The real cause of a 500, attached to the response as an extension so the platform shell can
/// log it; the client only sees a generic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalError(pub String);

impl Problem {
    /// A problem with `status` and a human-readable `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(Box::new(Details {
            status,
            detail: detail.into(),
            code: None,
            invalid_params: None,
            retry_after_secs: None,
            cause: None,
        }))
    }

    /// 404 with `detail`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 400 with `detail`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// PeerTube's 429, with `Retry-After` until `reset_at_millis` (the end of the limit's window).
    pub fn rate_limited(now_millis: i64, reset_at_millis: i64) -> Self {
        let mut problem =
            Self::new(StatusCode::TOO_MANY_REQUESTS, "You have been rate limited, please try again later");
        problem.0.retry_after_secs = Some(((reset_at_millis - now_millis).max(0) + 999) / 1000);
        problem
    }

    /// 500 without internals: the cause goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    /// 500 caused by `cause`, which is logged by the shell and not shown to the client.
    pub fn internal_from(cause: impl std::fmt::Display) -> Self {
        let mut problem = Self::internal();
        problem.0.cause = Some(cause.to_string());
        problem
    }

    /// Attaches the cause of a failure that is not the client's (a 503 as much as a 500), for
    /// the shell's log; the client sees only the detail.
    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.0.cause = Some(cause.to_string());
        self
    }

    /// Replaces the human-readable detail.
    pub fn with_detail(mut self, detail: String) -> Self {
        self.0.detail = detail;
        self
    }

    /// Adds PeerTube's machine-readable `code` (`invalid_token`, `quota_reached`, ...).
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.0.code = Some(code);
        self
    }

    /// Adds one entry of `invalid-params`, as PeerTube's validators report a refused field.
    pub fn with_invalid_param(mut self, field: &str, value: Value, msg: &str, location: &str) -> Self {
        self.0.invalid_params.get_or_insert_with(Map::new).insert(
            field.to_owned(),
            json!({"type": "field", "value": value, "msg": msg, "path": field, "location": location}),
        );
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The `application/problem+json` response.
    pub fn into_response(self) -> Response<Bytes> {
        let details = *self.0;
        let mut body = Map::new();
        let doc_type = match details.code {
            Some(code) => {
                format!("https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/{code}")
            }
            None => "about:blank".to_owned(),
        };
        body.insert("type".into(), doc_type.into());
        body.insert("title".into(), details.status.canonical_reason().unwrap_or("Error").into());
        body.insert("detail".into(), details.detail.clone().into());
        body.insert("status".into(), details.status.as_u16().into());
        if let Some(code) = details.code {
            body.insert("code".into(), code.into());
        }
        if let Some(params) = details.invalid_params {
            body.insert("invalid-params".into(), Value::Object(params));
        }
        // Kept for PeerTube clients up to 3.2, which read `error`.
        body.insert("error".into(), details.detail.into());
        let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        let mut response = Response::builder()
            .status(details.status)
            .header(header::CONTENT_TYPE, "application/problem+json; charset=utf-8")
            .body(Bytes::from(bytes))
            .unwrap_or_default();
        if let Some(seconds) = details.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if let Some(cause) = details.cause {
            response.extensions_mut().insert(InternalError(cause));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_documents_have_peertube_fields() {
        let response = Problem::not_found("Video not found").into_response();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json; charset=utf-8");
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            json!({"type": "about:blank", "title": "Not Found", "detail": "Video not found", "status": 404, "error": "Video not found"})
        );

        let body: Value = serde_json::from_slice(
            Problem::bad_request("Incorrect request parameters: name")
                .with_invalid_param(
                    "name",
                    json!("x"),
                    "Should have a video name between 3 and 120 characters long",
                    "body",
                )
                .into_response()
                .body(),
        )
        .unwrap();
        assert_eq!(body["invalid-params"]["name"]["location"], "body");
    }
}
