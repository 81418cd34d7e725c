use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::{HttpClient, PortError};
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// Outbound HTTP through the Workers `fetch`.
pub struct WorkersFetch;

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("http", e.to_string())
}

#[async_trait(?Send)]
impl HttpClient for WorkersFetch {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, PortError> {
        let (parts, body) = request.into_parts();
        let headers = Headers::new();
        for (name, value) in &parts.headers {
            if let Ok(value) = value.to_str() {
                headers.append(name.as_str(), value).map_err(unavailable)?;
            }
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(parts.method.as_str().to_owned())).with_headers(headers);
        if !body.is_empty() {
            init.with_body(Some(js_sys::Uint8Array::from(&body[..]).into()));
        }
        let request = Request::new_with_init(&parts.uri.to_string(), &init).map_err(unavailable)?;
        let mut response = Fetch::Request(request).send().await.map_err(unavailable)?;
        let mut builder = http::Response::builder().status(response.status_code());
        for (name, value) in response.headers().entries() {
            builder = builder.header(name, value);
        }
        let bytes = response.bytes().await.map_err(unavailable)?;
        builder.body(Bytes::from(bytes)).map_err(unavailable)
    }
}
