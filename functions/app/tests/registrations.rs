//! PeerTube's three signup policies: closed, open, and requests a moderator accepts or rejects.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::Fixture;

fn request(name: &str) -> serde_json::Value {
    json!({
        "username": name,
        "password": format!("{name}-password"),
        "email": format!("{name}@example.com"),
        "registrationReason": "I make videos about rabbits",
        "channel": {"name": format!("{name}_videos"), "displayName": "Rabbits"}
    })
}

#[test]
fn the_policy_decides_who_may_sign_up() {
    let closed = Fixture::with_vars(&[("SIGNUP_POLICY", "closed")]);
    assert_eq!(closed.json("POST", "/api/v1/users/register", None, request("alice")).0, 403);
    assert_eq!(closed.json("POST", "/api/v1/users/registrations/request", None, request("alice")).0, 400);
    assert_eq!(closed.get("/api/v1/config", None).1["signup"]["allowed"], false);

    let approval = Fixture::with_vars(&[("SIGNUP_POLICY", "requires-approval")]);
    assert_eq!(approval.json("POST", "/api/v1/users/register", None, request("alice")).0, 403);
    let (_, config) = approval.get("/api/v1/config", None);
    assert_eq!(
        (config["signup"]["allowed"].as_bool(), config["signup"]["requiresApproval"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(approval.get("/nodeinfo/2.0.json", None).1["openRegistrations"], true);
}

#[test]
fn requests_are_accepted_or_rejected_by_moderators() {
    let f = Fixture::with_vars(&[("SIGNUP_POLICY", "requires-approval")]);
    let (status, alice) = f.json("POST", "/api/v1/users/registrations/request", None, request("alice"));
    assert_eq!(status, 200, "{alice}");
    assert_eq!(alice["state"], json!({"id": 1, "label": "Pending"}));
    assert_eq!(alice["channelHandle"], "alice_videos");
    assert!(alice["user"].is_null());
    assert_eq!(
        f.json("POST", "/api/v1/users/registrations/request", None, request("alice")).0,
        409,
        "one pending request per name"
    );
    let (_, bob) = f.json("POST", "/api/v1/users/registrations/request", None, request("bob"));

    // Nobody logs in before acceptance; only moderators see and decide.
    let (client_id, client_secret) = f.client();
    let form = format!("client_id={client_id}&client_secret={client_secret}&grant_type=password&username=alice&password=alice-password");
    let login = || f.token(&form).0;
    assert_eq!(login(), 400);
    assert_eq!(f.get("/api/v1/users/registrations", None).0, 401);
    let root = f.root();
    let (_, list) = f.get("/api/v1/users/registrations", Some(&root));
    assert_eq!(list["total"], 2);

    let alice_id = alice["id"].as_i64().unwrap();
    let accept = format!("/api/v1/users/registrations/{alice_id}/accept");
    assert_eq!(f.json("POST", &accept, Some(&root), json!({})).0, 400, "a response is required");
    assert_eq!(f.json("POST", &accept, Some(&root), json!({"moderationResponse": "Welcome!"})).0, 204);
    assert_eq!(f.json("POST", &accept, Some(&root), json!({"moderationResponse": "Again"})).0, 409);
    assert_eq!(login(), 200, "the requested password works");
    let alice_token = f.login("alice", "alice-password");
    let (_, me) = f.get("/api/v1/users/me", Some(&alice_token));
    assert_eq!(me["videoChannels"][0]["name"], "alice_videos");
    assert_eq!(f.get("/api/v1/users/registrations", Some(&alice_token)).0, 403);

    let bob_id = bob["id"].as_i64().unwrap();
    let reject = format!("/api/v1/users/registrations/{bob_id}/reject");
    assert_eq!(f.json("POST", &reject, Some(&root), json!({"moderationResponse": "Sorry"})).0, 204);
    let (_, list) = f.get("/api/v1/users/registrations?sort=createdAt", Some(&root));
    assert_eq!(list["data"][0]["state"]["label"], "Accepted");
    assert_eq!(list["data"][0]["user"]["id"], me["id"]);
    assert_eq!(list["data"][1]["state"]["label"], "Rejected");
    assert_eq!(
        f.json("DELETE", &format!("/api/v1/users/registrations/{bob_id}"), Some(&root), json!({})).0,
        204
    );
    assert_eq!(f.get("/api/v1/users/registrations", Some(&root)).1["total"], 1);
}
