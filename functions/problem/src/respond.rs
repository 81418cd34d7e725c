//! Building successful responses.

use bytes::Bytes;
use http::{header, Response, StatusCode};
use serde::Serialize;

use crate::Problem;

/// `Content-Type` of PeerTube's JSON answers.
pub const JSON: &str = "application/json; charset=utf-8";

/// A 200 response with `value` serialized as `content_type`.
pub fn json_as(value: &impl Serialize, content_type: &str) -> Result<Response<Bytes>, Problem> {
    let body = serde_json::to_vec(value).map_err(|_| Problem::internal())?;
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Bytes::from(body))
        .map_err(|_| Problem::internal())
}

/// A 200 `application/json` response.
pub fn json(value: &impl Serialize) -> Result<Response<Bytes>, Problem> {
    json_as(value, JSON)
}

/// A 200 response with a text body.
pub fn text(body: String, content_type: &str) -> Result<Response<Bytes>, Problem> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Bytes::from(body))
        .map_err(|_| Problem::internal())
}

/// A 204 without a body.
pub fn no_content() -> Response<Bytes> {
    Response::builder().status(StatusCode::NO_CONTENT).body(Bytes::new()).unwrap_or_default()
}
