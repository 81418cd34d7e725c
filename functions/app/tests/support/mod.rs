//! The fixture every app test shares: the whole `App` over native ports (real SQLite running
//! the D1 migrations), with request helpers and logins.

#![allow(clippy::unwrap_used, dead_code)]

use bytes::Bytes;
use edgetube_app::App;
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

/// An instance over fresh native ports.
pub struct Fixture {
    pub app: App,
    pub ports: NativePorts,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// An instance with open signups and a rate limit no test reaches.
    pub fn new() -> Self {
        Self::with_vars(&[("SIGNUP_OPEN", "true")])
    }

    /// An instance with extra configuration variables.
    pub fn with_vars(extra: &[(&str, &str)]) -> Self {
        let mut vars: std::collections::BTreeMap<String, String> = [
            ("PUBLIC_ORIGIN", ORIGIN),
            ("ALLOW_HTTP", "true"),
            ("KEY_ENCRYPTION_SECRET", "0123456789abcdef0123456789abcdef"),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("API_RATE_LIMIT", "100000/10"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let dir = tempfile::tempdir().unwrap();
        Self {
            app: App::new(InstanceConfig::from_vars(&vars).unwrap()),
            ports: NativePorts::new(dir.path(), NOW).unwrap(),
            _dir: dir,
        }
    }

    /// Sends a request; the body parsed as JSON (`null` when empty).
    pub fn send(&self, request: Request<Bytes>) -> (u16, Value) {
        let response: Response<Bytes> = block_on(self.app.handle(&self.ports.ports(), request));
        let body = if response.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(response.body()).unwrap()
        };
        (response.status().as_u16(), body)
    }

    /// `GET path`, with a bearer token when given.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = Request::get(path).header("host", "127.0.0.1:9000");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
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

    /// An access token for `username`, through the password grant.
    pub fn login(&self, username: &str, password: &str) -> String {
        let (_, client) = self.get("/api/v1/oauth-clients/local", None);
        let form = format!(
            "client_id={}&client_secret={}&grant_type=password&username={username}&password={password}",
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str().unwrap()
        );
        let request = Request::post("/api/v1/users/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(form))
            .unwrap();
        let (status, tokens) = self.send(request);
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

    /// Runs a future on the fixture's ports.
    pub fn block<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        block_on(future)
    }
}
