//! Videos across instances, both directions, over the whole app.
//!
//! Incoming: PeerTube 7's real `Create{Video}` (the captured delivery, moved to another host)
//! goes through the inbox consumer and comes out of the REST API as a remote video; Update,
//! Announce, Delete, forwarded copies, unfollowed senders and hostile UUIDs are applied or refused.
//! Outgoing: a local video published by a runner, edited and deleted queues `Create`, the
//! `Announce`s, `Update` and `Delete`, whose Video object reads back with the URLs the REST API
//! reports, delivered signed to a follower's inbox.

#![allow(clippy::unwrap_used)]

mod support;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_activitypub::documents::{Activity, ActivityKind, Video as VideoObject};
use edgetube_app::QueueOutcome;
use edgetube_domain::actors::{self, ActorKind};
use edgetube_domain::follows::{self, FollowState};
use edgetube_domain::remote_actors::{self, RemoteActor, RemoteActorDocument};
use edgetube_domain::videos::{self, NewVideo};
use edgetube_media::runner_jobs;
use edgetube_ports::{
    Clock, Delivery, HttpClient, HttpLimits, InboxWork, ObjectCreated, PortError, Ports, QueueMessage, Sql,
    Statement,
};
use serde_json::{json, Value};
use support::{Fixture, NOW, ORIGIN};

/// Where the remote PeerTube lives in these tests (the samples were captured at our origin).
const REMOTE: &str = "https://peertube.example";
const REMOTE_HOST: &str = "peertube.example";
const UUID: &str = "73bad3ec-0474-4742-af5f-639d9e808e09";
const REGISTRATION: &str = "ptrrt-federation-videos-token";

const DELIVERIES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/peertube-samples/deliveries/http");

/// A captured delivery's body, its hosts moved to [`REMOTE`].
fn delivery(name: &str) -> Value {
    let path = format!("{DELIVERIES}/{name}.body.pretty.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text
        .replace("http://127.0.0.1:9000", REMOTE)
        .replace("ws://127.0.0.1:9000", "wss://peertube.example")
        .replace("http%3A%2F%2F127.0.0.1%3A9000", "https%3A%2F%2Fpeertube.example")
        .replace("ws%3A%2F%2F127.0.0.1%3A9000", "wss%3A%2F%2Fpeertube.example");
    serde_json::from_str(&text).unwrap()
}

fn video_url() -> String {
    format!("{REMOTE}/videos/watch/{UUID}")
}

/// An outbound HTTP port that serves fixed documents to GETs and takes every POST (recorded).
#[derive(Default)]
struct FakeRemote {
    documents: RefCell<HashMap<String, Value>>,
    images: RefCell<HashMap<String, Bytes>>,
    posts: RefCell<Vec<(String, http::HeaderMap, Value)>>,
    gets: RefCell<Vec<String>>,
}

impl FakeRemote {
    fn serve(&self, url: &str, document: Value) {
        self.documents.borrow_mut().insert(url.to_owned(), document);
    }
}

#[async_trait(?Send)]
impl HttpClient for FakeRemote {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        _limits: HttpLimits,
    ) -> Result<http::Response<Bytes>, PortError> {
        let url = request.uri().to_string();
        if request.method() == http::Method::POST {
            let body = serde_json::from_slice(request.body()).unwrap();
            self.posts.borrow_mut().push((url, request.headers().clone(), body));
            return Ok(http::Response::builder().status(202).body(Bytes::new()).unwrap());
        }
        self.gets.borrow_mut().push(url.clone());
        if let Some(image) = self.images.borrow().get(&url) {
            return Ok(http::Response::builder()
                .status(200)
                .header("content-type", "image/jpeg")
                .body(image.clone())
                .unwrap());
        }
        Ok(match self.documents.borrow().get(&url) {
            Some(document) => http::Response::builder()
                .status(200)
                .header("content-type", "application/activity+json")
                .body(Bytes::from(document.to_string()))
                .unwrap(),
            None => http::Response::builder().status(404).body(Bytes::new()).unwrap(),
        })
    }
}

/// The fixture's ports with `http` in place of the offline client.
fn ports_with<'a>(f: &'a Fixture, http: &'a FakeRemote) -> Ports<'a> {
    let mut ports = f.ports.ports();
    ports.http = http;
    ports
}

/// Stores a remote actor as if fetched now.
fn remote_actor(
    f: &Fixture,
    kind: ActorKind,
    ap_id: &str,
    username: &str,
    owner: Option<i64>,
) -> RemoteActor {
    let host = url::Url::parse(ap_id).unwrap().host_str().unwrap().to_owned();
    let document = RemoteActorDocument {
        kind,
        username: username.to_owned(),
        host: host.clone(),
        display_name: format!("{username} display"),
        summary: None,
        ap_id: ap_id.to_owned(),
        inbox_url: format!("{ap_id}/inbox"),
        shared_inbox_url: Some(format!("https://{host}/inbox")),
        followers_url: Some(format!("{ap_id}/followers")),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".to_owned(),
        ed25519_public_multibase: None,
        avatar_url: None,
        owner_id: owner,
    };
    f.block(remote_actors::upsert(&f.ports.sql, &document, f.ports.clock.now_millis())).unwrap()
}

/// The remote account `root` and its channel `root_channel`, as the sample names them.
fn remote_owners(f: &Fixture) -> (RemoteActor, RemoteActor) {
    let account = remote_actor(f, ActorKind::Person, &format!("{REMOTE}/accounts/root"), "root", None);
    let channel = remote_actor(
        f,
        ActorKind::Group,
        &format!("{REMOTE}/video-channels/root_channel"),
        "root_channel",
        Some(account.id),
    );
    (account, channel)
}

/// The row of our actor `name` (after the first start made the instance's).
fn local_id(f: &Fixture, name: &str) -> i64 {
    f.block(f.app.ensure_bootstrapped(&f.ports.ports())).unwrap();
    f.block(actors::find_local(&f.ports.sql, name)).unwrap().unwrap().id
}

/// `follower` (a row id) follows `following`, accepted.
fn follow(f: &Fixture, follower: i64, following: i64) {
    let statement = follows::upsert(
        follower,
        following,
        FollowState::Accepted,
        &format!("{ORIGIN}/follows/{follower}-{following}"),
        NOW,
    );
    f.block(f.ports.sql.execute(statement)).unwrap();
}

/// Stores `activity` as the inbox would (signed by `signer`) and applies it through the app's
/// queue consumer.
fn apply(f: &Fixture, ports: &Ports<'_>, activity: &Value, signer: &str) -> QueueOutcome {
    static ROWS: AtomicU64 = AtomicU64::new(0);
    let body = activity.to_string();
    // Any distinct digest: the consumer reads the row, not the digest.
    let digest = format!("test-{}", ROWS.fetch_add(1, Ordering::Relaxed));
    f.block(ports.sql.execute(
        Statement::new(
            "INSERT INTO inbox_activities (ap_id, body_sha256, signer, body, state, received_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
        )
        .bind(activity["id"].as_str().unwrap())
        .bind(digest.as_str())
        .bind(signer)
        .bind(body.as_str())
        .bind(NOW),
    ))
    .unwrap();
    let rows = f
        .block(ports.sql.query(
            Statement::new("SELECT id FROM inbox_activities WHERE body_sha256 = ?1").bind(digest.as_str()),
        ))
        .unwrap();
    let id = rows[0]["id"].as_i64().unwrap();
    f.block(f.app.handle_queue_message(ports, &QueueMessage::Inbox(InboxWork { activity: id, attempt: 0 })))
}

fn done(outcome: &QueueOutcome) -> &str {
    match outcome {
        QueueOutcome::DoneWith(what) => what,
        other => panic!("not done: {other:?}"),
    }
}

fn total(f: &Fixture, path: &str, token: Option<&str>) -> i64 {
    let (status, list) = f.get(path, token);
    assert_eq!(status, 200, "{path}: {list}");
    list["total"].as_i64().unwrap()
}

/// The sample's Create, with the account `root` of [`REMOTE`] as actor.
fn create_activity() -> Value {
    delivery("22-create-video")
}

#[test]
fn a_followed_channels_video_arrives_and_reads_like_peertubes() {
    let f = Fixture::new();
    let root = f.root();
    let ports = f.ports.ports();
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), channel.id);

    let create = create_activity();
    let outcome = apply(&f, &ports, &create, account.ap_id.as_str());
    assert!(done(&outcome).starts_with("inbox: stored video"), "{outcome:?}");

    let (status, video) = f.get(&format!("/api/v1/videos/{UUID}"), None);
    assert_eq!(status, 200, "{video}");
    let expected = support::sample("video.json");
    // PeerTube's shape, plus the origin's image URLs we give in place of its image cache.
    let mut expected_keys = support::keys(&expected);
    expected_keys.extend(["thumbnailUrl".to_owned(), "previewUrl".to_owned()]);
    assert_eq!(support::keys(&video), expected_keys);
    assert_eq!(video["isLocal"], false);
    assert_eq!(video["shortUUID"], expected["shortUUID"], "computed as for local videos");
    assert_eq!(video["url"], video_url());
    assert_eq!(video["name"], "Big Buck Bunny 720p 5s");
    assert_eq!(video["duration"], 5);
    assert_eq!(video["category"], json!({"id": 15, "label": "Science & Technology"}));
    assert_eq!(video["licence"]["id"], 2);
    assert_eq!(video["language"]["id"], "en");
    assert_eq!(video["privacy"]["id"], 1);
    assert_eq!(video["tags"], json!(["bunny", "sample"]));
    assert_eq!(video["publishedAt"], "2026-11-21T21:38:24.890Z");
    assert_eq!(video["description"], expected["description"]);
    assert_eq!(video["support"], expected["support"]);
    assert_eq!(video["state"], json!({"id": 1, "label": "Published"}));
    assert_eq!(video["embedPath"], format!("/videos/embed/{UUID}"));
    // Served from this instance's cache of the origin's image (PeerTube's lazy-static paths).
    let origin_thumbnail =
        format!("{REMOTE}/lazy-static/thumbnails/79b746a2-5a3e-4b99-b11e-aeb6e64117e3.jpg");
    assert_eq!(
        video["thumbnailPath"],
        format!(
            "/lazy-static/thumbnails/{}",
            edgetube_domain::videos::urls::remote_image_file(UUID, &origin_thumbnail)
        )
    );
    assert_eq!(
        video["thumbnailUrl"],
        format!("{REMOTE}/lazy-static/thumbnails/79b746a2-5a3e-4b99-b11e-aeb6e64117e3.jpg")
    );
    assert_eq!(
        video["previewUrl"],
        format!("{REMOTE}/lazy-static/previews/e4d35167-2a84-49c6-b875-d520740b601f.jpg")
    );
    assert_eq!(video["account"]["host"], REMOTE_HOST);
    assert_eq!(video["account"]["url"], account.ap_id);
    assert_eq!(video["account"]["name"], "root");
    assert_eq!(video["channel"]["host"], REMOTE_HOST);
    assert_eq!(video["channel"]["url"], channel.ap_id);
    assert_eq!(video["channel"]["isLocal"], false);
    assert_eq!(video["channel"]["ownerAccount"]["url"], account.ap_id);
    assert_eq!(support::keys(&video["channel"]), support::keys(&expected["channel"]));

    let playlist = &video["streamingPlaylists"][0];
    let hls = format!("{REMOTE}/static/streaming-playlists/hls/{UUID}");
    assert_eq!(playlist["playlistUrl"], format!("{hls}/abfee495-e896-4c17-9232-9f65a1492183-master.m3u8"));
    assert_eq!(
        playlist["segmentsSha256Url"],
        format!("{hls}/5d9a6244-8365-4201-962f-b609b3f7b95d-segments-sha256.json")
    );
    assert_eq!(support::keys(playlist), support::keys(&expected["streamingPlaylists"][0]));
    let file = &playlist["files"][0];
    assert_eq!(support::keys(file), support::keys(&expected["streamingPlaylists"][0]["files"][0]));
    assert_eq!(file["resolution"], json!({"id": 720, "label": "720p"}));
    assert_eq!(file["size"], 1_221_394);
    assert_eq!(file["fps"], 25);
    assert_eq!(file["fileUrl"], format!("{hls}/394d8b43-63c8-41b1-9074-5759554013b4-720-fragmented.mp4"));
    assert_eq!(
        file["torrentUrl"],
        format!("{REMOTE}/lazy-static/torrents/a0f80536-e0ef-452a-b311-0331d8a2b5d8-720-hls.torrent")
    );
    assert!(file["magnetUri"].as_str().unwrap().starts_with("magnet:?xs="));
    let web = &video["files"][0];
    assert_eq!(
        web["fileUrl"],
        format!("{REMOTE}/static/web-videos/2b034de6-235a-4ea8-98a3-70ef1b78f264-720.mp4")
    );
    assert_eq!(web["resolution"]["id"], 720);
    assert_eq!(
        video["trackerUrls"],
        json!([format!("{REMOTE}/tracker/announce"), "wss://peertube.example/tracker/socket"])
    );

    // By short UUID and by row id too.
    assert_eq!(
        f.get(&format!("/api/v1/videos/{}", video["shortUUID"].as_str().unwrap()), None).1["uuid"],
        UUID
    );
    assert_eq!(f.get(&format!("/api/v1/videos/{}", video["id"]), None).1["uuid"], UUID);

    // Lists: both by default, `isLocal` picks one side.
    let mut local = NewVideo::new(f.channel_of(&root), "A local one");
    local.tags = vec!["bunny".into()];
    f.video(local);
    assert_eq!(total(&f, "/api/v1/videos", None), 2);
    let (_, only_remote) = f.get("/api/v1/videos?isLocal=false", None);
    assert_eq!(only_remote["total"], 1);
    assert_eq!(only_remote["data"][0]["uuid"], UUID);
    assert_eq!(only_remote["data"][0]["isLocal"], false);
    assert_eq!(only_remote["data"][0]["channel"]["host"], REMOTE_HOST);
    assert_eq!(only_remote["data"][0]["thumbnailPath"], video["thumbnailPath"]);
    let (_, only_local) = f.get("/api/v1/videos?isLocal=true", None);
    assert_eq!(only_local["total"], 1);
    assert_eq!(only_local["data"][0]["isLocal"], true);
    // Search reads the remote video's index row; the channel's list under its handle.
    assert_eq!(total(&f, "/api/v1/search/videos?search=buck", None), 1);
    assert_eq!(total(&f, "/api/v1/search/videos?search=bunny", None), 2);
    assert_eq!(total(&f, "/api/v1/video-channels/root_channel@peertube.example/videos", None), 1);
    assert_eq!(total(&f, "/api/v1/accounts/root@peertube.example/videos", None), 1);
    assert_eq!(total(&f, "/api/v1/video-channels/root_channel/videos", None), 1, "our root's channel");
    // Not ours: NodeInfo counts only local videos.
    let (_, nodeinfo) = f.get("/nodeinfo/2.0.json", None);
    assert_eq!(nodeinfo["usage"]["localPosts"], 1);

    // Subscriptions: our root follows the channel; a new user follows nobody.
    let (status, subscriptions) = f.get("/api/v1/users/me/subscriptions/videos", Some(&root));
    assert_eq!(status, 200, "{subscriptions}");
    assert_eq!(subscriptions["total"], 1);
    assert_eq!(subscriptions["data"][0]["uuid"], UUID);
    let alice = f.user("alice");
    assert_eq!(total(&f, "/api/v1/users/me/subscriptions/videos", Some(&alice)), 0);
    assert_eq!(f.get("/api/v1/users/me/subscriptions/videos", None).0, 401);

    // Local-only operations refuse it cleanly.
    let (status, problem) =
        f.json("PUT", &format!("/api/v1/videos/{UUID}"), Some(&root), json!({"name": "Hijacked"}));
    assert_eq!((status, problem["detail"].as_str()), (403, Some("Cannot manage a video of another server.")));
    let (status, problem) = f.json("POST", &format!("/api/v1/videos/{UUID}/token"), Some(&root), json!({}));
    assert_eq!(status, 400, "{problem}");
    assert_eq!(f.fetch(&format!("/static/streaming-playlists/hls/{UUID}/x-master.m3u8"), &[]).status(), 404);
    let (status, _) =
        f.json("POST", &format!("/api/v1/videos/{UUID}/views"), None, json!({"currentTime": 1}));
    assert_eq!(status, 204);
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).1["name"], "Big Buck Bunny 720p 5s");
    // Nor is it served as one of our ActivityPub objects.
    let accept = [("accept", "application/activity+json")];
    assert_eq!(f.fetch(&format!("/videos/watch/{UUID}"), &accept).status(), 404);

    // The same Create again (a redelivery with other bytes) changes nothing.
    let mut again = create;
    again["object"]["views"] = json!(0);
    again["extra"] = json!(true);
    assert!(done(&apply(&f, &ports, &again, account.ap_id.as_str())).starts_with("inbox: stored video"));
    assert_eq!(total(&f, "/api/v1/videos?isLocal=false", None), 1);
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).1["tags"], json!(["bunny", "sample"]));
    assert_eq!(total(&f, "/api/v1/search/videos?search=buck", None), 1);
}

#[test]
fn videos_of_actors_nobody_follows_are_ignored() {
    let f = Fixture::new();
    let ports = f.ports.ports();
    let (account, channel) = remote_owners(&f);
    // Someone remote follows the channel: that is not someone here.
    let stranger = remote_actor(&f, ActorKind::Person, "https://other.example/accounts/eve", "eve", None);
    follow(&f, stranger.id, channel.id);
    let outcome = apply(&f, &ports, &create_activity(), account.ap_id.as_str());
    assert!(done(&outcome).contains("nobody here follows"), "{outcome:?}");
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 404);

    // Our instance actor following the remote instance actor is enough.
    let instance =
        remote_actor(&f, ActorKind::Application, &format!("{REMOTE}/accounts/peertube"), "peertube", None);
    follow(&f, local_id(&f, "peertube"), instance.id);
    let mut create = create_activity();
    create["extra"] = json!(1);
    assert!(done(&apply(&f, &ports, &create, account.ap_id.as_str())).starts_with("inbox: stored video"));
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 200);
}

#[test]
fn updates_refresh_deletes_remove_and_only_the_origin_may() {
    let f = Fixture::new();
    let ports = f.ports.ports();
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), account.id);
    apply(&f, &ports, &create_activity(), account.ap_id.as_str());

    // An edit: new title and tags, later `updated`.
    let mut update = delivery("28-update-video-after-transcoding");
    update["id"] = json!(format!("{}/updates/2026-11-22T10:00:00.000Z", video_url()));
    update["object"]["name"] = json!("Big Buck Bunny, edited");
    update["object"]["updated"] = json!("2026-11-22T10:00:00.000Z");
    update["object"]["tag"] = json!([{"type": "Hashtag", "name": "edited"}]);
    assert!(done(&apply(&f, &ports, &update, account.ap_id.as_str())).starts_with("inbox: stored video"));
    let (_, video) = f.get(&format!("/api/v1/videos/{UUID}"), None);
    assert_eq!(video["name"], "Big Buck Bunny, edited");
    assert_eq!(video["tags"], json!(["edited"]));
    assert_eq!(video["updatedAt"], "2026-11-22T10:00:00.000Z");
    assert_eq!(total(&f, "/api/v1/search/videos?search=edited", None), 1);
    assert_eq!(total(&f, "/api/v1/videos?tagsOneOf=edited", None), 1);
    assert_eq!(total(&f, "/api/v1/videos?tagsOneOf=sample", None), 0, "the old tags are gone");

    // An older copy arriving late does not win.
    let stale = delivery("28-update-video-after-transcoding");
    let outcome = apply(&f, &ports, &stale, account.ap_id.as_str());
    assert!(done(&outcome).contains("a newer copy is stored"), "{outcome:?}");
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).1["name"], "Big Buck Bunny, edited");

    // Another server cannot delete it, even naming it.
    let mut forged = delivery("34-delete-video");
    forged["actor"] = json!("https://evil.example/accounts/root");
    forged["id"] = json!("https://evil.example/delete/1");
    forged["object"] = json!(video_url());
    assert!(matches!(
        apply(&f, &ports, &forged, "https://evil.example/accounts/root"),
        QueueOutcome::Drop(_)
    ));
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 200);

    // Its origin can; twice is harmless. A Tombstone names it as well as an id.
    let mut delete = delivery("34-delete-video");
    delete["object"] = json!({"type": "Tombstone", "id": video_url()});
    let outcome = apply(&f, &ports, &delete, account.ap_id.as_str());
    assert!(done(&outcome).contains("deleted video"), "{outcome:?}");
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 404);
    assert_eq!(total(&f, "/api/v1/search/videos?search=edited", None), 0);
    delete["object"] = json!(video_url());
    assert!(done(&apply(&f, &ports, &delete, account.ap_id.as_str())).contains("not a video we have"));

    // A channel that deletes itself takes its videos along, index rows included.
    apply(&f, &ports, &create_activity(), account.ap_id.as_str());
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 200);
    let gone = json!({"type": "Delete", "id": format!("{}#delete", channel.ap_id), "actor": channel.ap_id,
        "object": channel.ap_id, "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert!(done(&apply(&f, &ports, &gone, channel.ap_id.as_str())).contains("deleted itself"));
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 404);
    let indexed = f.block(ports.sql.query(Statement::new("SELECT COUNT(*) AS n FROM videos_fts"))).unwrap();
    assert_eq!(indexed[0]["n"], 0);
}

#[test]
fn announces_and_forwarded_copies_are_read_from_the_origin() {
    let f = Fixture::new();
    let remote = FakeRemote::default();
    let ports = ports_with(&f, &remote);
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), channel.id);
    let mut object = create_activity()["object"].clone();
    object["name"] = json!("The origin's own copy");
    remote.serve(&video_url(), object);

    // A forwarded Create: signed by someone else; its body says otherwise than the origin.
    let mut forwarded = create_activity();
    forwarded["object"]["name"] = json!("A forwarder's lie");
    let outcome = apply(&f, &ports, &forwarded, "https://relay.example/actor");
    assert!(done(&outcome).starts_with("inbox: stored video"), "{outcome:?}");
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).1["name"], "The origin's own copy");
    assert!(remote.gets.borrow().contains(&video_url()));

    // An Announce of a video we do not have yet is fetched; of one we have, changes nothing.
    let announce = delivery("23-announce-video-by-channel");
    assert!(done(&apply(&f, &ports, &announce, channel.ap_id.as_str())).contains("already have"));
    f.block(videos::remote::delete_by_ap_id(&f.ports.sql, &video_url())).unwrap();
    remote.gets.borrow_mut().clear();
    let outcome = apply(&f, &ports, &announce, channel.ap_id.as_str());
    assert!(done(&outcome).starts_with("inbox: stored video"), "{outcome:?}");
    assert_eq!(remote.gets.borrow().first(), Some(&video_url()));
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 200);

    // An Update of a video we do not have is fetched too.
    f.block(videos::remote::delete_by_ap_id(&f.ports.sql, &video_url())).unwrap();
    let outcome = apply(&f, &ports, &delivery("28-update-video-after-transcoding"), account.ap_id.as_str());
    assert!(done(&outcome).starts_with("inbox: stored video"), "{outcome:?}");
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).1["name"], "The origin's own copy");

    // Announced by an actor nobody follows: not fetched.
    f.block(videos::remote::delete_by_ap_id(&f.ports.sql, &video_url())).unwrap();
    let sharer =
        remote_actor(&f, ActorKind::Group, "https://other.example/video-channels/share", "share", None);
    let mut shared = announce.clone();
    shared["actor"] = json!(sharer.ap_id);
    shared["id"] = json!("https://other.example/announces/1");
    remote.gets.borrow_mut().clear();
    assert!(done(&apply(&f, &ports, &shared, sharer.ap_id.as_str())).contains("nobody here follows"));
    assert!(remote.gets.borrow().is_empty());
}

#[test]
fn a_remote_video_cannot_take_a_uuid_already_here() {
    let f = Fixture::new();
    let ports = f.ports.ports();
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), channel.id);
    let root = f.root();
    let local = f.video(NewVideo::new(f.channel_of(&root), "Ours"));
    let mut create = create_activity();
    create["object"]["uuid"] = json!(local.uuid);
    let outcome = apply(&f, &ports, &create, account.ap_id.as_str());
    assert!(
        matches!(&outcome, QueueOutcome::Drop(why) if why.contains("already names another video")),
        "{outcome:?}"
    );
    let (_, ours) = f.get(&format!("/api/v1/videos/{}", local.uuid), None);
    assert_eq!((ours["name"].as_str(), ours["isLocal"].as_bool()), (Some("Ours"), Some(true)));
}

// ---- Outgoing ----

struct Runner {
    token: String,
}

impl Runner {
    fn register(f: &Fixture) -> Self {
        let body = json!({"registrationToken": REGISTRATION, "name": "runner"});
        let (status, body) = f.json("POST", "/api/v1/runners/register", None, body);
        assert_eq!(status, 200, "{body}");
        Self { token: body["runnerToken"].as_str().unwrap().to_owned() }
    }

    fn accept(&self, f: &Fixture, uuid: &str) -> Value {
        let path = format!("/api/v1/runners/jobs/{uuid}/accept");
        let (status, body) = f.json("POST", &path, None, json!({"runnerToken": self.token}));
        assert_eq!(status, 200, "{body}");
        body["job"].clone()
    }

    fn upload(&self, f: &Fixture, job: &Value, kind: &str, name: &str, bytes: &[u8]) {
        let response = f.handle(
            http::Request::put(format!(
                "/api/v1/runners/jobs/{}/files/upload/{kind}/{name}",
                job["uuid"].as_str().unwrap()
            ))
            .header("x-runner-token", &self.token)
            .header("x-job-token", job["jobToken"].as_str().unwrap())
            .header("content-range", format!("bytes 0-{}/{}", bytes.len() - 1, bytes.len()))
            .body(Bytes::copy_from_slice(bytes))
            .unwrap(),
        );
        assert_eq!(response.status(), 201, "{kind} {name}");
    }

    fn call(&self, f: &Fixture, job: &Value, call: &str, mut body: Value) -> (u16, Value) {
        body["runnerToken"] = json!(self.token);
        body["jobToken"] = job["jobToken"].clone();
        f.json("POST", &format!("/api/v1/runners/jobs/{}/{call}", job["uuid"].as_str().unwrap()), None, body)
    }
}

/// The outbox activities the queued deliveries name, in order, with their messages.
fn queued_activities(f: &Fixture) -> Vec<(Delivery, Value)> {
    let ports = f.ports.ports();
    f.ports
        .queue
        .drain()
        .into_iter()
        .filter_map(|message| match message {
            QueueMessage::Deliver(delivery) => {
                let stored =
                    f.block(edgetube_federation::outbox::load(&ports, delivery.activity)).unwrap().unwrap();
                Some((delivery, serde_json::from_str(&stored.body).unwrap()))
            }
            _ => None,
        })
        .collect()
}

fn kinds(activities: &[(Delivery, Value)]) -> Vec<String> {
    activities
        .iter()
        .map(|(_, a)| format!("{} by {}", a["type"].as_str().unwrap(), a["actor"].as_str().unwrap()))
        .collect()
}

#[test]
fn our_video_goes_out_when_published_edited_and_deleted() {
    let f = Fixture::with_vars(&[("SIGNUP_OPEN", "true"), ("RUNNER_REGISTRATION_TOKEN", REGISTRATION)]);
    let root = f.root();
    let follower = remote_actor(&f, ActorKind::Person, "https://follower.example/accounts/bob", "bob", None);
    follow(&f, follower.id, local_id(&f, "root"));
    follow(&f, follower.id, local_id(&f, "root_channel"));
    let instance_follower = remote_actor(
        &f,
        ActorKind::Application,
        "https://instance.example/accounts/peertube",
        "peertube",
        None,
    );
    follow(&f, instance_follower.id, local_id(&f, "peertube"));

    // A public upload waiting for its runner federates nothing yet.
    let key = "uploads/federated/source";
    let mut new = NewVideo::new(f.channel_of(&root), "Federated video");
    new.state = videos::state::TO_TRANSCODE;
    new.original_key = Some(key.to_owned());
    new.tags = vec!["fediverse".into()];
    new.category = Some(15);
    let video = f.video(new);
    let ports = f.ports.ports();
    let meta = f.block(ports.objects.put(key, Bytes::from_static(b"original"), None)).unwrap();
    let created =
        f.block(runner_jobs::on_storage_event(&ports, f.app.config(), &ObjectCreated::from_meta(&meta)));
    let runner_jobs::EventOutcome::Created(job_uuid) = created.unwrap() else { panic!("no job") };
    let (status, _) = f.json(
        "PUT",
        &format!("/api/v1/videos/{}", video.uuid),
        Some(&root),
        json!({"name": "Still waiting"}),
    );
    assert_eq!(status, 204);
    assert!(queued_activities(&f).is_empty(), "an unpublished video is not announced");
    let accept = [("accept", "application/activity+json")];
    assert_eq!(f.fetch(&format!("/videos/watch/{}", video.uuid), &accept).status(), 404);

    // The runner's first rendition publishes it: Create by the account, Announces by the
    // channel and the instance actor.
    let runner = Runner::register(&f);
    let job = runner.accept(&f, &job_uuid);
    runner.upload(&f, &job, "hls", "r-240-fragmented.mp4", &[1; 100]);
    runner.upload(&f, &job, "hls", "r-240.m3u8", b"#EXTM3U\n");
    let rendition = json!({"resolution": 240, "width": 426, "height": 240, "fps": 25,
        "file": "r-240-fragmented.mp4", "playlist": "r-240.m3u8", "size": 100, "codecs": "avc1.64001f",
        "hasAudio": true, "hasVideo": true, "segmentsSha256": {"0-99": "ab"}});
    let (status, body) = runner.call(&f, &job, "update", json!({"rendition": rendition}));
    assert_eq!(status, 204, "{body}");
    let sent = queued_activities(&f);
    let account_url = format!("{ORIGIN}/accounts/root");
    let channel_url = format!("{ORIGIN}/video-channels/root_channel");
    let instance_url = format!("{ORIGIN}/accounts/peertube");
    assert_eq!(
        kinds(&sent),
        [
            format!("Create by {account_url}"),
            format!("Announce by {channel_url}"),
            format!("Announce by {instance_url}")
        ]
    );
    let (delivery, create) = &sent[0];
    assert_eq!(delivery.inboxes, ["https://follower.example/inbox"], "once per server");
    assert_eq!(sent[1].0.inboxes, ["https://follower.example/inbox"], "the channel's follower");
    assert_eq!(sent[2].0.inboxes, ["https://instance.example/inbox"], "the instance actor's follower");
    let video_id = format!("{ORIGIN}/videos/watch/{}", video.uuid);
    assert_eq!(create["id"], format!("{video_id}/activity"));
    assert_eq!(sent[1].1["object"], video_id);
    assert_eq!(sent[1].1["id"], format!("{video_id}/announces/{}", local_id(&f, "root_channel")));
    assert!(create["proof"].is_object(), "sent through the one door that adds proofs");
    // The two Announces are the video's shares, as PeerTube lists its own.
    let shares = f.fetch(&format!("/videos/watch/{}/announces?page=1", video.uuid), &accept);
    assert_eq!(shares.status(), 200);
    let shares: Value = serde_json::from_slice(shares.body()).unwrap();
    assert_eq!(shares["orderedItems"], json!([sent[1].1["id"], sent[2].1["id"]]));
    let activity = Activity::parse(create.to_string().as_bytes()).unwrap();
    assert_eq!(activity.kind, ActivityKind::Create);
    activity.check_origin().unwrap();
    let object = VideoObject::from_value(&activity.object.embedded().unwrap().value).unwrap();

    // What the Video object says is what the REST API says.
    let (_, shown) = f.get(&format!("/api/v1/videos/{}", video.uuid), None);
    assert_eq!(object.id.as_str(), shown["url"].as_str().unwrap());
    assert_eq!(object.name, "Still waiting");
    assert_eq!(object.tags, ["fediverse"]);
    assert_eq!(object.category.as_ref().unwrap().identifier, "15");
    assert_eq!(object.state, Some(1));
    let playlist = &object.streaming_playlists[0];
    assert_eq!(playlist.master_url.as_str(), shown["streamingPlaylists"][0]["playlistUrl"].as_str().unwrap());
    assert!(playlist
        .master_url
        .as_str()
        .starts_with(&format!("{ORIGIN}/static/streaming-playlists/hls/{}/", video.uuid)));
    assert_eq!(
        playlist.segments_sha256_url.as_ref().unwrap().as_str(),
        shown["streamingPlaylists"][0]["segmentsSha256Url"].as_str().unwrap()
    );
    assert_eq!(
        playlist.files[0].url.as_str(),
        shown["streamingPlaylists"][0]["files"][0]["fileUrl"].as_str().unwrap()
    );
    assert_eq!((playlist.files[0].height, playlist.files[0].size), (Some(240), Some(100)));
    assert_eq!(object.account.as_ref().unwrap().as_str(), account_url);
    assert_eq!(object.channel.as_ref().unwrap().as_str(), channel_url);
    assert!(object.thumbnail().is_none(), "no images before the job succeeds");

    // It is also served at its id to ActivityPub clients.
    let response = f.fetch(&format!("/videos/watch/{}", video.uuid), &accept);
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/activity+json"));
    let served: Value = support::json_body(&response);
    assert_eq!(served["id"], video_id);
    assert_eq!(served["url"], create["object"]["url"]);
    let short = f.fetch(&format!("/w/{}", shown["shortUUID"].as_str().unwrap()), &accept);
    assert_eq!(support::json_body(&short)["id"], video_id);
    assert!(f.fetch(&format!("/videos/watch/{}", video.uuid), &[]).headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    // Delivering: one signed POST of the stored bytes to the follower's shared inbox.
    let remote = FakeRemote::default();
    let outcome = f.block(
        f.app.handle_queue_message(&ports_with(&f, &remote), &QueueMessage::Deliver(delivery.clone())),
    );
    assert!(
        matches!(outcome, QueueOutcome::DoneWith(ref what) if what.contains("1 delivered")),
        "{outcome:?}"
    );
    let posts = remote.posts.borrow();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].0, "https://follower.example/inbox");
    assert!(posts[0].1.contains_key("signature") || posts[0].1.contains_key("signature-input"));
    assert_eq!(&posts[0].2, create);
    drop(posts);

    // The job's success brings images: an Update, not a second Create.
    for (kind, name) in [("thumbnail", "t.jpg"), ("preview", "p.jpg")] {
        runner.upload(&f, &job, kind, name, b"\xff\xd8jpeg");
    }
    let (status, body) =
        runner.call(&f, &job, "success", json!({"payload": {"thumbnail": "t.jpg", "preview": "p.jpg"}}));
    assert_eq!(status, 204, "{body}");
    let sent = queued_activities(&f);
    assert_eq!(kinds(&sent), [format!("Update by {account_url}")]);
    let inboxes: Vec<&str> = sent[0].0.inboxes.iter().map(String::as_str).collect();
    assert_eq!(inboxes, ["https://follower.example/inbox", "https://instance.example/inbox"]);
    let update = VideoObject::from_value(&sent[0].1["object"]).unwrap();
    let (_, shown) = f.get(&format!("/api/v1/videos/{}", video.uuid), None);
    assert_eq!(
        update.thumbnail().unwrap().url.as_str(),
        format!("{ORIGIN}{}", shown["thumbnailPath"].as_str().unwrap())
    );
    assert_eq!(
        update.preview().unwrap().url.as_str(),
        format!("{ORIGIN}{}", shown["previewPath"].as_str().unwrap())
    );

    // An edit: Update with the new metadata.
    f.ports.clock.advance(1000);
    let (status, _) = f.json(
        "PUT",
        &format!("/api/v1/videos/{}", video.uuid),
        Some(&root),
        json!({"name": "Renamed", "tags": ["a1", "b2"]}),
    );
    assert_eq!(status, 204);
    let sent = queued_activities(&f);
    assert_eq!(kinds(&sent), [format!("Update by {account_url}")]);
    let edited = VideoObject::from_value(&sent[0].1["object"]).unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.tags.clone()),
        ("Renamed", vec!["a1".to_owned(), "b2".to_owned()])
    );
    assert!(sent[0].1["id"].as_str().unwrap().starts_with(&format!("{video_id}/updates/")));

    // Made private: other servers are told to forget it, and its id no longer answers.
    f.ports.clock.advance(1000);
    let (status, _) =
        f.json("PUT", &format!("/api/v1/videos/{}", video.uuid), Some(&root), json!({"privacy": 3}));
    assert_eq!(status, 204);
    let sent = queued_activities(&f);
    assert_eq!(kinds(&sent), [format!("Delete by {account_url}")]);
    assert_eq!(sent[0].1["object"], video_id);
    assert_eq!(f.fetch(&format!("/videos/watch/{}", video.uuid), &accept).status(), 404);
    // Public again: a Create (PeerTube's receivers dropped it).
    f.ports.clock.advance(1000);
    let (status, _) =
        f.json("PUT", &format!("/api/v1/videos/{}", video.uuid), Some(&root), json!({"privacy": 1}));
    assert_eq!(status, 204);
    assert_eq!(kinds(&queued_activities(&f))[0], format!("Create by {account_url}"));

    // Deleted: a Delete by the account, PeerTube's id and audience.
    let (status, _) = f.json("DELETE", &format!("/api/v1/videos/{}", video.uuid), Some(&root), json!({}));
    assert_eq!(status, 204);
    let sent = queued_activities(&f);
    assert_eq!(kinds(&sent), [format!("Delete by {account_url}")]);
    let delete = &sent[0].1;
    assert_eq!(delete["id"], format!("{video_id}/delete"));
    assert_eq!(
        delete["to"],
        json!([
            "https://www.w3.org/ns/activitystreams#Public",
            format!("{channel_url}/followers"),
            format!("{instance_url}/followers"),
            format!("{account_url}/followers"),
        ])
    );
    assert_eq!(f.get(&format!("/api/v1/videos/{}", video.uuid), None).0, 404);
}

#[test]
fn private_and_unlisted_videos_never_go_out() {
    let f = Fixture::new();
    let root = f.root();
    let follower = remote_actor(&f, ActorKind::Person, "https://follower.example/accounts/bob", "bob", None);
    follow(&f, follower.id, local_id(&f, "root"));
    let accept = [("accept", "application/activity+json")];
    for privacy in [videos::privacy::UNLISTED, videos::privacy::PRIVATE, videos::privacy::INTERNAL] {
        let mut new = NewVideo::new(f.channel_of(&root), format!("Privacy {privacy}"));
        new.privacy = privacy;
        let video = f.video(new);
        let (status, _) =
            f.json("PUT", &format!("/api/v1/videos/{}", video.uuid), Some(&root), json!({"name": "Edited"}));
        assert_eq!(status, 204);
        assert_eq!(f.fetch(&format!("/videos/watch/{}", video.uuid), &accept).status(), 404, "{privacy}");
        let (status, _) = f.json("DELETE", &format!("/api/v1/videos/{}", video.uuid), Some(&root), json!({}));
        assert_eq!(status, 204);
    }
    assert!(queued_activities(&f).is_empty());
}

#[test]
fn one_activity_makes_no_more_requests_than_its_fetch_budget() {
    let f = Fixture::new();
    let http = FakeRemote::default();
    let ports = ports_with(&f, &http);
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), channel.id);
    // A Video attributed to 40 untyped actors, each a real actor document somewhere: reading
    // them all would be 40 fetches for one activity.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/peertube-samples/activitypub/actor-instance-application.json"
    );
    let application: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut create = create_activity();
    let mut attributions = Vec::new();
    for i in 0..40 {
        let id = format!("{REMOTE}/accounts/app{i}");
        let mut actor = application.clone();
        actor["id"] = json!(id);
        actor["preferredUsername"] = json!(format!("app{i}"));
        actor["publicKey"]["id"] = json!(format!("{id}#main-key"));
        actor["publicKey"]["owner"] = json!(id);
        http.serve(&id, actor);
        attributions.push(json!({"id": id}));
    }
    attributions.extend(create["object"]["attributedTo"].as_array().unwrap().iter().cloned());
    create["object"]["attributedTo"] = json!(attributions);
    let outcome = apply(&f, &ports, &create, account.ap_id.as_str());
    assert_eq!(http.gets.borrow().len(), 16, "the budget: {:?}", http.gets.borrow());
    match outcome {
        QueueOutcome::Drop(why) => assert!(why.contains("fetch budget"), "{why}"),
        other => panic!("not refused for good: {other:?}"),
    }
    assert_eq!(f.get(&format!("/api/v1/videos/{UUID}"), None).0, 404);
}

#[test]
fn rating_a_remote_video_moves_its_origins_counts_by_one() {
    let f = Fixture::new();
    let root = f.root();
    let ports = f.ports.ports();
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), channel.id);
    assert!(done(&apply(&f, &ports, &create_activity(), account.ap_id.as_str()))
        .starts_with("inbox: stored video"));
    // The origin counted 5 likes and 2 dislikes (what its Video object and collections say).
    f.block(
        ports
            .sql
            .execute(Statement::new("UPDATE videos SET likes = 5, dislikes = 2 WHERE uuid = ?1").bind(UUID)),
    )
    .unwrap();
    let counts = || {
        let (_, video) = f.get(&format!("/api/v1/videos/{UUID}"), None);
        (video["likes"].as_i64().unwrap(), video["dislikes"].as_i64().unwrap())
    };
    let rate = |rating: &str| {
        let path = format!("/api/v1/videos/{UUID}/rate");
        assert_eq!(f.json("PUT", &path, Some(&root), json!({"rating": rating})).0, 204);
    };
    rate("like");
    assert_eq!(counts(), (6, 2), "our like adds to the origin's count, not replaces it");
    rate("like");
    assert_eq!(counts(), (6, 2), "the same rating again changes nothing");
    rate("dislike");
    assert_eq!(counts(), (5, 3));
    rate("none");
    assert_eq!(counts(), (5, 2));
}

#[test]
fn a_remote_videos_images_are_fetched_once_into_this_instances_cache_and_go_with_it() {
    let f = Fixture::new();
    let http = FakeRemote::default();
    let ports = ports_with(&f, &http);
    let (account, channel) = remote_owners(&f);
    follow(&f, local_id(&f, "root"), channel.id);
    let create = create_activity();
    assert!(done(&apply(&f, &ports, &create, account.ap_id.as_str())).starts_with("inbox: stored video"));
    let (_, video) = f.get(&format!("/api/v1/videos/{UUID}"), None);
    let path = video["thumbnailPath"].as_str().unwrap().to_owned();
    let origin_url = video["thumbnailUrl"].as_str().unwrap().to_owned();
    assert!(path.starts_with(&format!("/lazy-static/thumbnails/remote-{UUID}-")), "{path}");
    assert!(origin_url.starts_with(REMOTE), "{origin_url}");
    http.images.borrow_mut().insert(origin_url.clone(), Bytes::from_static(b"\xff\xd8 a jpeg"));

    let get = |path: &str| f.handle_on(&ports, http::Request::get(path).body(Bytes::new()).unwrap());
    let fetches = || http.gets.borrow().iter().filter(|u| **u == origin_url).count();
    for _ in 0..2 {
        let response = get(&path);
        assert_eq!(response.status(), 200);
        assert_eq!(response.body().as_ref(), b"\xff\xd8 a jpeg");
        assert_eq!(response.headers()["content-type"], "image/jpeg");
    }
    assert_eq!(fetches(), 1, "fetched once, then served from the cache");
    // Names that are not the video's current images are not fetched.
    assert_eq!(get(&format!("/lazy-static/thumbnails/remote-{UUID}-0000000000000000.jpg")).status(), 404);
    assert_eq!(
        get("/lazy-static/thumbnails/remote-00000000-0000-4000-8000-000000000000-00.jpg").status(),
        404
    );
    assert_eq!(fetches(), 1);

    // The origin deletes the video: its cached image goes too.
    let key = path.trim_start_matches("/lazy-static/").to_owned();
    assert!(f.block(ports.objects.head(&key)).unwrap().is_some());
    let delete = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": format!("{}/delete", video_url()), "type": "Delete", "actor": account.ap_id,
        "object": video_url(), "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    assert!(done(&apply(&f, &ports, &delete, account.ap_id.as_str())).contains("deleted video"));
    assert!(f.block(ports.objects.head(&key)).unwrap().is_none());
}
