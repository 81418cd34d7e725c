//! Searching other servers from ours: instance B, logged in, looks up A's channel by handle and
//! by URL and A's video by URL, as PeerTube resolves remote objects in search for its users;
//! anonymous searches stay local. Two whole `App`s in one process, joined by an HTTP port that
//! hands a request for one origin to that instance (the harness of `federation.rs`, trimmed to
//! what searching needs).

#![allow(clippy::unwrap_used)]

mod support;

use edgetube_domain::videos::NewVideo;
use support::network::{Network, A};

const CHANNEL: &str = "root_channel@a.example:8001";

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn a_logged_in_user_finds_a_remote_channel_by_handle_and_url() {
    let net = Network::new(&[]);
    let root_b = net.root(1);

    // Anonymous: only local results, and nothing is fetched.
    let (status, body) =
        net.get(1, &format!("/api/v1/search/video-channels?search={}", encoded(CHANNEL)), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 0, "{body}");
    let (status, _) = net.get(1, &format!("/api/v1/video-channels/{CHANNEL}"), None);
    assert_eq!(status, 404, "not known here yet");

    // Logged in, by handle (with a leading @): WebFinger, then the channel and its account.
    let search = format!("/api/v1/search/video-channels?search={}", encoded(&format!("@{CHANNEL}")));
    let (status, body) = net.get(1, &search, Some(&root_b));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1, "{body}");
    let channel = &body["data"][0];
    assert_eq!(channel["name"], "root_channel");
    assert_eq!(channel["host"], "a.example:8001");
    assert_eq!(channel["url"], format!("{A}/video-channels/root_channel"));
    assert_eq!(channel["isLocal"], false);
    assert_eq!(channel["ownerAccount"]["name"], "root", "{channel}");

    // By URL.
    let url = format!("{A}/video-channels/root_channel");
    let (status, body) =
        net.get(1, &format!("/api/v1/search/video-channels?search={}", encoded(&url)), Some(&root_b));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["data"][0]["url"], url);

    // Now known here: the channel and its account by handle, even anonymously.
    let (status, body) = net.get(1, &format!("/api/v1/video-channels/{CHANNEL}"), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["url"], url);
    let (status, body) = net.get(1, "/api/v1/accounts/root@a.example:8001", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["url"], format!("{A}/accounts/root"));
    // A channel handle is not an account.
    let (status, _) = net.get(1, &format!("/api/v1/accounts/{CHANNEL}"), None);
    assert_eq!(status, 404);

    // Unknown handles and hosts find nothing, without an error.
    for unknown in ["nobody@a.example:8001", "someone@c.example", "https://c.example/video-channels/x"] {
        let (status, body) =
            net.get(1, &format!("/api/v1/search/video-channels?search={}", encoded(unknown)), Some(&root_b));
        assert_eq!(status, 200, "{unknown}: {body}");
        assert_eq!(body["total"], 0, "{unknown}: {body}");
        assert_eq!(body["data"], serde_json::json!([]));
    }
}

#[test]
fn a_logged_in_user_imports_a_remote_video_by_its_url() {
    let net = Network::new(&[]);
    let a = net.fixture(0);
    let root_a = a.root();
    let video = a.video(NewVideo::new(a.channel_of(&root_a), "Searched from afar"));
    let root_b = net.root(1);
    let watch = format!("{A}/videos/watch/{}", video.uuid);

    // Anonymous: the local search, which does not know it.
    let search = |url: &str, token: Option<&str>| {
        net.get(1, &format!("/api/v1/search/videos?search={}", encoded(url)), token)
    };
    let (status, body) = search(&watch, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 0, "{body}");

    // Logged in: fetched from A and stored, though nobody here follows its channel.
    let (status, body) = search(&watch, Some(&root_b));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1, "{body}");
    let found = &body["data"][0];
    assert_eq!(found["uuid"], video.uuid);
    assert_eq!(found["name"], "Searched from afar");
    assert_eq!(found["isLocal"], false);
    assert_eq!(found["channel"]["host"], "a.example:8001");

    // The short form names the same video; the list shows it as it shows any remote video.
    let short = edgetube_domain::videos::short_uuid::short_uuid(&video.uuid).unwrap();
    let (_, body) = search(&format!("{A}/w/{short}"), Some(&root_b));
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["data"][0]["uuid"], video.uuid);
    let (_, list) = net.get(1, "/api/v1/videos", None);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["data"][0], *found, "same JSON as the list");
    let (_, channel_videos) = net.get(1, &format!("/api/v1/video-channels/{CHANNEL}/videos"), None);
    assert_eq!(channel_videos["total"], 1, "{channel_videos}");

    // A URL with no video behind it finds nothing.
    let (status, body) =
        search(&format!("{A}/videos/watch/9c9de5e8-0a1b-4b2c-8d3e-4f5a6b7c8d9e"), Some(&root_b));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 0, "{body}");
}
