//! The whole HTTP surface of an Edgetube instance as one platform-free function.
//!
//! [`App::handle`] takes the [`Ports`] a platform bound for this request and an
//! `http::Request<Bytes>`, routes it to the federation documents or the REST API, and always
//! returns a response: failures become PeerTube problem documents here, never a platform error.
//!
//! An [`App`] lives as long as the platform's isolate or process. It remembers that the
//! instance was bootstrapped, so the idempotent first-start check costs one read per isolate,
//! not per request.

mod federation_routes;
mod headers;
mod router;

use std::cell::Cell;

use bytes::Bytes;
use edgetube_api::Problem;
use edgetube_domain::{bootstrap, InstanceConfig};
use edgetube_ports::Ports;
use http::{Request, Response};

/// One instance's request handler.
pub struct App {
    config: InstanceConfig,
    bootstrapped: Cell<bool>,
}

impl App {
    /// A handler for the instance described by `config`.
    pub fn new(config: InstanceConfig) -> Self {
        Self { config, bootstrapped: Cell::new(false) }
    }

    /// The configuration this handler serves.
    pub fn config(&self) -> &InstanceConfig {
        &self.config
    }

    /// Creates the instance actor, the admin and its channel if they do not exist yet.
    pub async fn ensure_bootstrapped(&self, ports: &Ports<'_>) -> Result<(), edgetube_domain::DomainError> {
        if !self.bootstrapped.get() {
            bootstrap::ensure_instance(ports, &self.config).await?;
            self.bootstrapped.set(true);
        }
        Ok(())
    }

    /// Answers one request.
    pub async fn handle(&self, ports: &Ports<'_>, request: Request<Bytes>) -> Response<Bytes> {
        let mut response = match self.ensure_bootstrapped(ports).await {
            Ok(()) => router::route(ports, &self.config, &request).await,
            Err(_) => {
                Problem::new(http::StatusCode::SERVICE_UNAVAILABLE, "The instance is starting; retry shortly")
                    .into_response()
            }
        };
        headers::add_common(response.headers_mut());
        response
    }
}
