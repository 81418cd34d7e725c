use async_trait::async_trait;
use bytes::Bytes;

use crate::PortError;

/// Requests to other servers: federation deliveries and fetches.
///
/// Transport failures are [`PortError::Unavailable`]; any HTTP status, including 4xx and 5xx,
/// is a successful call whose response the caller inspects.
#[async_trait(?Send)]
pub trait HttpClient {
    /// Sends `request` and reads the whole response body.
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, PortError>;
}
