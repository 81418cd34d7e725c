//! OAuth and users against the real worker: PeerTube's own CLI logs in unchanged, refusals
//! are PeerTube's, login attempts are rate-limited, and no token or password is ever written
//! in clear to the logs or to D1.

use std::time::Duration;

use anyhow::{Context, Result};
use edgetube_e2e::{run_with_env, Instance};
use serde_json::{json, Value};

const CLI: &str = "node_modules/@peertube/peertube-cli/dist/peertube.js";

fn cli(config_home: &std::path::Path, args: &[&str]) -> Result<(bool, String)> {
    let home = config_home.to_str().context("utf-8 path")?;
    let mut full = vec![CLI];
    full.extend_from_slice(args);
    let output =
        run_with_env("node", &full, &[("XDG_CONFIG_HOME", home), ("HOME", home)], Duration::from_secs(120))?;
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text))
}

async fn me(instance: &Instance, token: &str) -> Result<(u16, Value)> {
    let response =
        reqwest::Client::new().get(instance.url("/api/v1/users/me")).bearer_auth(token).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

/// Every text value stored in the instance's SQLite files.
fn stored_text(instance: &Instance) -> Result<String> {
    let mut all = String::new();
    for file in instance.sqlite_files() {
        let conn = rusqlite::Connection::open_with_flags(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for table in tables {
            let Ok(mut stmt) = conn.prepare(&format!("SELECT * FROM \"{table}\"")) else { continue };
            let columns = stmt.column_count();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                for i in 0..columns {
                    if let Ok(text) = row.get::<_, String>(i) {
                        all.push_str(&text);
                        all.push('\n');
                    }
                }
            }
        }
    }
    Ok(all)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_peertube_cli_logs_in_as_admin_and_as_a_registered_user() -> Result<()> {
    let instance = Instance::start_with(&[("EDGETUBE_VARS", "SIGNUP_OPEN:true")]).await?;
    let admin_password = instance.admin_password()?;
    let config_home = tempfile::tempdir()?;

    // A user registers through the API, as the web client would.
    let registered = reqwest::Client::new()
        .post(instance.url("/api/v1/users/register"))
        .json(&json!({"username": "alice", "password": "alice-secret-1", "email": "alice@example.com"}))
        .send()
        .await?;
    assert_eq!(registered.status(), 204, "{}", registered.text().await?);

    let mut tokens = Vec::new();
    for (user, password) in [("root", admin_password.as_str()), ("alice", "alice-secret-1")] {
        let (ok, out) = cli(
            config_home.path(),
            &["auth", "add", "-u", &instance.origin, "-U", user, "--password", password],
        )?;
        assert!(ok, "auth add {user}: {out}");
        let (ok, out) = cli(
            config_home.path(),
            &["get-access-token", "--url", &instance.origin, "--username", user, "--password", password],
        )?;
        assert!(ok, "get-access-token {user}: {out}");
        let token =
            out.lines().map(str::trim).find(|l| l.len() == 40 && l.chars().all(|c| c.is_ascii_hexdigit()));
        let token = token.with_context(|| format!("no token in {out:?}"))?.to_owned();
        let (status, user_json) = me(&instance, &token).await?;
        assert_eq!((status, user_json["username"].as_str()), (200, Some(user)));
        tokens.push(token);
    }
    // The CLI keeps one login per instance: the last one added.
    let (ok, out) = cli(config_home.path(), &["auth", "list"])?;
    assert!(ok && out.contains(&instance.origin) && out.contains("alice"), "{out}");

    // The CLI reports a wrong password as PeerTube's invalid grant.
    let (ok, out) = cli(
        config_home.path(),
        &["get-access-token", "--url", &instance.origin, "--username", "root", "--password", "nope"],
    )?;
    assert!(!ok && out.contains("Invalid grant"), "{out}");

    // Neither tokens nor passwords are in the logs or in D1 in clear.
    let log = std::fs::read_to_string(instance.state_dir().join("wrangler.log"))?;
    let stored = stored_text(&instance)?;
    assert!(stored.contains("alice@example.com"), "the scan must see the users table");
    for secret in tokens.iter().map(String::as_str).chain([admin_password.as_str(), "alice-secret-1"]) {
        assert!(!log.contains(secret), "a secret is in the log");
        assert!(!stored.contains(secret), "a secret is stored in clear");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn login_attempts_are_rate_limited_and_revoked_tokens_refused() -> Result<()> {
    let instance = Instance::start().await?;
    let client = reqwest::Client::new();
    let local: Value = client.get(instance.url("/api/v1/oauth-clients/local")).send().await?.json().await?;
    let form = |password: &str| {
        vec![
            ("client_id", local["client_id"].as_str().unwrap_or_default().to_owned()),
            ("client_secret", local["client_secret"].as_str().unwrap_or_default().to_owned()),
            ("grant_type", "password".to_owned()),
            ("username", "root".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    let login = |password: String| {
        let client = client.clone();
        let url = instance.url("/api/v1/users/token");
        let body = form(&password);
        async move { client.post(url).form(&body).send().await }
    };

    let good: Value = login(instance.admin_password()?).await?.json().await?;
    let access = good["access_token"].as_str().context("access_token")?.to_owned();
    assert_eq!(me(&instance, &access).await?.0, 200);
    let revoked = client.post(instance.url("/api/v1/users/revoke-token")).bearer_auth(&access).send().await?;
    assert_eq!(revoked.status(), 200);
    let (status, problem) = me(&instance, &access).await?;
    assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_token")));

    // PeerTube's default: 15 login attempts per 5 minutes and address (one spent above).
    let mut statuses = Vec::new();
    for _ in 0..15 {
        statuses.push(login("wrong-password".to_owned()).await?.status().as_u16());
    }
    assert!(statuses[..14].iter().all(|s| *s == 400), "{statuses:?}");
    assert_eq!(statuses[14], 429, "{statuses:?}");
    let refused = login(instance.admin_password()?).await?;
    assert_eq!(refused.status(), 429, "even the right password waits");
    assert!(refused.headers().contains_key("retry-after"));
    Ok(())
}
