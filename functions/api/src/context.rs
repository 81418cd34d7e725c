//! What every handler gets: the ports, the configuration and the request, with the parsing
//! every endpoint shares (query, JSON and form bodies, the bearer token).

use bytes::Bytes;
use edgetube_domain::oauth::{self, BearerCheck};
use edgetube_domain::users::{self, User};
use edgetube_domain::InstanceConfig;
use edgetube_ports::Ports;
use http::{header, Request, StatusCode};
use serde::de::DeserializeOwned;

use crate::body::{BodyStream, PendingBody};
use crate::Problem;

/// PeerTube's JSON body limit (express `json({limit: '500kb'})`).
pub const MAX_JSON_BODY: usize = 500 * 1024;

/// One API request and everything needed to answer it.
pub struct Ctx<'a> {
    /// The platform's ports.
    pub ports: &'a Ports<'a>,
    /// The instance configuration.
    pub config: &'a InstanceConfig,
    /// The request. Its body is empty when the body is still [`pending`](Self::pending).
    pub request: &'a Request<Bytes>,
    /// The body of a request that streams it (the legacy upload), not read yet.
    pub pending: &'a PendingBody,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// The token row used, for logout.
    pub token_id: i64,
}

impl Ctx<'_> {
    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.request.uri().query()?;
        url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    /// Every value of query parameter `name` (PeerTube's `xOneOf=1&xOneOf=2`, also `xOneOf[]=`).
    pub fn query_all(&self, name: &str) -> Vec<String> {
        let Some(query) = self.request.uri().query() else { return Vec::new() };
        let bracketed = format!("{name}[]");
        url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == name || *k == bracketed)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// The JSON body as `T`: 413 above PeerTube's limit, 400 when malformed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        let body = self.request.body();
        if body.len() > MAX_JSON_BODY {
            return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "request entity too large"));
        }
        let body: &[u8] = if body.is_empty() { b"{}" } else { body };
        serde_json::from_slice(body).map_err(|e| Problem::bad_request(format!("Invalid JSON body: {e}")))
    }

    /// The `application/x-www-form-urlencoded` body (or, as PeerTube also accepts, JSON) as pairs.
    pub fn form(&self) -> Result<Vec<(String, String)>, Problem> {
        let body = self.request.body();
        if body.len() > MAX_JSON_BODY {
            return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "request entity too large"));
        }
        let content_type = self.header(header::CONTENT_TYPE.as_str()).unwrap_or_default();
        if content_type.starts_with("application/json") {
            let value: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
                .map_err(|e| Problem::bad_request(format!("Invalid JSON body: {e}")))?;
            return Ok(value
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect());
        }
        Ok(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The body as a stream: the pending one, or the bytes already read as one chunk.
    pub fn body_stream(&self) -> BodyStream {
        self.pending.take().unwrap_or_else(|| {
            let bytes = self.request.body().clone();
            Box::pin(futures::stream::once(async move { Ok(bytes) }))
        })
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.headers().get(name).and_then(|v| v.to_str().ok())
    }

    fn bearer(&self) -> Option<&str> {
        let value = self.header(header::AUTHORIZATION.as_str())?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    /// The caller if a valid bearer token was sent; `Ok(None)` without `Authorization`.
    /// A token that is sent but invalid or expired is refused, as PeerTube does.
    pub async fn optional_caller(&self) -> Result<Option<Caller>, Problem> {
        let Some(token) = self.bearer() else { return Ok(None) };
        let owner = match oauth::check_access_token(self.ports, token)
            .await
            .map_err(Problem::internal_from)?
        {
            BearerCheck::Valid(owner) => owner,
            BearerCheck::Expired => {
                return Err(Problem::new(StatusCode::UNAUTHORIZED, "Invalid token: access token has expired")
                    .with_code("invalid_token"))
            }
            BearerCheck::Invalid => {
                return Err(
                    Problem::new(StatusCode::UNAUTHORIZED, "Token is invalid").with_code("invalid_token")
                )
            }
        };
        let user = users::find_by_id(self.ports.sql, owner.user_id)
            .await
            .map_err(Problem::internal_from)?
            .filter(|u| u.blocked == 0)
            .ok_or_else(|| {
                Problem::new(StatusCode::UNAUTHORIZED, "Token is invalid").with_code("invalid_token")
            })?;
        Ok(Some(Caller { user, token_id: owner.token_id }))
    }

    /// The caller, or 401.
    pub async fn caller(&self) -> Result<Caller, Problem> {
        self.optional_caller().await?.ok_or_else(|| {
            Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized: no bearer token was sent")
                .with_code("invalid_token")
        })
    }

    /// The caller if they moderate or administer, 403 otherwise.
    pub async fn moderator(&self) -> Result<Caller, Problem> {
        let caller = self.caller().await?;
        if !caller.user.is_moderator() {
            return Err(Problem::new(StatusCode::FORBIDDEN, "User does not have the right to do this"));
        }
        Ok(caller)
    }

    /// The caller if they administer, 403 otherwise.
    pub async fn admin(&self) -> Result<Caller, Problem> {
        let caller = self.caller().await?;
        if caller.user.role() != users::Role::Administrator {
            return Err(Problem::new(StatusCode::FORBIDDEN, "User does not have the right to do this"));
        }
        Ok(caller)
    }
}
