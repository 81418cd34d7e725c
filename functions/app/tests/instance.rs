//! The whole app over native ports (real SQLite running the D1 migrations): bootstrap,
//! discovery, actor documents and restarts.

#![allow(clippy::unwrap_used)]

mod support;

use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use support::{json_body, Fixture};

const ACTIVITY_JSON: &[(&str, &str)] = &[("accept", "application/activity+json")];
const JSON: &[(&str, &str)] = &[("accept", "application/json")];

#[test]
fn a_fresh_instance_is_discoverable_and_keeps_its_identity() {
    let mut f = Fixture::bare();

    for (handle, path, kind) in [
        ("peertube", "/accounts/peertube", "Application"),
        ("root", "/accounts/root", "Person"),
        ("root_channel", "/video-channels/root_channel", "Group"),
    ] {
        let jrd = json_body(
            &f.fetch(&format!("/.well-known/webfinger?resource=acct:{handle}@127.0.0.1:9000"), JSON),
        );
        let actor_url = format!("http://127.0.0.1:9000{path}");
        assert_eq!(jrd["links"][0]["href"], actor_url.as_str());

        let response = f.fetch(path, ACTIVITY_JSON);
        assert_eq!(response.headers()["content-type"], "application/activity+json; charset=utf-8");
        let actor = json_body(&response);
        assert_eq!(actor["type"], kind);
        assert_eq!(actor["id"], actor_url.as_str());
        let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
        let key = rsa::RsaPublicKey::from_public_key_pem(pem).unwrap();
        assert_eq!(key.size() * 8, 2048, "{handle}");
    }

    // A browser gets a page, not JSON.
    let page = f.fetch("/video-channels/root_channel", &[("accept", "text/html,application/xhtml+xml")]);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    // A second isolate (a restart) over the same database sees the same keys.
    let before = json_body(&f.fetch("/accounts/root", ACTIVITY_JSON));
    f.restart();
    let after = json_body(&f.fetch("/accounts/root", ACTIVITY_JSON));
    assert_eq!(before["publicKey"], after["publicKey"]);
}

#[test]
fn refusals() {
    let f = Fixture::bare();
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
        let response = f.fetch(uri, ACTIVITY_JSON);
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
    let f = Fixture::bare();
    let followers = json_body(&f.fetch("/video-channels/root_channel/followers", ACTIVITY_JSON));
    assert_eq!(followers["type"], "OrderedCollection");
    assert_eq!(followers["first"], "http://127.0.0.1:9000/video-channels/root_channel/followers?page=1");
    let page = json_body(&f.fetch("/accounts/root/outbox?page=1", ACTIVITY_JSON));
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["orderedItems"], serde_json::json!([]));

    let discovery = json_body(&f.fetch("/.well-known/nodeinfo", JSON));
    assert_eq!(discovery["links"][0]["href"], "http://127.0.0.1:9000/nodeinfo/2.0.json");
    let nodeinfo = json_body(&f.fetch("/nodeinfo/2.0.json", JSON));
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);
    assert_eq!(nodeinfo["protocols"], serde_json::json!(["activitypub"]));
}

#[test]
fn api_calls_are_limited_per_client_address() {
    let f = Fixture::bare();
    let call = |ip: &str| f.fetch("/api/v1/config", &[("cf-connecting-ip", ip)]);
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
    f.ports.clock.advance(10_000);
    assert_eq!(call("192.0.2.1").status(), 200, "a new window");
}

/// Every answer, whatever produced it, carries `nosniff` and a CORS policy browsers accept:
/// a wildcard origin never comes with credentials.
#[test]
fn every_answer_has_nosniff_and_no_credentialed_wildcard() {
    use edgetube_ports::Objects;
    let f = Fixture::new();
    // An uploaded file served from our origin: the kind of body a browser must not sniff.
    f.block(f.ports.objects.put(
        "thumbnails/sniff-me.jpg",
        bytes::Bytes::from_static(b"<html><script>alert(1)</script>"),
        None,
    ))
    .unwrap();
    let preflight = f.handle(
        http::Request::builder().method("OPTIONS").uri("/api/v1/videos").body(bytes::Bytes::new()).unwrap(),
    );
    let answers = [
        ("API answer", f.fetch("/api/v1/config", &[])),
        ("media object", f.fetch("/lazy-static/thumbnails/sniff-me.jpg", &[])),
        ("404", f.fetch("/no/such/route", &[])),
        ("API 404", f.fetch("/api/v1/videos/00000000-0000-4000-8000-000000000000", &[])),
        ("preflight", preflight),
    ];
    for (what, response) in answers {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["access-control-allow-origin"], "*", "{what}");
        assert!(headers.get("access-control-allow-credentials").is_none(), "{what}: {headers:?}");
    }
}
