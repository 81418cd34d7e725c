//! Calls into the REST API's own handlers, in process: a page reads what it shows exactly as an
//! anonymous API client would, with the API's visibility rules, without a network round trip.

use bytes::Bytes;
use edgetube_api::{Ctx, PendingBody};
use edgetube_problem::Problem;
use http::{Method, Request, StatusCode};
use serde::de::DeserializeOwned;

/// What an API read gave.
pub enum Read<T> {
    /// 200, parsed.
    Found(T),
    /// 404 (or a 400 for an id that cannot exist).
    Missing,
    /// 401 or 403: the object exists for someone, not for an anonymous reader (a private video).
    Refused,
}

/// `GET /api/v1/<path_and_query>` as an anonymous client, parsed as `T`.
pub async fn get<T: DeserializeOwned>(ctx: &Ctx<'_>, path_and_query: &str) -> Result<Read<T>, Problem> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(format!("/api/v1/{path_and_query}"))
        .body(Bytes::new())
        .map_err(Problem::internal_from)?;
    let path = request.uri().path().trim_start_matches("/api/v1/").to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    let pending = PendingBody::default();
    let inner = Ctx { ports: ctx.ports, config: ctx.config, request: &request, pending: &pending };
    let response = edgetube_api::route(&inner, &segments).await;
    match response.status() {
        StatusCode::OK => serde_json::from_slice(response.body())
            .map(Read::Found)
            .map_err(|e| Problem::internal_from(format!("page read of /api/v1/{path}: {e}"))),
        StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Ok(Read::Missing),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(Read::Refused),
        status => Err(Problem::internal_from(format!("page read of /api/v1/{path}: {status}"))),
    }
}

/// [`get`] for reads that must succeed (lists): anything but 200 is an error.
pub async fn list<T: DeserializeOwned + Default>(ctx: &Ctx<'_>, path_and_query: &str) -> Result<T, Problem> {
    match get(ctx, path_and_query).await? {
        Read::Found(value) => Ok(value),
        Read::Missing | Read::Refused => Ok(T::default()),
    }
}
