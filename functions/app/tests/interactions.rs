//! Comments, ratings and views over native ports, against PeerTube's shapes and refusals.

#![allow(clippy::unwrap_used)]

mod support;

use edgetube_domain::videos::{self, privacy, NewVideo};
use edgetube_domain::views::add_views;
use serde_json::{json, Value};
use support::{keys, sample, Fixture};

/// A published video in root's channel, with the given comments policy and privacy.
fn video(f: &Fixture, comments_policy: i64, privacy: i64) -> String {
    f.root();
    let (_, channel) = f.get("/api/v1/video-channels/root_channel", None);
    let mut new = NewVideo::new(channel["id"].as_i64().unwrap(), "Big Buck Bunny");
    new.comments_policy = comments_policy;
    new.privacy = privacy;
    f.block(videos::create(&f.ports.ports(), &new)).unwrap().uuid
}

#[test]
fn comment_threads_replies_and_deletion() {
    let f = Fixture::new();
    let uuid = video(&f, 1, privacy::PUBLIC);
    let root = f.root();
    let alice = f.user("alice");

    let (status, posted) = f.json(
        "POST",
        &format!("/api/v1/videos/{uuid}/comment-threads"),
        Some(&alice),
        json!({"text": "First! 🐰"}),
    );
    assert_eq!(status, 200, "{posted}");
    assert_eq!(keys(&posted), keys(&sample("comment-thread-post.json")));
    assert_eq!(keys(&posted["comment"]), keys(&sample("comment-thread-post.json")["comment"]));
    let thread_id = posted["comment"]["id"].as_i64().unwrap();
    assert_eq!(posted["comment"]["threadId"], thread_id);
    assert_eq!(posted["comment"]["account"]["name"], "alice");

    let (status, reply) = f.json(
        "POST",
        &format!("/api/v1/videos/{uuid}/comments/{thread_id}"),
        Some(&root),
        json!({"text": "A reply"}),
    );
    assert_eq!(status, 200, "{reply}");
    let reply_id = reply["comment"]["id"].as_i64().unwrap();
    assert_eq!(reply["comment"]["inReplyToCommentId"], thread_id);
    let (_, nested) = f.json(
        "POST",
        &format!("/api/v1/videos/{uuid}/comments/{reply_id}"),
        Some(&alice),
        json!({"text": "Deeper"}),
    );

    let (status, threads) = f.get(&format!("/api/v1/videos/{uuid}/comment-threads"), None);
    assert_eq!(status, 200);
    assert_eq!(keys(&threads), keys(&sample("comment-threads.json")));
    assert_eq!((threads["total"].as_i64(), threads["totalNotDeletedComments"].as_i64()), (Some(1), Some(3)));
    assert_eq!(threads["data"][0]["totalReplies"], 2);
    assert_eq!(threads["data"][0]["totalRepliesFromVideoAuthor"], 1);

    let (status, tree) = f.get(&format!("/api/v1/videos/{uuid}/comment-threads/{thread_id}"), None);
    assert_eq!(status, 200);
    assert_eq!(keys(&tree), keys(&sample("comment-thread.json")));
    assert_eq!(tree["children"][0]["comment"]["id"], reply_id);
    assert_eq!(tree["children"][0]["children"][0]["comment"]["id"], nested["comment"]["id"]);

    // Refusals: anonymous, empty, too long, someone else's comment, unknown ids.
    let path = format!("/api/v1/videos/{uuid}/comment-threads");
    assert_eq!(f.json("POST", &path, None, json!({"text": "x"})).0, 401);
    assert_eq!(f.json("POST", &path, Some(&alice), json!({"text": ""})).0, 400);
    assert_eq!(f.json("POST", &path, Some(&alice), json!({"text": "x".repeat(10_001)})).0, 400);
    let bob = f.user("bob");
    assert_eq!(
        f.json("DELETE", &format!("/api/v1/videos/{uuid}/comments/{reply_id}"), Some(&bob), json!({})).0,
        403
    );
    assert_eq!(f.get(&format!("/api/v1/videos/{uuid}/comment-threads/999"), None).0, 404);

    // A comment with replies becomes a tombstone; the owner of the video may delete it.
    assert_eq!(
        f.json("DELETE", &format!("/api/v1/videos/{uuid}/comments/{reply_id}"), Some(&root), json!({})).0,
        204
    );
    let (_, tree) = f.get(&format!("/api/v1/videos/{uuid}/comment-threads/{thread_id}"), None);
    assert_eq!(tree["children"][0]["comment"]["isDeleted"], true);
    assert_eq!(tree["children"][0]["comment"]["text"], "");
    assert_eq!(tree["children"][0]["children"][0]["comment"]["text"], "Deeper");
    let (_, threads) = f.get(&format!("/api/v1/videos/{uuid}/comment-threads"), None);
    assert_eq!(threads["totalNotDeletedComments"], 2);

    // NodeInfo counts what exists: one video, two live comments, three users who logged in.
    let (_, nodeinfo) = f.get("/nodeinfo/2.0.json", None);
    assert_eq!(nodeinfo["usage"]["localPosts"], 1);
    assert_eq!(nodeinfo["usage"]["localComments"], 2);
    assert_eq!(nodeinfo["usage"]["users"]["activeMonth"], 3);
    assert_eq!(nodeinfo["usage"]["users"]["total"], 3);
}

#[test]
fn comment_policies_and_private_videos() {
    let f = Fixture::new();
    let alice = f.user("alice");
    let disabled = video(&f, 2, privacy::PUBLIC);
    let (status, _) = f.json(
        "POST",
        &format!("/api/v1/videos/{disabled}/comment-threads"),
        Some(&alice),
        json!({"text": "hello"}),
    );
    assert_eq!(status, 409);

    let moderated = video(&f, 3, privacy::PUBLIC);
    let (_, held) = f.json(
        "POST",
        &format!("/api/v1/videos/{moderated}/comment-threads"),
        Some(&alice),
        json!({"text": "hello"}),
    );
    assert_eq!(held["comment"]["heldForReview"], true);
    assert_eq!(
        f.get(&format!("/api/v1/videos/{moderated}/comment-threads"), None).1["total"],
        0,
        "hidden from others"
    );
    assert_eq!(f.get(&format!("/api/v1/videos/{moderated}/comment-threads"), Some(&alice)).1["total"], 1);
    assert_eq!(f.get(&format!("/api/v1/videos/{moderated}/comment-threads"), Some(&f.root())).1["total"], 1);

    let private = video(&f, 1, privacy::PRIVATE);
    assert_eq!(f.get(&format!("/api/v1/videos/{private}/comment-threads"), None).0, 401);
    assert_eq!(f.get(&format!("/api/v1/videos/{private}/comment-threads"), Some(&alice)).0, 403);
}

#[test]
fn ratings_replace_each_other_and_count() {
    let f = Fixture::new();
    let uuid = video(&f, 1, privacy::PUBLIC);
    let alice = f.user("alice");
    let bob = f.user("bob");
    let rate = |token: &str, rating: &str| {
        f.json("PUT", &format!("/api/v1/videos/{uuid}/rate"), Some(token), json!({"rating": rating})).0
    };
    assert_eq!(rate(&alice, "like"), 204);
    assert_eq!(rate(&bob, "like"), 204);
    assert_eq!(rate(&bob, "dislike"), 204);
    let (_, details) = f.get(&format!("/api/v1/videos/{uuid}"), None);
    assert_eq!((details["likes"].as_i64(), details["dislikes"].as_i64()), (Some(1), Some(1)));
    let id = details["id"].as_i64().unwrap();

    let (status, mine) = f.get(&format!("/api/v1/users/me/videos/{id}/rating"), Some(&bob));
    assert_eq!(status, 200);
    assert_eq!(mine, json!({"videoId": id, "rating": "dislike"}));
    assert_eq!(keys(&mine), keys(&sample("video-rating.json")));
    assert_eq!(rate(&bob, "none"), 204);
    assert_eq!(f.get(&format!("/api/v1/users/me/videos/{id}/rating"), Some(&bob)).1["rating"], "none");
    assert_eq!(f.get(&format!("/api/v1/videos/{uuid}"), None).1["dislikes"], 0);

    assert_eq!(rate(&alice, "love"), 400);
    assert_eq!(f.json("PUT", &format!("/api/v1/videos/{uuid}/rate"), None, json!({"rating": "like"})).0, 401);
}

#[test]
fn views_count_once_per_viewer_and_reach_sql_in_aggregate() {
    let f = Fixture::new();
    let uuid = video(&f, 1, privacy::PUBLIC);
    let view = |address: &str, body: Value| {
        let request = http::Request::post(format!("/api/v1/videos/{uuid}/views"))
            .header("content-type", "application/json")
            .header("cf-connecting-ip", address)
            .header("user-agent", "test")
            .body(bytes::Bytes::from(body.to_string()))
            .unwrap();
        f.send(request).0
    };
    for _ in 0..5 {
        assert_eq!(view("192.0.2.1", json!({"currentTime": 1.5})), 204);
    }
    assert_eq!(view("192.0.2.2", json!({"currentTime": 0, "viewEvent": "seek"})), 204);
    assert_eq!(view("192.0.2.3", json!({"currentTime": -1})), 400);
    assert_eq!(view("192.0.2.3", json!({"currentTime": 1, "viewEvent": "play"})), 400);

    // Nothing was written per view: the counter holds the aggregate until it is flushed.
    assert_eq!(f.get(&format!("/api/v1/videos/{uuid}"), None).1["views"], 0);
    let pending = f.ports.views.take_pending();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].1, 2, "two distinct viewers");
    f.block(edgetube_ports::Sql::execute(&f.ports.sql, add_views(pending[0].0, pending[0].1))).unwrap();
    assert_eq!(f.get(&format!("/api/v1/videos/{uuid}"), None).1["views"], 2);

    // An hour later the same viewer counts again.
    f.ports.clock.advance(3600 * 1000);
    assert_eq!(view("192.0.2.1", json!({"currentTime": 3})), 204);
    assert_eq!(f.ports.views.take_pending()[0].1, 1);
}
