//! Views, abuse reports and actor updates between two instances, over the in-process network of
//! `support::network`.

#![allow(clippy::unwrap_used)]

mod support;

use edgetube_domain::videos::NewVideo;
use edgetube_ports::{InboxWork, JobQueue, QueueMessage, Sql, Statement};
use futures::executor::block_on;
use serde_json::{json, Value};
use support::network::{Network, A, B};

/// Stores `activity` in node `index`'s inbox as the inbox would after verifying it (signed by
/// `signer`) and queues it; [`Network::pump`] applies it.
fn deliver(net: &Network, index: usize, activity: &Value, signer: &str) {
    let f = net.fixture(index);
    let id = activity["id"].as_str().unwrap();
    block_on(f.ports.sql.execute(
        Statement::new(
            "INSERT INTO inbox_activities (ap_id, body_sha256, signer, body, state, received_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', 0, 0)",
        )
        .bind(id)
        .bind(format!("test-{id}"))
        .bind(signer)
        .bind(activity.to_string()),
    ))
    .unwrap();
    let rows = net.rows(index, &format!("SELECT id FROM inbox_activities WHERE ap_id = '{id}'"));
    let row = rows[0]["id"].as_i64().unwrap();
    block_on(JobQueue::send(
        &f.ports.queue,
        &QueueMessage::Inbox(InboxWork { activity: row, attempt: 0 }),
        None,
    ))
    .unwrap();
}

/// A public video of node `index`'s root channel; its UUID.
fn video_of_root(net: &Network, index: usize) -> String {
    let f = net.fixture(index);
    let channel = f.channel_of(&net.root(index));
    f.video(NewVideo { duration: 10, ..NewVideo::new(channel, "Shared clip") }).uuid
}

/// The views node `index`'s counter has not yet flushed, over all videos.
fn pending_views(net: &Network, index: usize) -> u64 {
    net.fixture(index).ports.views.take_pending().iter().map(|(_, n)| n).sum()
}

fn view(id: &str, actor: &str, object: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": id, "type": "View", "actor": actor, "object": object,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

#[test]
fn a_view_from_another_server_counts_once_per_viewer() {
    let net = Network::new(&[]);
    let uuid = video_of_root(&net, 0);
    let object = format!("{A}/videos/watch/{uuid}");
    let instance_b = format!("{B}/accounts/peertube");
    deliver(&net, 0, &view(&format!("{B}/views/1"), &instance_b, &object), &instance_b);
    deliver(&net, 0, &view(&format!("{B}/views/2"), &instance_b, &object), &instance_b);
    net.pump();
    assert_eq!(pending_views(&net, 0), 1, "the same viewer twice within the hour counts once");

    let root_b = format!("{B}/accounts/root");
    deliver(&net, 0, &view(&format!("{B}/views/3"), &instance_b, &object), &instance_b);
    deliver(&net, 0, &view(&format!("{B}/views/4"), &root_b, &object), &root_b);
    net.pump();
    assert_eq!(pending_views(&net, 0), 1, "a second viewer counts once more");

    // A current-viewer View (with `expires`) is not a view.
    let mut live = view(&format!("{B}/views/5"), &format!("{B}/accounts/other"), &object);
    live["expires"] = json!("2030-01-01T00:00:00.000Z");
    deliver(&net, 0, &live, &format!("{B}/accounts/other"));
    net.pump();
    assert_eq!(pending_views(&net, 0), 0);
}

#[test]
fn an_actor_updating_itself_is_refreshed_and_no_one_else_may() {
    let net = Network::new(&[]);
    let root_a = net.root(0);
    // A follows B's channel, which makes A store B's channel and its account.
    net.subscribe(0, &root_a, "root_channel@b.example:8002");
    net.pump();
    let name_on_a = || {
        net.rows(0, "SELECT display_name FROM actors WHERE username = 'root' AND kind = 'Person' AND host IS NOT NULL")
            [0]["display_name"]
            .clone()
    };
    let before = name_on_a();

    let root_b = net.root(1);
    let (status, body) =
        net.api(1, "PUT", "/api/v1/users/me", Some(&root_b), Some(json!({"displayName": "Bea Renamed"})));
    assert_eq!(status, 204, "{body}");
    let actor = format!("{B}/accounts/root");
    let update = |id: &str, by: &str| {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": id, "type": "Update", "actor": by,
            "object": {"id": actor, "type": "Person", "name": "claimed"},
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
    };
    // Another actor of the same server may not rewrite it.
    let other = format!("{B}/video-channels/root_channel");
    deliver(&net, 0, &update(&format!("{B}/updates/1"), &other), &other);
    net.pump();
    assert_eq!(name_on_a(), before);

    deliver(&net, 0, &update(&format!("{B}/updates/2"), &actor), &actor);
    net.pump();
    assert_eq!(name_on_a(), json!("Bea Renamed"), "refreshed from B, not from the activity's copy");
}

/// B's root subscribes to A's root channel, and A's channel announces a new video of A's: B
/// reads it from A and keeps a copy. B's root token and the video's UUID.
fn b_copies_a_video(net: &Network) -> (String, String) {
    let root_b = net.root(1);
    net.subscribe(1, &root_b, "root_channel@a.example:8001");
    net.pump();
    let uuid = video_of_root(net, 0);
    let channel = format!("{A}/video-channels/root_channel");
    let announce = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": format!("{A}/videos/watch/{uuid}/announces/1"), "type": "Announce", "actor": channel,
        "object": format!("{A}/videos/watch/{uuid}"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    deliver(net, 1, &announce, &channel);
    (root_b, uuid)
}

#[test]
fn a_remote_video_viewed_here_sends_one_view_to_its_origin() {
    let net = Network::new(&[]);
    let (root_b, uuid) = b_copies_a_video(&net);
    let outcomes = net.pump();
    let (status, copy) = net.api(1, "GET", &format!("/api/v1/videos/{uuid}"), None, None);
    assert_eq!(status, 200, "{copy} {outcomes:?}");
    assert_eq!(copy["isLocal"], json!(false));

    // To the channel's shared inbox (or its own): every POST to A.
    let inbox_posts = || net.posts_to(&format!("{A}/")).len();
    let before = inbox_posts();
    for _ in 0..2 {
        let (status, body) = net.api(
            1,
            "POST",
            &format!("/api/v1/videos/{uuid}/views"),
            Some(&root_b),
            Some(json!({"currentTime": 1})),
        );
        assert_eq!(status, 204, "{body}");
    }
    net.pump();
    assert_eq!(inbox_posts(), before + 1, "one View for one viewer within the hour");
    assert_eq!(pending_views(&net, 0), 1, "A counted it");
    assert_eq!(pending_views(&net, 1), 0, "B counts nothing for a copy");
}

#[test]
fn a_flag_from_another_server_is_listed_for_moderators_and_settled() {
    let net = Network::new(&[]);
    let uuid = video_of_root(&net, 0);
    let instance_b = format!("{B}/accounts/peertube");
    let flag = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": format!("{B}/abuses/7"), "type": "Flag", "actor": instance_b,
        "object": [format!("{A}/videos/watch/{uuid}"), format!("{A}/videos/watch/not-ours")],
        "content": "Spam in the description",
        "tag": [{"type": "Hashtag", "name": "spamOrMisleading"}],
        "to": [format!("{A}/accounts/peertube")],
    });
    deliver(&net, 0, &flag, &instance_b);
    // Redelivered: still one report.
    net.pump();
    block_on(
        net.fixture(0).ports.sql.execute(Statement::new("UPDATE inbox_activities SET state = 'queued'")),
    )
    .unwrap();
    let rows = net.rows(0, "SELECT id FROM inbox_activities WHERE ap_id LIKE '%/abuses/7'");
    let row = rows[0]["id"].as_i64().unwrap();
    block_on(JobQueue::send(
        &net.fixture(0).ports.queue,
        &QueueMessage::Inbox(edgetube_ports::InboxWork { activity: row, attempt: 0 }),
        None,
    ))
    .unwrap();
    net.pump();

    let root_a = net.root(0);
    let (status, list) = net.api(0, "GET", "/api/v1/abuses", Some(&root_a), None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], json!(1), "{list}");
    let abuse = &list["data"][0];
    assert_eq!(abuse["reason"], json!("Spam in the description"));
    assert_eq!(abuse["predefinedReasons"], json!(["spamOrMisleading"]));
    assert_eq!(abuse["video"]["uuid"], json!(uuid));
    assert_eq!(abuse["state"], json!({"id": 1, "label": "Pending"}));
    assert_eq!(abuse["reporterAccount"]["host"], json!("b.example:8002"), "{abuse}");

    let alice = net.fixture(0).user("alice");
    assert_eq!(net.api(0, "GET", "/api/v1/abuses", Some(&alice), None).0, 403);
    assert_eq!(net.api(0, "GET", "/api/v1/abuses", None, None).0, 401);

    let id = abuse["id"].as_i64().unwrap();
    let (status, body) = net.api(
        0,
        "PUT",
        &format!("/api/v1/abuses/{id}"),
        Some(&root_a),
        Some(json!({"state": 3, "moderationComment": "removed"})),
    );
    assert_eq!(status, 204, "{body}");
    let (_, list) = net.api(0, "GET", "/api/v1/abuses", Some(&root_a), None);
    assert_eq!(list["data"][0]["state"], json!({"id": 3, "label": "Accepted"}));
    assert_eq!(list["data"][0]["moderationComment"], json!("removed"));
    assert_eq!(net.api(0, "PUT", "/api/v1/abuses/999", Some(&root_a), Some(json!({"state": 2}))).0, 404);
    assert_eq!(
        net.api(0, "PUT", &format!("/api/v1/abuses/{id}"), Some(&root_a), Some(json!({"state": 9}))).0,
        400
    );
}

#[test]
fn a_videos_likes_dislikes_shares_and_comments_are_collections_paged_as_peertube_pages_them() {
    let net = Network::new(&[]);
    let uuid = video_of_root(&net, 0);
    let video = format!("{A}/videos/watch/{uuid}");
    let root_b = format!("{B}/accounts/root");
    let instance_b = format!("{B}/accounts/peertube");
    let activity = |id: &str, kind: &str, actor: &str| {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": id, "type": kind, "actor": actor, "object": video,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
    };
    deliver(&net, 0, &activity(&format!("{B}/accounts/root/likes/7"), "Like", &root_b), &root_b);
    deliver(
        &net,
        0,
        &activity(&format!("{B}/accounts/peertube/dislikes/7"), "Dislike", &instance_b),
        &instance_b,
    );
    let share = activity(&format!("{B}/videos/watch/{uuid}/announces/1"), "Announce", &instance_b);
    deliver(&net, 0, &share, &instance_b);
    net.pump();

    // Ours too: root of A likes it and comments twice (a thread and a reply).
    let token = net.root(0);
    let (status, _) = net.api(
        0,
        "PUT",
        &format!("/api/v1/videos/{uuid}/rate"),
        Some(&token),
        Some(json!({"rating": "like"})),
    );
    assert_eq!(status, 204);
    let (status, thread) = net.api(
        0,
        "POST",
        &format!("/api/v1/videos/{uuid}/comment-threads"),
        Some(&token),
        Some(json!({"text": "first"})),
    );
    assert_eq!(status, 200, "{thread}");
    let thread_id = thread["comment"]["id"].as_i64().unwrap();
    let (status, reply) = net.api(
        0,
        "POST",
        &format!("/api/v1/videos/{uuid}/comments/{thread_id}"),
        Some(&token),
        Some(json!({"text": "a reply"})),
    );
    assert_eq!(status, 200, "{reply}");
    let reply_id = reply["comment"]["id"].as_i64().unwrap();

    let page = |which: &str| {
        let (status, collection) = net.get(0, &format!("/videos/watch/{uuid}/{which}"), None);
        assert_eq!(status, 200, "{which}: {collection}");
        assert_eq!(collection["type"], "OrderedCollection");
        assert_eq!(collection["first"], format!("{video}/{which}?page=1"));
        let (status, page) = net.get(0, &format!("/videos/watch/{uuid}/{which}?page=1"), None);
        assert_eq!(status, 200, "{which}?page=1: {page}");
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert_eq!(page["partOf"], format!("{video}/{which}"));
        assert_eq!(page["totalItems"], collection["totalItems"]);
        page["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let video_id =
        net.rows(0, &format!("SELECT id FROM videos WHERE uuid = '{uuid}'"))[0]["id"].as_i64().unwrap();
    assert_eq!(
        page("likes"),
        [format!("{B}/accounts/root/likes/7"), format!("{A}/accounts/root/likes/{video_id}")]
    );
    assert_eq!(page("dislikes"), [format!("{B}/accounts/peertube/dislikes/7")]);
    assert_eq!(page("announces"), [format!("{B}/videos/watch/{uuid}/announces/1")]);
    assert_eq!(
        page("comments"),
        [format!("{video}/comments/{thread_id}"), format!("{video}/comments/{reply_id}")]
    );
    // Each listed comment reads back as the Note we sent; a deleted one as a Tombstone.
    let (status, note) = net.get(0, &format!("/videos/watch/{uuid}/comments/{reply_id}"), None);
    assert_eq!(status, 200, "{note}");
    assert_eq!(note["type"], "Note");
    assert_eq!(note["id"], format!("{video}/comments/{reply_id}"));
    assert_eq!(note["inReplyTo"], format!("{video}/comments/{thread_id}"));
    assert_eq!(note["attributedTo"], format!("{A}/accounts/root"));
    assert_eq!(note["content"], "a reply");
    let parsed = edgetube_activitypub::documents::Note::from_value(&note).unwrap();
    assert_eq!(parsed.id.as_str(), format!("{video}/comments/{reply_id}"));
    let path = format!("/api/v1/videos/{uuid}/comments/{reply_id}");
    assert_eq!(net.api(0, "DELETE", &path, Some(&token), None).0, 204);
    let (status, gone) = net.get(0, &format!("/videos/watch/{uuid}/comments/{reply_id}"), None);
    assert!(status == 404 || gone["type"] == "Tombstone", "{status} {gone}");
    let (status, thread) = net.get(0, &format!("/videos/watch/{uuid}/comments/{thread_id}"), None);
    assert_eq!((status, thread["type"].as_str()), (200, Some("Note")));
    assert_eq!(net.get(0, &format!("/videos/watch/{uuid}/comments/999"), None).0, 404);

    // An Undo of the share takes it back; only its own actor's Undo counts.
    let undo = |actor: &str| {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": format!("{actor}/undo/1"), "type": "Undo", "actor": actor, "object": share,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
    };
    deliver(&net, 0, &undo(&root_b), &root_b);
    net.pump();
    assert_eq!(page("announces").len(), 1, "another actor cannot take back instance_b's share");
    deliver(&net, 0, &undo(&instance_b), &instance_b);
    net.pump();
    assert!(page("announces").is_empty());

    let (status, _) = net.get(0, &format!("/videos/watch/{uuid}/playlists"), None);
    assert_eq!(status, 404);
}

#[test]
fn blocked_accounts_and_servers_leave_listings_for_everyone_or_for_the_user_who_muted_them() {
    let net = Network::new(&[]);
    // B gets a copy of A's video, and A's root comments on one of B's videos.
    let (root_b, _) = b_copies_a_video(&net);
    let local = video_of_root(&net, 1);
    let root_a = format!("{A}/accounts/root");
    let note = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": format!("{A}/comments/1/activity"), "type": "Create", "actor": root_a,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": format!("{A}/comments/1"), "type": "Note", "content": "from A",
            "attributedTo": root_a, "inReplyTo": format!("{B}/videos/watch/{local}"),
            "published": "2026-01-01T00:00:00.000Z", "to": ["https://www.w3.org/ns/activitystreams#Public"]},
    });
    deliver(&net, 1, &note, &root_a);
    let outcomes = net.pump();

    let mallory = net.fixture(1).user("mallory");
    let listed = |token: Option<&str>| {
        let (status, list) = net.get(1, "/api/v1/videos?isLocal=false", token);
        assert_eq!(status, 200, "{list}");
        let (status, threads) = net.get(1, &format!("/api/v1/videos/{local}/comment-threads"), token);
        assert_eq!(status, 200, "{threads}");
        (list["total"].as_i64().unwrap(), threads["total"].as_i64().unwrap())
    };
    assert_eq!(listed(None), (1, 1), "before any block, A's video and comment are shown: {outcomes:?}");

    // Mallory mutes A's root account: gone for her only.
    let mute = json!({"accountName": "root@a.example:8001"});
    assert_eq!(net.api(1, "POST", "/api/v1/users/me/blocklist/accounts", Some(&mallory), Some(mute)).0, 204);
    let (_, mine) = net.get(1, "/api/v1/users/me/blocklist/accounts", Some(&mallory));
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["data"][0]["blockedAccount"]["host"], "a.example:8001");
    assert_eq!(mine["data"][0]["byAccount"]["name"], "mallory");
    assert_eq!(listed(Some(&mallory)), (0, 0));
    assert_eq!(listed(Some(&root_b)), (1, 1), "another user still sees them");
    assert_eq!(listed(None), (1, 1));
    let (_, instance) = net.get(1, "/api/v1/server/blocklist/accounts", Some(&root_b));
    assert_eq!(instance["total"], 0, "a user's mute is not the instance's block");
    assert_eq!(
        net.api(1, "DELETE", "/api/v1/users/me/blocklist/accounts/root@a.example:8001", Some(&mallory), None)
            .0,
        204
    );
    assert_eq!(listed(Some(&mallory)), (1, 1));

    // Mallory mutes A's server; then the instance blocks it: gone for everyone.
    let server = json!({"host": "a.example:8001"});
    assert_eq!(
        net.api(1, "POST", "/api/v1/users/me/blocklist/servers", Some(&mallory), Some(server.clone())).0,
        204
    );
    assert_eq!(listed(Some(&mallory)), (0, 0));
    assert_eq!(listed(Some(&root_b)), (1, 1));
    assert_eq!(net.api(1, "POST", "/api/v1/server/blocklist/servers", Some(&root_b), Some(server)).0, 204);
    assert_eq!(listed(Some(&root_b)), (0, 0));
    assert_eq!(listed(None), (0, 0));
    let (_, mine) = net.get(1, "/api/v1/users/me/blocklist/servers", Some(&mallory));
    assert_eq!(mine["total"], 1, "the user's own list holds only hers: {mine}");
    assert_eq!(net.get(1, "/api/v1/users/me/blocklist/servers", None).0, 401);
}
