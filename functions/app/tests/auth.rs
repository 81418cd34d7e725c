//! OAuth and users over native ports: PeerTube's grants, refusals and token lifetimes.

#![allow(clippy::unwrap_used)]

mod support;

use edgetube_native::NativeCrypto;
use edgetube_ports::{Crypto, PortError, Ports, RsaKeyPair, Sql, Statement};
use serde_json::json;
use support::{Fixture, ADMIN_PASSWORD};

#[test]
fn password_refresh_and_revoke_follow_peertube() {
    let f = Fixture::with_vars(&[("SIGNUP_OPEN", "false")]);
    let (status, tokens) = f.password_grant("root", ADMIN_PASSWORD);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 86400);
    assert_eq!(tokens["refresh_token_expires_in"], 1_209_600);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(access.len(), 40);

    let (status, me) = f.get("/api/v1/users/me", Some(access));
    assert_eq!(status, 200);
    assert_eq!(me["username"], "root");
    assert_eq!(me["role"], json!({"id": 0, "label": "Administrator"}));
    assert_eq!(me["videoChannels"][0]["name"], "root_channel");
    assert_eq!(me["account"]["userId"], me["id"]);

    // Tokens are stored hashed only.
    let rows = f
        .block(edgetube_ports::Sql::query(
            &f.ports.sql,
            edgetube_ports::Statement::new("SELECT * FROM oauth_tokens"),
        ))
        .unwrap();
    assert!(!serde_json::to_string(&rows).unwrap().contains(access));

    // Refresh: a new pair, and the old refresh token is spent.
    let (id, secret) = f.client();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form =
        format!("client_id={id}&client_secret={secret}&grant_type=refresh_token&refresh_token={refresh}");
    let (status, renewed) = f.token(&form);
    assert_eq!(status, 200);
    assert_ne!(renewed["access_token"], tokens["access_token"]);
    let (status, again) = f.token(&form);
    assert_eq!((status, again["code"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(f.get("/api/v1/users/me", Some(access)).0, 401, "refreshing revokes the old access token");

    // Revoke (logout).
    let renewed_access = renewed["access_token"].as_str().unwrap();
    assert_eq!(f.json("POST", "/api/v1/users/revoke-token", Some(renewed_access), json!({})).0, 200);
    let (status, problem) = f.get("/api/v1/users/me", Some(renewed_access));
    assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_token")));
}

#[test]
fn refusals() {
    let f = Fixture::with_vars(&[("SIGNUP_OPEN", "false")]);
    let (status, problem) = f.password_grant("root", "wrong-password");
    assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(problem["detail"], "Invalid grant: user credentials are invalid");
    let (status, problem) =
        f.token("client_id=nope&client_secret=nope&grant_type=password&username=root&password=x");
    assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_client")));

    let (status, problem) = f.get("/api/v1/users/me", Some("0123456789abcdef0123456789abcdef01234567"));
    assert_eq!((status, problem["detail"].as_str()), (401, Some("Token is invalid")));
    assert_eq!(f.get("/api/v1/users/me", None).0, 401);

    // Tokens expire after a day.
    let access = f.root();
    f.ports.clock.advance(24 * 3600 * 1000 + 1);
    let (status, problem) = f.get("/api/v1/users/me", Some(&access));
    assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_token")));

    // The client is only handed out to requests for this host.
    let wrong_host = f.fetch("/api/v1/oauth-clients/local", &[("host", "evil.example")]);
    assert_eq!(wrong_host.status(), 403);

    // Closed signups.
    let (status, _) = f.json(
        "POST",
        "/api/v1/users/register",
        None,
        json!({"username": "alice", "password": "secret123", "email": "a@example.com"}),
    );
    assert_eq!(status, 403);
}

#[test]
fn registration_and_user_management() {
    let f = Fixture::new();
    let (status, problem) = f.json(
        "POST",
        "/api/v1/users/register",
        None,
        json!({"username": "a b", "password": "1", "email": "nope"}),
    );
    assert_eq!(status, 400);
    let invalid: Vec<&String> = problem["invalid-params"].as_object().unwrap().keys().collect();
    assert_eq!(invalid, ["username", "password", "email"]);

    let register = json!({"username": "alice", "password": "alice-password", "email": "alice@example.com"});
    assert_eq!(f.json("POST", "/api/v1/users/register", None, register.clone()).0, 204);
    assert_eq!(f.json("POST", "/api/v1/users/register", None, register).0, 409);

    let (status, tokens) = f.password_grant("alice", "alice-password");
    assert_eq!(status, 200);
    let alice = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, me) = f.get("/api/v1/users/me", Some(&alice));
    assert_eq!(me["role"]["id"], 2);
    assert_eq!(me["videoChannels"][0]["name"], "alice_channel");

    // A user cannot manage users; the admin can.
    assert_eq!(f.get("/api/v1/users", Some(&alice)).0, 403);
    let root = f.root();
    let (status, list) = f.get("/api/v1/users?sort=username", Some(&root));
    assert_eq!(status, 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["data"][0]["username"], "alice");
    assert_eq!(f.get("/api/v1/users?count=101", Some(&root)).0, 400);

    let (status, created) = f.json(
        "POST",
        "/api/v1/users",
        Some(&root),
        json!({"username": "bob", "password": "bob-password", "email": "bob@example.com", "role": 1, "videoQuota": 1000}),
    );
    assert_eq!(status, 200, "{created}");
    let bob_id = created["user"]["id"].as_i64().unwrap();
    let (_, bob) = f.get(&format!("/api/v1/users/{bob_id}"), Some(&root));
    assert_eq!((bob["role"]["label"].as_str(), bob["videoQuota"].as_i64()), (Some("Moderator"), Some(1000)));

    // Changing one's password needs the current one and ends other sessions.
    let change = json!({"currentPassword": "wrong", "password": "new-alice-password"});
    assert_eq!(f.json("PUT", "/api/v1/users/me", Some(&alice), change).0, 401);
    let change = json!({"currentPassword": "alice-password", "password": "new-alice-password", "nsfwPolicy": "blur", "displayName": "Alice"});
    assert_eq!(f.json("PUT", "/api/v1/users/me", Some(&alice), change).0, 204);
    assert_eq!(f.get("/api/v1/users/me", Some(&alice)).0, 401);
    let alice = f.login("alice", "new-alice-password");
    let (_, me) = f.get("/api/v1/users/me", Some(&alice));
    assert_eq!(
        (me["nsfwPolicy"].as_str(), me["account"]["displayName"].as_str()),
        (Some("blur"), Some("Alice"))
    );

    assert_eq!(f.json("DELETE", &format!("/api/v1/users/{bob_id}"), Some(&root), json!({})).0, 204);
    assert_eq!(f.password_grant("bob", "bob-password").0, 400);
}

#[test]
fn a_2_mb_json_body_is_refused() {
    let f = Fixture::new();
    let big = json!({"username": "x".repeat(2 * 1024 * 1024), "password": "p", "email": "e"});
    let (status, problem) = f.json("POST", "/api/v1/users/register", None, big);
    assert_eq!(status, 413, "{problem}");
}

/// The native crypto port, counting password derivations (and their iterations).
struct CountingCrypto {
    derivations: std::cell::RefCell<Vec<u32>>,
}

#[async_trait::async_trait(?Send)]
impl Crypto for CountingCrypto {
    async fn generate_rsa(&self, bits: usize) -> Result<RsaKeyPair, PortError> {
        NativeCrypto.generate_rsa(bits).await
    }
    async fn sign_rsa_sha256(&self, key: &[u8], message: &[u8]) -> Result<Vec<u8>, PortError> {
        NativeCrypto.sign_rsa_sha256(key, message).await
    }
    async fn verify_rsa_sha256(&self, key: &[u8], message: &[u8], sig: &[u8]) -> Result<bool, PortError> {
        NativeCrypto.verify_rsa_sha256(key, message, sig).await
    }
    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], PortError> {
        self.derivations.borrow_mut().push(iterations);
        NativeCrypto.pbkdf2_sha256(password, salt, iterations).await
    }
    fn random_bytes(&self, len: usize) -> Result<Vec<u8>, PortError> {
        NativeCrypto.random_bytes(len)
    }
}

/// A failed login costs the same password derivations whether the account exists, is blocked or
/// not, and answers the same: neither timing nor the answer tells which logins exist.
#[test]
fn a_failed_login_costs_the_same_for_unknown_known_and_blocked_users() {
    let f = Fixture::new();
    f.user("alice");
    f.user("mallory");
    f.block(f.ports.sql.execute(Statement::new("UPDATE users SET blocked = 1 WHERE username = 'mallory'")))
        .unwrap();
    let (id, secret) = f.client();
    let counting = CountingCrypto { derivations: Default::default() };
    let ports = Ports { crypto: &counting, ..f.ports.ports() };
    let attempt = |username: &str, password: &str| {
        counting.derivations.borrow_mut().clear();
        let request = http::Request::post("/api/v1/users/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from(format!(
                "client_id={id}&client_secret={secret}&grant_type=password&username={username}&password={password}"
            )))
            .unwrap();
        let response = f.handle_on(&ports, request);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        (response.status().as_u16(), body, counting.derivations.borrow().clone())
    };

    let (status, wrong_password, cost) = attempt("alice", "not-her-password");
    assert_eq!(status, 400);
    assert_eq!(cost, [100_000], "a wrong password for a known user: one full derivation");
    for (username, password, what) in [
        ("nobody", "not-her-password", "an unknown user"),
        ("nobody@example.com", "not-her-password", "an unknown e-mail"),
        ("mallory", "mallory-password", "a blocked user with the right password"),
        ("mallory", "not-his-password", "a blocked user with a wrong password"),
    ] {
        let (status, answer, unknown_cost) = attempt(username, password);
        assert_eq!(status, 400, "{what}");
        assert_eq!(answer, wrong_password, "{what}: the same answer");
        assert_eq!(unknown_cost, cost, "{what}: the same derivations");
    }
    let (status, _, cost) = attempt("alice", "alice-password");
    assert_eq!((status, cost), (200, vec![100_000]), "the seam sees a real login too");
}
