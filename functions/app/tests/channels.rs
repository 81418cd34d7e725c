//! Accounts and video channels over native ports: PeerTube's shapes, paging, permissions and
//! refusals, and new channels showing up as ActivityPub actors.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use support::{sample, Fixture};

/// Keys in order: channel documents must keep PeerTube's field order.
fn ordered_keys(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn names(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect()
}

fn invalid_params(problem: &Value) -> Vec<&str> {
    problem["invalid-params"].as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn accounts_and_channels_have_peertube_shapes() {
    let f = Fixture::new();
    let (status, account) = f.get("/api/v1/accounts/root", None);
    assert_eq!(status, 200);
    assert_eq!(ordered_keys(&account), ordered_keys(&sample("account.json")));
    assert_eq!((account["name"].as_str(), account["host"].as_str()), (Some("root"), Some("127.0.0.1:9000")));
    assert_eq!(f.get("/api/v1/accounts/root@127.0.0.1:9000", None).1, account);
    assert_eq!(f.get("/api/v1/accounts/root%40127.0.0.1:9000", None).1, account);
    // The instance actor is an account without a user.
    let (status, instance) = f.get("/api/v1/accounts/peertube", None);
    assert_eq!((status, instance.get("userId")), (200, None));

    let (status, channel) = f.get("/api/v1/video-channels/root_channel", None);
    assert_eq!(status, 200);
    let expected = sample("video-channel.json");
    assert_eq!(ordered_keys(&channel), ordered_keys(&expected));
    assert_eq!(ordered_keys(&channel["ownerAccount"]), ordered_keys(&expected["ownerAccount"]));
    assert_eq!(channel["ownerAccount"], account);
    assert_eq!(f.get("/api/v1/video-channels/root_channel@127.0.0.1:9000", None).1, channel);

    let (status, list) = f.get("/api/v1/video-channels", None);
    assert_eq!(status, 200);
    let expected = sample("video-channels.json");
    assert_eq!(ordered_keys(&list), ordered_keys(&expected));
    assert_eq!(ordered_keys(&list["data"][0]), ordered_keys(&expected["data"][0]));
    assert_eq!(list, json!({"total": 1, "data": [channel.clone()]}));
    assert_eq!(f.get("/api/v1/accounts/root/video-channels", None).1, list);

    let empty = json!({"total": 0, "data": []});
    assert_eq!(f.get("/api/v1/accounts/root/videos", None), (200, empty.clone()));
    assert_eq!(f.get("/api/v1/video-channels/root_channel/videos", None), (200, empty));

    // Unknown, remote, or the wrong kind of actor.
    for path in [
        "/api/v1/accounts/nobody",
        "/api/v1/accounts/root@elsewhere.example",
        "/api/v1/accounts/root_channel",
        "/api/v1/accounts/nobody/video-channels",
        "/api/v1/accounts/nobody/videos",
    ] {
        let (status, problem) = f.get(path, None);
        assert_eq!((status, problem["detail"].as_str()), (404, Some("Account not found")), "{path}");
    }
    for path in [
        "/api/v1/video-channels/nobody",
        "/api/v1/video-channels/root",
        "/api/v1/video-channels/root_channel@elsewhere.example",
        "/api/v1/video-channels/nobody/videos",
    ] {
        let (status, problem) = f.get(path, None);
        assert_eq!((status, problem["detail"].as_str()), (404, Some("Video channel not found")), "{path}");
    }

    for path in [
        "/api/v1/video-channels?count=101",
        "/api/v1/accounts/root/video-channels?count=101",
        "/api/v1/accounts/root/videos?count=101",
        "/api/v1/video-channels/root_channel/videos?count=101",
        "/api/v1/search/video-channels?search=root&count=101",
        "/api/v1/video-channels?start=-1",
        "/api/v1/video-channels?sort=views",
    ] {
        let (status, problem) = f.get(path, None);
        assert_eq!(status, 400, "{path}");
        assert_eq!(invalid_params(&problem).len(), 1, "{path}");
    }
}

#[test]
fn owners_create_update_and_delete_channels() {
    let f = Fixture::new();
    let alice = f.user("alice");
    let bob = f.user("bob");
    let root = f.root();

    let music = json!({"name": "alice_music", "displayName": "Alice's music", "description": "Songs and things", "support": "Buy me a coffee"});
    let (status, problem) = f.json("POST", "/api/v1/video-channels", None, music.clone());
    assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_token")));

    let bad = json!({"name": "a b", "displayName": "", "description": "x", "support": 5});
    let (status, problem) = f.json("POST", "/api/v1/video-channels", Some(&alice), bad);
    assert_eq!(status, 400);
    assert_eq!(invalid_params(&problem), ["name", "displayName", "description", "support"]);
    let (status, problem) = f.json("POST", "/api/v1/video-channels", Some(&alice), json!({}));
    assert_eq!((status, invalid_params(&problem)), (400, vec!["name", "displayName"]));

    // Accounts and channels share one case-insensitive name space.
    for taken in ["root", "ROOT_channel", "bob"] {
        let body = json!({"name": taken, "displayName": "Taken"});
        assert_eq!(f.json("POST", "/api/v1/video-channels", Some(&alice), body).0, 409, "{taken}");
    }

    let (status, created) = f.json("POST", "/api/v1/video-channels", Some(&alice), music.clone());
    assert_eq!(status, 200, "{created}");
    let id = created["videoChannel"]["id"].as_i64().unwrap();
    assert_eq!(created, json!({"videoChannel": {"id": id}}));
    assert_eq!(f.json("POST", "/api/v1/video-channels", Some(&bob), music).0, 409);

    let (_, channel) = f.get("/api/v1/video-channels/Alice_Music", None);
    assert_eq!(channel["id"], id);
    assert_eq!(
        (channel["displayName"].as_str(), channel["description"].as_str(), channel["support"].as_str()),
        (Some("Alice's music"), Some("Songs and things"), Some("Buy me a coffee"))
    );
    assert_eq!(channel["ownerAccount"]["name"], "alice");
    assert!(channel["ownerAccount"]["userId"].is_i64());

    // Lists, sorting and paging.
    let (_, list) = f.get("/api/v1/accounts/alice/video-channels?sort=name", None);
    assert_eq!((list["total"].as_i64(), names(&list)), (Some(2), vec!["alice_channel", "alice_music"]));
    let (_, list) = f.get("/api/v1/video-channels", None);
    assert_eq!(list["total"], 4);
    assert_eq!(names(&list), ["alice_music", "bob_channel", "alice_channel", "root_channel"]);
    let (_, list) = f.get("/api/v1/video-channels?sort=name&start=1&count=2", None);
    assert_eq!((list["total"].as_i64(), names(&list)), (Some(4), vec!["alice_music", "bob_channel"]));

    // Search: case-insensitive over name and display name, exact matches first.
    let (_, found) = f.get("/api/v1/search/video-channels?search=MUSIC", None);
    assert_eq!((found["total"].as_i64(), names(&found)), (Some(1), vec!["alice_music"]));
    let (_, found) = f.get("/api/v1/search/video-channels?search=main%20bob", None);
    assert_eq!(names(&found), ["bob_channel"]);
    let (_, found) = f.get("/api/v1/search/video-channels?search=bob_channel", None);
    assert_eq!(names(&found), ["bob_channel"]);
    let (_, found) = f.get("/api/v1/search/video-channels?search=_channel&sort=name", None);
    assert_eq!(names(&found), ["alice_channel", "bob_channel", "root_channel"]);
    assert_eq!(f.get("/api/v1/search/video-channels?search=%25", None).1["total"], 0);
    let (status, problem) = f.get("/api/v1/search/video-channels", None);
    assert_eq!((status, invalid_params(&problem)), (400, vec!["search"]));

    // Updates: the owner, moderators and administrators.
    let path = "/api/v1/video-channels/alice_music";
    let change = json!({"displayName": "Music", "description": null});
    assert_eq!(f.json("PUT", path, None, change.clone()).0, 401);
    assert_eq!(f.json("PUT", path, Some(&bob), change.clone()).0, 403);
    let (status, problem) = f.json("PUT", path, Some(&alice), json!({"displayName": "", "support": "x"}));
    assert_eq!((status, invalid_params(&problem)), (400, vec!["displayName", "support"]));
    f.ports.clock.advance(1000);
    assert_eq!(f.json("PUT", path, Some(&alice), change).0, 204);
    let (_, updated) = f.get(path, None);
    assert_eq!(
        (updated["displayName"].as_str(), updated["description"].as_str(), updated["support"].as_str()),
        (Some("Music"), None, Some("Buy me a coffee"))
    );
    assert_ne!(updated["updatedAt"], channel["updatedAt"]);
    assert_eq!(updated["createdAt"], channel["createdAt"]);
    assert_eq!(f.json("PUT", path, Some(&root), json!({"support": "Thanks"})).0, 204);
    assert_eq!(f.json("PUT", "/api/v1/video-channels/nobody", Some(&root), json!({})).0, 404);

    // Deletes: the owner and administrators, never a user's last channel.
    assert_eq!(f.json("DELETE", path, Some(&bob), json!({})).0, 403);
    let (status, problem) = f.json("DELETE", "/api/v1/video-channels/bob_channel", Some(&bob), json!({}));
    assert_eq!(
        (status, problem["detail"].as_str()),
        (409, Some("Cannot remove the last channel of this user"))
    );
    assert_eq!(f.json("DELETE", path, Some(&alice), json!({})).0, 204);
    assert_eq!(f.get(path, None).0, 404);
    assert_eq!(f.json("DELETE", "/api/v1/video-channels/alice_channel", Some(&root), json!({})).0, 409);
    assert_eq!(f.json("DELETE", "/api/v1/video-channels/nobody", Some(&root), json!({})).0, 404);
    let (_, me) = f.get("/api/v1/users/me", Some(&alice));
    assert_eq!(me["videoChannels"].as_array().unwrap().len(), 1);
}

#[test]
fn a_user_owns_at_most_20_channels() {
    let f = Fixture::new();
    let alice = f.user("alice");
    for i in 1..20 {
        let body = json!({"name": format!("alice_{i}"), "displayName": format!("Channel {i}")});
        assert_eq!(f.json("POST", "/api/v1/video-channels", Some(&alice), body).0, 200, "{i}");
    }
    let body = json!({"name": "alice_20", "displayName": "One too many"});
    let (status, problem) = f.json("POST", "/api/v1/video-channels", Some(&alice), body);
    assert_eq!((status, problem["detail"].as_str()), (400, Some("You cannot create more than 20 channels")));
    assert_eq!(f.get("/api/v1/accounts/alice/video-channels?count=100", None).1["total"], 20);
}

#[test]
fn a_created_channel_is_an_activitypub_actor() {
    let f = Fixture::new();
    let alice = f.user("alice");
    let body = json!({"name": "alice_live", "displayName": "Alice live", "support": "Thanks!"});
    assert_eq!(f.json("POST", "/api/v1/video-channels", Some(&alice), body).0, 200);

    let url = "http://127.0.0.1:9000/video-channels/alice_live";
    let (status, jrd) = f.get("/.well-known/webfinger?resource=acct:alice_live@127.0.0.1:9000", None);
    assert_eq!(status, 200);
    assert_eq!(jrd["links"][0]["href"], url);

    let activity = [("accept", "application/activity+json")];
    let (status, actor) = f.get_with("/video-channels/alice_live", None, &activity);
    assert_eq!(status, 200);
    assert_eq!((actor["type"].as_str(), actor["id"].as_str()), (Some("Group"), Some(url)));
    assert_eq!(actor["preferredUsername"], "alice_live");
    assert_eq!(actor["support"], "Thanks!");
    assert_eq!(actor["attributedTo"][0]["id"], "http://127.0.0.1:9000/accounts/alice");
    assert!(actor["publicKey"]["publicKeyPem"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    let (_, root_channel) = f.get_with("/video-channels/root_channel", None, &activity);
    assert_ne!(actor["publicKey"]["publicKeyPem"], root_channel["publicKey"]["publicKeyPem"]);
}
