//! The fixture every app test shares: the whole `App` over native ports (real SQLite running
//! the D1 migrations), with request helpers and logins.

#![allow(clippy::unwrap_used, dead_code)]

pub mod network;

use bytes::Bytes;
use edgetube_app::App;
use edgetube_domain::videos::{self, NewVideo, Video};
use edgetube_domain::InstanceConfig;
use edgetube_native::NativePorts;
use futures::executor::block_on;
use http::{Request, Response};
use serde_json::Value;

/// The fixed start time of every fixture's clock.
pub const NOW: i64 = 1_795_297_812_254;
/// The fixture instance's origin.
pub const ORIGIN: &str = "http://127.0.0.1:9000";
/// The admin's password.
pub const ADMIN_PASSWORD: &str = "admin-password";

/// The largest response body a test collects.
const MAX_TEST_BODY: usize = 256 << 20;

/// An instance over fresh native ports.
pub struct Fixture {
    pub app: App,
    pub ports: NativePorts,
    _dir: tempfile::TempDir,
}

/// The variables every instance needs.
const REQUIRED: [(&str, &str); 4] = [
    ("PUBLIC_ORIGIN", ORIGIN),
    ("ALLOW_HTTP", "true"),
    ("KEY_ENCRYPTION_SECRET", "0123456789abcdef0123456789abcdef"),
    ("ADMIN_PASSWORD", ADMIN_PASSWORD),
];

impl Fixture {
    /// An instance with open signups and a rate limit no test reaches.
    pub fn new() -> Self {
        Self::with_vars(&[("SIGNUP_OPEN", "true")])
    }

    /// An instance with extra configuration variables (and a rate limit no test reaches, unless
    /// they set one).
    pub fn with_vars(extra: &[(&str, &str)]) -> Self {
        Self::configured([("API_RATE_LIMIT", "100000/10")].iter().chain(extra))
    }

    /// An instance with the required variables only: every other setting at its default (signups
    /// closed, PeerTube's rate limits).
    pub fn bare() -> Self {
        Self::configured([].iter())
    }

    fn configured<'a>(extra: impl Iterator<Item = &'a (&'a str, &'a str)>) -> Self {
        let vars = REQUIRED.iter().chain(extra).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let dir = tempfile::tempdir().unwrap();
        Self {
            app: App::new(InstanceConfig::from_vars(&vars).unwrap()),
            ports: NativePorts::new(dir.path(), NOW).unwrap(),
            _dir: dir,
        }
    }

    /// A new `App` over the same ports and configuration, as after a restart of the isolate.
    pub fn restart(&mut self) {
        self.app = App::new(self.app.config().clone());
    }

    /// The directory the native ports keep their files in.
    pub fn ports_dir(&self) -> std::path::PathBuf {
        self._dir.path().to_path_buf()
    }

    /// Every file under the objects directory, unfinished multipart parts included, relative to it.
    pub fn stored_files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(self._dir.path(), self._dir.path(), &mut out);
        out.sort();
        out
    }

    /// Handles a request; the whole response (a streamed body collected).
    pub fn handle<B: Into<edgetube_app::Body>>(&self, request: Request<B>) -> Response<Bytes> {
        let (parts, body) = self.handle_streamed(request).into_parts();
        Response::from_parts(parts, block_on(body.collect_limited(MAX_TEST_BODY)).unwrap())
    }

    /// Handles a request; the response as the app returns it.
    pub fn handle_streamed<B: Into<edgetube_app::Body>>(
        &self,
        request: Request<B>,
    ) -> Response<edgetube_app::Body> {
        block_on(self.app.handle(&self.ports.ports(), request))
    }

    /// Handles a request over other ports than the fixture's own (e.g. with one port wrapped
    /// to observe it); the whole response.
    pub fn handle_on<B: Into<edgetube_app::Body>>(
        &self,
        ports: &edgetube_ports::Ports<'_>,
        request: Request<B>,
    ) -> Response<Bytes> {
        let (parts, body) = block_on(self.app.handle(ports, request)).into_parts();
        Response::from_parts(parts, block_on(body.collect_limited(MAX_TEST_BODY)).unwrap())
    }

    /// Sends a request; the body parsed as JSON (`null` when empty).
    pub fn send(&self, request: Request<Bytes>) -> (u16, Value) {
        let response = self.handle(request);
        let body = if response.body().is_empty() { Value::Null } else { json_body(&response) };
        (response.status().as_u16(), body)
    }

    /// `GET path` with exactly these headers; the whole response.
    pub fn fetch(&self, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.handle(request.body(Bytes::new()).unwrap())
    }

    /// `GET path` addressed to the instance's host, with a bearer token when given.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.get_with(path, token, &[])
    }

    /// `GET path` addressed to the instance's host, with a bearer token when given and extra
    /// headers.
    pub fn get_with(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = Request::get(path).header("host", self.app.config().origin.authority());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Bytes::new()).unwrap())
    }

    /// `method path` with a JSON body.
    pub fn json(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request =
            Request::builder().method(method).uri(path).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Bytes::from(body.to_string())).unwrap())
    }

    /// `POST /api/v1/users/token` with a form body.
    pub fn token(&self, form: &str) -> (u16, Value) {
        let request = Request::post("/api/v1/users/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(form.to_owned()))
            .unwrap();
        self.send(request)
    }

    /// The local OAuth client's id and secret.
    pub fn client(&self) -> (String, String) {
        let (status, client) = self.get("/api/v1/oauth-clients/local", None);
        assert_eq!(status, 200, "{client}");
        (
            client["client_id"].as_str().unwrap().to_owned(),
            client["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    /// The password grant for `username`, as PeerTube's web client sends it.
    pub fn password_grant(&self, username: &str, password: &str) -> (u16, Value) {
        let (id, secret) = self.client();
        self.token(&format!(
            "client_id={id}&client_secret={secret}&grant_type=password&response_type=code&username={username}&password={password}"
        ))
    }

    /// An access token for `username`, through the password grant.
    pub fn login(&self, username: &str, password: &str) -> String {
        let (status, tokens) = self.password_grant(username, password);
        assert_eq!(status, 200, "login {username}: {tokens}");
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// The admin's token.
    pub fn root(&self) -> String {
        self.login("root", ADMIN_PASSWORD)
    }

    /// Registers `username` (password `<username>-password`) and logs in.
    pub fn user(&self, username: &str) -> String {
        let password = format!("{username}-password");
        let body = serde_json::json!({"username": username, "password": password, "email": format!("{username}@example.com")});
        let (status, problem) = self.json("POST", "/api/v1/users/register", None, body);
        assert_eq!(status, 204, "register {username}: {problem}");
        self.login(username, &password)
    }

    /// The id of the first channel of the user owning `token`.
    pub fn channel_of(&self, token: &str) -> i64 {
        self.get("/api/v1/users/me", Some(token)).1["videoChannels"][0]["id"].as_i64().unwrap()
    }

    /// Creates a video through the domain, one second after the previous one.
    pub fn video(&self, new: NewVideo) -> Video {
        self.ports.clock.advance(1000);
        block_on(videos::create(&self.ports.ports(), &new)).unwrap()
    }

    /// Runs a future on the fixture's ports.
    pub fn block<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        block_on(future)
    }
}

/// A response's body parsed as JSON; panics, showing the body, when it is not JSON.
pub fn json_body(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e}: {:?}", response.body()))
}

/// PeerTube 7's real REST responses, beside the repository.
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/peertube-samples/rest");

/// The sample response `name` (e.g. `video.json`).
pub fn sample(name: &str) -> Value {
    let path = format!("{SAMPLES}/{name}");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// The keys of a JSON object, to compare shapes without values.
pub fn keys(value: &Value) -> std::collections::BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}
