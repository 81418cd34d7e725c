//! The whole app over native ports (real SQLite running the D1 migrations): bootstrap,
//! discovery, actor documents and restarts.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use edgetube_app::App;
use edgetube_domain::InstanceConfig;
use edgetube_native::NativePorts;
use futures::executor::block_on;
use http::{Request, Response};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::Value;

const NOW: i64 = 1_795_297_812_254;

fn config(origin: &str) -> InstanceConfig {
    let vars = [
        ("PUBLIC_ORIGIN", origin),
        ("ALLOW_HTTP", "true"),
        ("KEY_ENCRYPTION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("ADMIN_PASSWORD", "admin-password"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    InstanceConfig::from_vars(&vars).unwrap()
}

fn get(app: &App, ports: &NativePorts, uri: &str, accept: &str) -> Response<Bytes> {
    let request = Request::get(uri).header("accept", accept).body(Bytes::new()).unwrap();
    block_on(app.handle(&ports.ports(), request))
}

fn json(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e}: {:?}", response.body()))
}

#[test]
fn a_fresh_instance_is_discoverable_and_keeps_its_identity() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), NOW).unwrap();
    let app = App::new(config("http://127.0.0.1:9000"));

    for (handle, path, kind) in [
        ("peertube", "/accounts/peertube", "Application"),
        ("root", "/accounts/root", "Person"),
        ("root_channel", "/video-channels/root_channel", "Group"),
    ] {
        let jrd = json(&get(
            &app,
            &ports,
            &format!("/.well-known/webfinger?resource=acct:{handle}@127.0.0.1:9000"),
            "application/json",
        ));
        let actor_url = format!("http://127.0.0.1:9000{path}");
        assert_eq!(jrd["links"][0]["href"], actor_url.as_str());

        let response = get(&app, &ports, path, "application/activity+json");
        assert_eq!(response.headers()["content-type"], "application/activity+json; charset=utf-8");
        let actor = json(&response);
        assert_eq!(actor["type"], kind);
        assert_eq!(actor["id"], actor_url.as_str());
        let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
        let key = rsa::RsaPublicKey::from_public_key_pem(pem).unwrap();
        assert_eq!(key.size() * 8, 2048, "{handle}");
    }

    // A browser gets a page, not JSON.
    let page = get(&app, &ports, "/video-channels/root_channel", "text/html,application/xhtml+xml");
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    // A second isolate (a restart) over the same database sees the same keys.
    let before = json(&get(&app, &ports, "/accounts/root", "application/activity+json"));
    let restarted = App::new(config("http://127.0.0.1:9000"));
    let after = json(&get(&restarted, &ports, "/accounts/root", "application/activity+json"));
    assert_eq!(before["publicKey"], after["publicKey"]);
}

#[test]
fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), NOW).unwrap();
    let app = App::new(config("http://127.0.0.1:9000"));
    let cases = [
        ("/.well-known/webfinger?resource=acct:nobody@127.0.0.1:9000", 404),
        ("/.well-known/webfinger?resource=acct:root@elsewhere.example", 404),
        ("/.well-known/webfinger?resource=garbage", 400),
        ("/.well-known/webfinger", 400),
        ("/video-channels/root", 404),
        ("/accounts/root_channel", 404),
        ("/accounts/root/likes", 404),
        ("/api/v1/nothing-here", 400),
    ];
    for (uri, status) in cases {
        let response = get(&app, &ports, uri, "application/activity+json");
        assert_eq!(response.status(), status, "{uri}");
        if status == 404 {
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json; charset=utf-8",
                "{uri}"
            );
        }
    }
}

#[test]
fn collections_and_nodeinfo_have_peertube_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), NOW).unwrap();
    let app = App::new(config("http://127.0.0.1:9000"));
    let followers =
        json(&get(&app, &ports, "/video-channels/root_channel/followers", "application/activity+json"));
    assert_eq!(followers["type"], "OrderedCollection");
    assert_eq!(followers["first"], "http://127.0.0.1:9000/video-channels/root_channel/followers?page=1");
    let page = json(&get(&app, &ports, "/accounts/root/outbox?page=1", "application/activity+json"));
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["orderedItems"], serde_json::json!([]));

    let discovery = json(&get(&app, &ports, "/.well-known/nodeinfo", "application/json"));
    assert_eq!(discovery["links"][0]["href"], "http://127.0.0.1:9000/nodeinfo/2.0.json");
    let nodeinfo = json(&get(&app, &ports, "/nodeinfo/2.0.json", "application/json"));
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);
    assert_eq!(nodeinfo["protocols"], serde_json::json!(["activitypub"]));
}

#[test]
fn api_calls_are_limited_per_client_address() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), NOW).unwrap();
    let app = App::new(config("http://127.0.0.1:9000"));
    let call = |ip: &str| {
        let request =
            Request::get("/api/v1/config").header("cf-connecting-ip", ip).body(Bytes::new()).unwrap();
        block_on(app.handle(&ports.ports(), request))
    };
    for i in 0..50 {
        let response = call("192.0.2.1");
        assert_eq!(response.status(), 200, "call {i}");
        assert_eq!(response.headers()["x-ratelimit-remaining"], (49 - i).to_string().as_str());
    }
    let refused = call("192.0.2.1");
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "10");
    assert_eq!(refused.headers()["content-type"], "application/problem+json; charset=utf-8");
    assert_eq!(call("192.0.2.2").status(), 200, "another address has its own budget");
    ports.clock.advance(10_000);
    assert_eq!(call("192.0.2.1").status(), 200, "a new window");
}
