use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::{HttpClient, PortError};

/// An outbound client for tests that must not touch the network: every request is unavailable.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineHttp;

#[async_trait(?Send)]
impl HttpClient for OfflineHttp {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, PortError> {
        Err(PortError::unavailable("http", format!("offline: {} {}", request.method(), request.uri())))
    }
}
