//! Two instances federating in one process: each a whole `App` over its own native ports (real
//! SQLite with the migrations, real RSA and ed25519), joined by an outbound HTTP port that hands
//! a request for one origin to that instance's `App::handle`. Nothing is mocked but the wire:
//! WebFinger, signed fetches of actors, signed deliveries, the inbox's verification, the queue
//! consumers and the retries all run as deployed. Queues are pumped by hand, so retry delays and
//! a peer that is down are steps of the test, not waits.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_ports::Clock;
use futures::executor::block_on;
use http::Request;
use serde_json::{json, Value};
use support::network::Network;

#[test]
fn a_subscription_is_a_signed_follow_accepted_across_instances() {
    let net = Network::new(&[]);
    let root_b = net.root(1);

    // B's root subscribes to A's channel by handle: WebFinger, a signed fetch of the channel (and
    // its account), a pending follow and a queued Follow.
    net.subscribe(1, &root_b, "root_channel@a.example:8001");
    let (_, exist) = net.api(
        1,
        "GET",
        "/api/v1/users/me/subscriptions/exist?uris=root_channel@a.example:8001",
        Some(&root_b),
        None,
    );
    assert_eq!(exist["root_channel@a.example:8001"], false, "pending until accepted");

    let outcomes = net.pump();
    // B delivered the Follow to A's channel inbox; A verified it, applied it and delivered an
    // Accept to B, which B verified and applied.
    assert_eq!(
        net.posts_to("http://a.example:8001/video-channels/root_channel/inbox"),
        [204],
        "{outcomes:?}"
    );
    assert_eq!(net.posts_to("http://b.example:8002/accounts/root/inbox"), [204], "{outcomes:?}");
    let (_, exist) = net.api(
        1,
        "GET",
        "/api/v1/users/me/subscriptions/exist?uris=root_channel@a.example:8001",
        Some(&root_b),
        None,
    );
    assert_eq!(exist["root_channel@a.example:8001"], true, "accepted: {outcomes:?}");

    // Both sides list it.
    let (_, subscriptions) = net.api(1, "GET", "/api/v1/users/me/subscriptions", Some(&root_b), None);
    assert_eq!(subscriptions["total"], 1);
    assert_eq!(subscriptions["data"][0]["name"], "root_channel");
    assert_eq!(subscriptions["data"][0]["host"], "a.example:8001");
    assert_eq!(subscriptions["data"][0]["isLocal"], false);
    let followers = net
        .fixture(0)
        .fetch("/video-channels/root_channel/followers?page=1", &[("accept", "application/activity+json")]);
    let followers: Value = serde_json::from_slice(followers.body()).unwrap();
    assert_eq!(followers["totalItems"], 1);
    assert_eq!(followers["orderedItems"], json!(["http://b.example:8002/accounts/root"]));

    // The Follow and Accept carry FEP-8b32 proofs, and the actors publish the keys they verify with.
    let actor = net.fixture(1).fetch("/accounts/root", &[("accept", "application/activity+json")]);
    let actor: Value = serde_json::from_slice(actor.body()).unwrap();
    let multikey = &actor["assertionMethod"][0];
    assert_eq!(multikey["type"], "Multikey");
    assert_eq!(multikey["id"], "http://b.example:8002/accounts/root#ed25519-key");
    let key = edgetube_activitypub::signatures::keys::ed25519_from_multibase(
        multikey["publicKeyMultibase"].as_str().unwrap(),
    )
    .unwrap();
    let sent = net.rows(1, "SELECT body FROM outbox_activities");
    let follow: Value = serde_json::from_str(sent[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(follow["type"], "Follow");
    edgetube_activitypub::signatures::integrity::verify_proof(&follow, |_| Some(key)).unwrap();

    // A replayed delivery is answered but applied no second time.
    let received = net.rows(0, "SELECT COUNT(*) AS n FROM inbox_activities");
    assert_eq!(received[0]["n"], 1);

    // Unsubscribing sends an Undo; A drops the follower.
    let (status, _) = net.api(
        1,
        "DELETE",
        "/api/v1/users/me/subscriptions/root_channel@a.example:8001",
        Some(&root_b),
        None,
    );
    assert_eq!(status, 204);
    net.pump();
    let followers = net
        .fixture(0)
        .fetch("/video-channels/root_channel/followers", &[("accept", "application/activity+json")]);
    let followers: Value = serde_json::from_slice(followers.body()).unwrap();
    assert_eq!(followers["totalItems"], 0);
}

#[test]
fn deliveries_to_a_stopped_instance_wait_and_all_arrive_when_it_returns() {
    let net = Network::new(&[]);
    let root_a = net.root(0);
    // A's instance follows B's instance while B is down: the Follow cannot even be resolved.
    net.down.borrow_mut().insert("b.example:8002".into());
    let (status, problem) = net.api(
        0,
        "POST",
        "/api/v1/server/following",
        Some(&root_a),
        Some(json!({"hosts": ["b.example:8002"]})),
    );
    assert_eq!(status, 503, "an unreachable host is a clear refusal to retry: {problem}");
    assert!(problem["detail"].as_str().unwrap().contains("connection refused"), "{problem}");

    // With B up, A follows; then B goes down before the Follow is delivered.
    net.down.borrow_mut().clear();
    let (status, problem) = net.api(
        0,
        "POST",
        "/api/v1/server/following",
        Some(&root_a),
        Some(json!({"hosts": ["b.example:8002"]})),
    );
    assert_eq!(status, 204, "{problem}");
    // And a second, independent delivery: A's account follows B's channel.
    let (status, _) = net.api(
        0,
        "POST",
        "/api/v1/users/me/subscriptions",
        Some(&root_a),
        Some(json!({"uri": "root_channel@b.example:8002"})),
    );
    assert_eq!(status, 204);
    net.down.borrow_mut().insert("b.example:8002".into());

    // Every attempt is refused; each delivery is put back with a delay, nothing is dropped.
    for _ in 0..5 {
        net.pump();
        assert!(net.release_delayed() > 0, "a retry was scheduled");
    }
    net.pump();
    let refused = net.posts_to("http://b.example:8002/").iter().filter(|s| **s == 0).count();
    // After three failures in a row the host is backed off: each later round probes it once
    // instead of trying both deliveries (2 deliveries x 6 rounds would be 12 attempts).
    assert!((3..=8).contains(&refused), "{refused} attempts: {:?}", net.wire.borrow());
    let failures =
        net.rows(0, "SELECT consecutive_failures FROM federation_hosts WHERE host = 'b.example:8002'");
    assert!(failures[0]["consecutive_failures"].as_i64().unwrap() >= 3);
    assert!(net.rows(0, "SELECT * FROM delivery_dead_letters").is_empty());

    // B comes back: the held deliveries arrive and both follows are accepted.
    net.down.borrow_mut().clear();
    for _ in 0..3 {
        net.release_delayed();
        net.pump();
    }
    let states = net.rows(0, "SELECT state FROM actor_follows ORDER BY id");
    assert_eq!(
        states,
        [json!({"state": "accepted"}), json!({"state": "accepted"})],
        "{:?}",
        net.wire.borrow()
    );
    let (_, following) = net.api(0, "GET", "/api/v1/server/following", Some(&root_a), None);
    assert_eq!(following["total"], 1);
    assert_eq!(following["data"][0]["following"]["host"], "b.example:8002");
    assert_eq!(following["data"][0]["state"], "accepted");
    let health =
        net.rows(0, "SELECT consecutive_failures FROM federation_hosts WHERE host = 'b.example:8002'");
    assert_eq!(health[0]["consecutive_failures"], 0);
}

#[test]
fn a_delivery_that_never_gets_through_becomes_a_dead_letter_after_a_day() {
    let net = Network::new(&[]);
    let root_a = net.root(0);
    let (status, _) = net.api(
        0,
        "POST",
        "/api/v1/users/me/subscriptions",
        Some(&root_a),
        Some(json!({"uri": "root_channel@b.example:8002"})),
    );
    assert_eq!(status, 204);
    net.down.borrow_mut().insert("b.example:8002".into());
    let mut rounds = 0;
    while rounds < 40 {
        net.pump();
        if net.release_delayed() == 0 {
            break;
        }
        rounds += 1;
    }
    let dead = net.rows(0, "SELECT inbox_url, attempts FROM delivery_dead_letters");
    assert_eq!(dead.len(), 1, "after {rounds} rounds");
    assert_eq!(dead[0]["inbox_url"], "http://b.example:8002/video-channels/root_channel/inbox");
    assert!(net.moved.get() >= 24 * 3600 * 1000, "gave up after {} ms only", net.moved.get());

    // The admin sees it and replays it once B is back: it arrives and the follow is accepted.
    let root_a = net.root(0);
    let (status, letters) = net.api(0, "GET", "/api/v1/admin/federation/dead-letters", Some(&root_a), None);
    assert_eq!(status, 200, "{letters}");
    assert_eq!(letters["total"], 1);
    let letter = &letters["data"][0];
    assert_eq!(letter["kind"], "delivery");
    assert_eq!(letter["peer"], "http://b.example:8002/video-channels/root_channel/inbox");
    assert!(letter["lastError"].as_str().unwrap().contains("connection refused"), "{letter}");
    let user = net.fixture(0).user("alice");
    let replay = format!("/api/v1/admin/federation/dead-letters/delivery/{}/replay", letter["id"]);
    assert_eq!(net.api(0, "POST", &replay, Some(&user), None).0, 403, "admins only");
    net.down.borrow_mut().clear();
    assert_eq!(net.api(0, "POST", &replay, Some(&root_a), None).0, 204);
    assert_eq!(net.api(0, "POST", &replay, Some(&root_a), None).0, 404, "replayed once");
    net.pump();
    assert_eq!(net.rows(0, "SELECT state FROM actor_follows"), [json!({"state": "accepted"})]);
    let (_, letters) = net.api(0, "GET", "/api/v1/admin/federation/dead-letters", Some(&root_a), None);
    assert_eq!(letters["total"], 0);
}

#[test]
fn inbox_refuses_unsigned_and_forged_posts() {
    let net = Network::new(&[]);
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Follow",
        "id": "http://b.example:8002/accounts/root/follows/1",
        "actor": "http://b.example:8002/accounts/root",
        "object": "http://a.example:8001/accounts/root",
    });
    let post = |headers: &[(&str, &str)]| {
        let mut request = Request::post("/inbox").header("content-type", "application/activity+json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = block_on(
            net.fixture(0).app.handle(&net.ports(0), request.body(Bytes::from(follow.to_string())).unwrap()),
        );
        let (parts, body) = response.into_parts();
        let body: Value =
            serde_json::from_slice(&block_on(body.collect_limited(1 << 20)).unwrap()).unwrap_or(Value::Null);
        (parts.status.as_u16(), body)
    };
    let (status, problem) = post(&[]);
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["status"], 403);
    let forged = r#"keyId="http://b.example:8002/accounts/root#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA""#;
    let date = edgetube_activitypub::signatures::http_date(u64::try_from(support::NOW).unwrap()).unwrap();
    let digest = edgetube_activitypub::signatures::digest::digest_header(follow.to_string().as_bytes());
    let (status, problem) =
        post(&[("signature", forged), ("host", "a.example:8001"), ("date", &date), ("digest", &digest)]);
    assert_eq!(status, 403, "{problem}");
    assert!(net.rows(0, "SELECT * FROM inbox_activities").is_empty(), "nothing stored");
    assert!(net.rows(0, "SELECT * FROM actor_follows").is_empty());
}

#[test]
fn a_blocked_server_is_neither_heard_nor_delivered_to() {
    let net = Network::new(&[]);
    let root_a = net.root(0);
    let root_b = net.root(1);
    // B follows A's channel; then A blocks B's server: the follow ends on A.
    let (status, _) = net.api(
        1,
        "POST",
        "/api/v1/users/me/subscriptions",
        Some(&root_b),
        Some(json!({"uri": "root_channel@a.example:8001"})),
    );
    assert_eq!(status, 204);
    net.pump();
    assert_eq!(net.rows(0, "SELECT COUNT(*) AS n FROM actor_follows")[0]["n"], 1);
    let user = net.fixture(0).user("mallory");
    let block = json!({"host": "b.example:8002"});
    assert_eq!(
        net.api(0, "POST", "/api/v1/server/blocklist/servers", Some(&user), Some(block.clone())).0,
        403,
        "moderators only"
    );
    assert_eq!(net.api(0, "POST", "/api/v1/server/blocklist/servers", Some(&root_a), Some(block)).0, 204);
    let (_, list) = net.api(0, "GET", "/api/v1/server/blocklist/servers", Some(&root_a), None);
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["blockedServer"]["host"], "b.example:8002");
    assert_eq!(net.rows(0, "SELECT COUNT(*) AS n FROM actor_follows")[0]["n"], 0, "its follows end");

    // B's Undo and its new Follow are refused at A's inbox.
    let before = net.posts_to("http://a.example:8001/").len();
    let unsubscribe = "/api/v1/users/me/subscriptions/root_channel@a.example:8001";
    assert_eq!(net.api(1, "DELETE", unsubscribe, Some(&root_b), None).0, 204);
    let subscribe = json!({"uri": "root_channel@a.example:8001"});
    assert_eq!(net.api(1, "POST", "/api/v1/users/me/subscriptions", Some(&root_b), Some(subscribe)).0, 204);
    net.pump();
    assert_eq!(net.posts_to("http://a.example:8001/")[before..], [403, 403], "refused at the inbox");
    assert_eq!(net.rows(0, "SELECT COUNT(*) AS n FROM actor_follows")[0]["n"], 0);

    // Unblocked, B is heard again. (A second later: the same Follow in the same bytes would be
    // taken for a replay of the one A applied before the block.)
    net.advance(1000);
    assert_eq!(
        net.api(0, "DELETE", "/api/v1/server/blocklist/servers/b.example:8002", Some(&root_a), None).0,
        204
    );
    assert_eq!(
        net.api(0, "DELETE", "/api/v1/server/blocklist/servers/b.example:8002", Some(&root_a), None).0,
        404
    );
    let (status, _) = net.api(
        1,
        "POST",
        "/api/v1/users/me/subscriptions",
        Some(&root_b),
        Some(json!({"uri": "root_channel@a.example:8001"})),
    );
    assert_eq!(status, 204);
    net.pump();
    assert_eq!(net.rows(0, "SELECT state FROM actor_follows"), [json!({"state": "accepted"})]);
}

#[test]
fn an_ed25519_rfc9421_request_verifies_whatever_its_key_fragment() {
    use edgetube_activitypub::signatures::outgoing::sign_ed25519;
    use edgetube_activitypub::signatures::rfc9421::{OutgoingAlgorithm, Rfc9421Outgoing};
    let net = Network::new(&[]);
    // Both bootstrapped (their first request makes their actors).
    net.root(0);
    net.root(1);
    // B's account and its ed25519 key (published in its actor document as a Multikey).
    let ports_b = net.ports(1);
    let config_b = net.fixture(1).app.config().clone();
    let root_b = block_on(edgetube_domain::actors::find_local(ports_b.sql, "root")).unwrap().unwrap();
    let (key, _) =
        block_on(edgetube_federation::signing::ed25519_key(&ports_b, &config_b, root_b.id)).unwrap();
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Follow",
        "id": "http://b.example:8002/accounts/root/follows/ed25519",
        "actor": "http://b.example:8002/accounts/root",
        "object": "http://a.example:8001/accounts/root",
    })
    .to_string();
    let post = |key_id: &str, body: &str| {
        let url = url::Url::parse("http://a.example:8001/inbox").unwrap();
        let now = u64::try_from(net.fixture(0).ports.clock.now_millis()).unwrap();
        let prepared = Rfc9421Outgoing::prepare(
            &http::Method::POST,
            &url,
            Some(body.as_bytes()),
            now,
            key_id,
            OutgoingAlgorithm::Ed25519,
        )
        .unwrap();
        let signature = sign_ed25519(&key, prepared.signature_base.as_bytes());
        let mut request = Request::post("/inbox")
            .header("content-type", "application/activity+json")
            .header("host", "a.example:8001");
        for (name, value) in prepared.headers.iter().chain(prepared.signature_headers(&signature).iter()) {
            request = request.header(name, value);
        }
        let response = block_on(
            net.fixture(0).app.handle(&net.ports(0), request.body(Bytes::from(body.to_owned())).unwrap()),
        );
        response.status().as_u16()
    };
    // Fedify names its ed25519 key `#key-2`; ours is `#ed25519-key`: both verify with the key B publishes.
    assert_eq!(post("http://b.example:8002/accounts/root#key-2", &follow), 204);
    let tampered = follow.replace("ed25519\"", "ed25519-x\"");
    assert_eq!(
        post("http://b.example:8002/accounts/root#ed25519-key", &tampered),
        204,
        "a new activity, signed"
    );
    // A signature made for one body does not cover another.
    let url = url::Url::parse("http://a.example:8001/inbox").unwrap();
    let now = u64::try_from(net.fixture(0).ports.clock.now_millis()).unwrap();
    let prepared = Rfc9421Outgoing::prepare(
        &http::Method::POST,
        &url,
        Some(follow.as_bytes()),
        now,
        "http://b.example:8002/accounts/root#key-2",
        OutgoingAlgorithm::Ed25519,
    )
    .unwrap();
    let mut base = prepared.signature_base.clone();
    base.push('x');
    let signature = sign_ed25519(&key, base.as_bytes());
    let mut request = Request::post("/inbox")
        .header("content-type", "application/activity+json")
        .header("host", "a.example:8001");
    for (name, value) in prepared.headers.iter().chain(prepared.signature_headers(&signature).iter()) {
        request = request.header(name, value);
    }
    let response =
        block_on(net.fixture(0).app.handle(&net.ports(0), request.body(Bytes::from(follow)).unwrap()));
    assert_eq!(response.status(), 403);
    assert_eq!(net.rows(0, "SELECT COUNT(*) AS n FROM inbox_activities")[0]["n"], 2);
}

#[test]
fn a_deleted_user_tells_its_followers_with_a_delete_signed_by_its_kept_key() {
    let net = Network::new(&[]);
    let root_a = net.root(0);
    let root_b = net.root(1);
    let carol = net.fixture(0).user("carol");
    let (_, me) = net.get(0, "/api/v1/users/me", Some(&carol));
    let carol_id = me["id"].as_i64().unwrap();
    // B follows carol's channel (her account has no remote follower: it sends nothing).
    net.subscribe(1, &root_b, "carol_channel@a.example:8001");
    net.pump();
    let (_, subscriptions) = net.get(1, "/api/v1/users/me/subscriptions", Some(&root_b));
    assert_eq!(subscriptions["total"], 1);

    let before = net.posts_to("http://b.example:8002/").len();
    assert_eq!(net.api(0, "DELETE", &format!("/api/v1/users/{carol_id}"), Some(&root_a), None).0, 204);
    assert!(net.rows(0, "SELECT id FROM actors WHERE username LIKE 'carol%'").is_empty(), "gone on A");
    net.pump();
    let posts = net.posts_to("http://b.example:8002/");
    assert_eq!(posts[before..], [204], "one Delete");
    // Verified against the channel's kept key (an unverifiable self-Delete is answered 204 too,
    // but never stored and applied).
    let delete = "http://a.example:8001/video-channels/carol_channel/delete";
    let applied = net.rows(1, &format!("SELECT state FROM inbox_activities WHERE ap_id = '{delete}'"));
    assert_eq!(applied, [json!({"state": "done"})]);
    let (_, subscriptions) = net.get(1, "/api/v1/users/me/subscriptions", Some(&root_b));
    assert_eq!(subscriptions["total"], 0, "B forgot the channel: {subscriptions}");
    assert!(net.rows(1, "SELECT id FROM actors WHERE username = 'carol_channel'").is_empty());
    // The Delete is not in the instance actor's public outbox, and the kept key goes in 3 days.
    let (_, outbox) = net.get(0, "/accounts/peertube/outbox?page=1", None);
    assert!(outbox["orderedItems"].as_array().unwrap().iter().all(|a| a["type"] != "Delete"), "{outbox}");
    assert_eq!(net.rows(0, "SELECT id FROM departed_actors").len(), 1);
    net.advance(3 * 24 * 3600 * 1000 + 1);
    let f = net.fixture(0);
    let done = block_on(f.app.run_housekeeping(&net.ports(0))).unwrap();
    assert_eq!(done.departed_keys_dropped, 1);
    assert!(net.rows(0, "SELECT id FROM departed_actors").is_empty());
}

/// B's root relays `body` to A's shared inbox, signed with its ed25519 key (RFC 9421): a third
/// party forwarding someone else's activity. Returns A's status.
fn forward_from_b(net: &Network, key: &edgetube_activitypub::signatures::SigningKey, body: &str) -> u16 {
    use edgetube_activitypub::signatures::outgoing::sign_ed25519;
    use edgetube_activitypub::signatures::rfc9421::{OutgoingAlgorithm, Rfc9421Outgoing};
    let url = url::Url::parse("http://a.example:8001/inbox").unwrap();
    let now = u64::try_from(net.fixture(0).ports.clock.now_millis()).unwrap();
    let prepared = Rfc9421Outgoing::prepare(
        &http::Method::POST,
        &url,
        Some(body.as_bytes()),
        now,
        "http://b.example:8002/accounts/root#ed25519-key",
        OutgoingAlgorithm::Ed25519,
    )
    .unwrap();
    let signature = sign_ed25519(key, prepared.signature_base.as_bytes());
    let mut request = Request::post("/inbox")
        .header("content-type", "application/activity+json")
        .header("host", "a.example:8001");
    for (name, value) in prepared.headers.iter().chain(prepared.signature_headers(&signature).iter()) {
        request = request.header(name, value);
    }
    let response = block_on(
        net.fixture(0).app.handle(&net.ports(0), request.body(Bytes::from(body.to_owned())).unwrap()),
    );
    response.status().as_u16()
}

/// PeerTube 7.0.0's captured, JSON-LD-signed delivery number `n`, as its bytes.
fn captured_delivery(n: u64) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/peertube-samples/deliveries/vectors.json"
    );
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vector = vectors.as_array().unwrap().iter().find(|v| v["n"] == n).unwrap();
    vector["body"].as_str().unwrap().to_owned()
}

#[test]
fn a_forwarded_activity_is_taken_on_its_ld_signature_and_a_tampered_one_is_not() {
    use edgetube_domain::actors::ActorKind;
    use edgetube_domain::remote_actors::{self, RemoteActorDocument};
    let net = Network::new(&[]);
    net.root(0);
    net.root(1);
    let ports_b = net.ports(1);
    let config_b = net.fixture(1).app.config().clone();
    let root_b = block_on(edgetube_domain::actors::find_local(ports_b.sql, "root")).unwrap().unwrap();
    let (key, _) =
        block_on(edgetube_federation::signing::ed25519_key(&ports_b, &config_b, root_b.id)).unwrap();
    // A knows the PeerTube account that signed the captured activities, with its real key.
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/peertube-samples/deliveries/keys/account-root.pem"
    ))
    .unwrap();
    let author = "http://127.0.0.1:9000/accounts/root";
    let document = RemoteActorDocument {
        kind: ActorKind::Person,
        username: "root".into(),
        host: "127.0.0.1:9000".into(),
        display_name: "root".into(),
        summary: None,
        ap_id: author.into(),
        inbox_url: format!("{author}/inbox"),
        shared_inbox_url: Some("http://127.0.0.1:9000/inbox".into()),
        followers_url: Some(format!("{author}/followers")),
        public_key_pem: pem,
        ed25519_public_multibase: None,
        avatar_url: None,
        owner_id: None,
    };
    let sql = &net.fixture(0).ports.sql;
    block_on(remote_actors::upsert(sql, &document, net.fixture(0).ports.clock.now_millis())).unwrap();
    let signer_of = |id: &str| {
        let rows = net.rows(0, "SELECT ap_id, signer FROM inbox_activities");
        rows.iter().find(|row| row["ap_id"] == id).map(|row| row["signer"].as_str().unwrap().to_owned())
    };

    // A Delete forwarded by B: without its LD signature it would be refused (B is not its actor);
    // with it, it is root's own word, stored as signed by root.
    let delete = captured_delivery(34);
    let delete_id = serde_json::from_str::<Value>(&delete).unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(forward_from_b(&net, &key, &delete), 204);
    assert_eq!(signer_of(&delete_id).as_deref(), Some(author));
    // The same Delete naming another video: the signature no longer covers it, so it is what it
    // was before, a third party's claim about someone else, refused.
    let tampered = delete.replace(
        "1182d970-baa1-4efe-b88e-65a3cf4aad6f\",\"signature\"",
        "00000000-0000-4000-8000-000000000000\",\"signature\"",
    );
    assert_ne!(tampered, delete);
    assert_eq!(forward_from_b(&net, &key, &tampered), 403);

    // A Create{Video} forwarded by B: taken from its body (signer = its actor, so the consumer
    // does not read it again from the origin); with its name changed, queued as forwarded, so
    // the consumer reads the origin's copy instead of the body.
    let create = captured_delivery(15);
    let create_id = serde_json::from_str::<Value>(&create).unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(forward_from_b(&net, &key, &create), 204);
    assert_eq!(signer_of(&create_id).as_deref(), Some(author));
    block_on(edgetube_ports::Sql::execute(
        sql,
        edgetube_ports::Statement::new("DELETE FROM inbox_activities"),
    ))
    .unwrap();
    let renamed = create.replace("\"name\":\"Resumable upload sample\"", "\"name\":\"A forwarder's lie\"");
    assert_ne!(renamed, create);
    assert_eq!(forward_from_b(&net, &key, &renamed), 204);
    assert_eq!(signer_of(&create_id).as_deref(), Some("http://b.example:8002/accounts/root"));
}
