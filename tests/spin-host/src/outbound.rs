//! Outbound HTTP limited to the component's `allowed_outbound_hosts`, as Spin limits it.
//!
//! Patterns are `scheme://host:port` with `*` for any scheme, host or port, and `*.domain` for
//! subdomains; a pattern without a port means the scheme's default port. Spin also accepts CIDR
//! ranges and `{{ variable }}` templates in patterns: this harness does not (README).
//!
//! Spin's local service chaining (`http://<component>.spin.internal/...`, allowed as such in
//! `allowed_outbound_hosts`) hands the request to that component without a network hop. Here it
//! goes to the harness's own loopback listener, whose routes reach the one HTTP component: the
//! same component and path, through a socket (README).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The domain of Spin's service chaining.
const CHAINING_DOMAIN: &str = ".spin.internal";

/// Where chained requests go: the harness's listener, serving these HTTP components.
#[derive(Debug)]
pub struct Chaining {
    pub listener: SocketAddr,
    pub http_components: Vec<String>,
}

/// The hooks of every request: the allowed patterns, service chaining, then wasmtime's default
/// sender.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    pub patterns: Arc<Vec<String>>,
    pub chaining: Arc<Chaining>,
}

/// The loopback URI a chained request goes to, or why it cannot; `Ok(None)` when `uri` is not a
/// chained one.
pub fn chained(uri: &http::Uri, chaining: &Chaining) -> Result<Option<http::Uri>, String> {
    let Some(component) = uri.host().and_then(|h| h.strip_suffix(CHAINING_DOMAIN)) else { return Ok(None) };
    if !chaining.http_components.iter().any(|c| c == component) {
        return Err(format!("{uri}: no HTTP component named {component} to chain to"));
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("http://{}{path}", chaining.listener).parse().map(Some).map_err(|e| format!("{uri}: {e}"))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Whether `uri` matches `pattern`.
pub fn allows(pattern: &str, uri: &http::Uri) -> bool {
    let Some((scheme, rest)) = pattern.split_once("://") else { return false };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let Some(uri_scheme) = uri.scheme_str() else { return false };
    let Some(uri_host) = uri.host() else { return false };
    let Some(uri_port) = uri.port_u16().or_else(|| default_port(uri_scheme)) else { return false };
    let scheme_ok = scheme == "*" || scheme.eq_ignore_ascii_case(uri_scheme);
    let host_ok = host == "*"
        || host.eq_ignore_ascii_case(uri_host)
        || host.strip_prefix("*.").is_some_and(|domain| {
            uri_host.len() > domain.len() + 1
                && uri_host.to_ascii_lowercase().ends_with(&format!(".{}", domain.to_ascii_lowercase()))
        });
    let port_ok = match port {
        Some("*") => true,
        Some(port) => port.parse::<u16>().is_ok_and(|p| p == uri_port),
        None => default_port(scheme) == Some(uri_port),
    };
    scheme_ok && host_ok && port_ok
}

type Sent = Box<
    dyn Future<
            Output = Result<
                (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for AllowedHosts {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sent {
        if !self.patterns.iter().any(|pattern| allows(pattern, request.uri())) {
            tracing::warn!(uri = %request.uri(), "outbound request denied: not in allowed_outbound_hosts");
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let mut request = request;
        match chained(request.uri(), &self.chaining) {
            Ok(Some(local)) => *request.uri_mut() = local,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!("outbound request denied: {e}");
                return Box::new(async { Err(Error::HttpRequestDenied) });
            }
        }
        drop(fut);
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{allows, chained, Chaining};

    #[test]
    fn patterns_match_scheme_host_and_port() {
        let uri = |s: &str| s.parse::<http::Uri>().unwrap();
        assert!(allows("https://*:*", &uri("https://peer.example/inbox")));
        assert!(!allows("https://*:*", &uri("http://peer.example/inbox")));
        assert!(allows("http://127.0.0.1:*", &uri("http://127.0.0.1:9000/b/k")));
        assert!(!allows("http://127.0.0.1:*", &uri("http://10.0.0.1:9000/b/k")));
        assert!(allows("https://*.example", &uri("https://a.example/")));
        assert!(!allows("https://*.example", &uri("https://example/")));
        assert!(!allows("https://*.example", &uri("https://a.example:8443/")));
        assert!(allows("*://*:*", &uri("http://x:1/")));
    }

    #[test]
    fn chained_requests_go_to_the_listener_of_a_known_component() {
        let uri = |s: &str| s.parse::<http::Uri>().unwrap();
        let chaining = Chaining {
            listener: "127.0.0.1:4000".parse().unwrap(),
            http_components: vec!["edgetube".to_owned()],
        };
        let local = chained(&uri("http://edgetube.spin.internal/_edgetube/tick?housekeeping=1"), &chaining);
        assert_eq!(local.unwrap().unwrap(), "http://127.0.0.1:4000/_edgetube/tick?housekeeping=1");
        assert!(chained(&uri("http://other.spin.internal/"), &chaining)
            .unwrap_err()
            .contains("no HTTP component"));
        assert_eq!(chained(&uri("https://peer.example/inbox"), &chaining).unwrap(), None);
        assert!(allows(
            "http://edgetube.spin.internal",
            &uri("http://edgetube.spin.internal/_edgetube/tick")
        ));
    }
}
