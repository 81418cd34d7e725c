//! An outbound HTTP port that refuses every request, for tests that must stay offline.

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::{HttpClient, HttpLimits, PortError};

/// An outbound client for tests that must not touch the network: every request is unavailable.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineHttp;

#[async_trait(?Send)]
impl HttpClient for OfflineHttp {
    // Nothing is read, so the limits have nothing to bound; a native client that does go online
    // reads through `edgetube_ports::http_client::{read_body, within}` like the Worker.
    async fn send(
        &self,
        request: http::Request<Bytes>,
        _limits: HttpLimits,
    ) -> Result<http::Response<Bytes>, PortError> {
        Err(PortError::unavailable("http", format!("offline: {} {}", request.method(), request.uri())))
    }
}
