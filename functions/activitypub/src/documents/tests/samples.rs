//! Every captured document parses: PeerTube 7's served documents and deliveries, the peer's
//! activities to PeerTube, and Mastodon's `Create{Note}`; then what they parse into is checked
//! against the samples' values.

use serde_json::Value;

use super::support::{bytes, files, json, shared};
use crate::documents::context::PUBLIC;
use crate::documents::{
    Activity, ActivityKind, Actor, ActorType, Collection, CollectionKind, Note, Object, ObjectRef, Privacy,
    TrackerKind, Video,
};

const SAMPLES: &str = "reference/peertube-samples/activitypub";

/// What a sample file is, by name.
enum Sample {
    Actor,
    Video,
    Note,
    Activity,
    Collection,
    /// Not an ActivityStreams document (WebFinger, NodeInfo, host-meta, error answers).
    NotActivityStreams,
}

fn classify(name: &str) -> Option<Sample> {
    let collection = ["followers", "following", "outbox", "likes", "dislikes", "shares", "comments"];
    Some(if name.starts_with("actor-") {
        Sample::Actor
    } else if name == "video.json" {
        Sample::Video
    } else if name.starts_with("comment-note") {
        Sample::Note
    } else if name == "video-activity-create.json" {
        Sample::Activity
    } else if collection.iter().any(|c| name.contains(c)) {
        Sample::Collection
    } else if ["webfinger-", "nodeinfo-", "host-meta", "inbox-error-"].iter().any(|p| name.starts_with(p)) {
        Sample::NotActivityStreams
    } else {
        return None;
    })
}

#[test]
fn every_peertube_document_parses() {
    let mut parsed = 0;
    for name in files(SAMPLES) {
        let path = format!("{SAMPLES}/{name}");
        let sample = classify(&name).unwrap_or_else(|| panic!("{name}: a new sample; classify it"));
        let body = bytes(&path);
        let result = match sample {
            Sample::Actor => Actor::parse(&body).map(drop),
            Sample::Video => Video::parse(&body).map(drop),
            Sample::Note => Note::parse(&body).map(drop),
            Sample::Activity => Activity::parse(&body).and_then(|a| embedded_objects_parse(&a)),
            Sample::Collection => Collection::parse(&body).and_then(|c| {
                c.items.iter().filter_map(ObjectRef::embedded).try_for_each(|item| {
                    let activity: Activity = item.read()?;
                    activity.check_origin()?;
                    embedded_objects_parse(&activity)
                })
            }),
            Sample::NotActivityStreams => continue,
        };
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        // The untyped entry point agrees.
        let object = Object::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!matches!(object, Object::Other { .. }), "{name}: {object:?}");
        parsed += 1;
    }
    assert_eq!(parsed, 23, "the samples read");
}

/// Parses the typed object an activity embeds, as its handler would.
fn embedded_objects_parse(activity: &Activity) -> Result<(), crate::documents::DocumentError> {
    let Some(object) = activity.object.embedded() else { return Ok(()) };
    match object.kind.as_str() {
        "Video" => object.read::<Video>().map(drop),
        "Note" => object.read::<Note>().map(drop),
        "Follow" | "Like" | "Announce" => object.read::<Activity>().map(drop),
        other => panic!("{}: unexpected embedded {other}", activity.id),
    }
}

/// Every request body PeerTube delivered, and those the peer sent to PeerTube.
fn delivered_bodies() -> Vec<(String, Vec<u8>)> {
    let mut bodies = Vec::new();
    for request in json("reference/peertube-samples/deliveries/vectors.json").as_array().unwrap() {
        if let Some(body) = request["body"].as_str().filter(|b| !b.is_empty()) {
            bodies.push((format!("vectors #{}", request["n"]), body.as_bytes().to_vec()));
        }
    }
    for exchange in json("reference/peertube-samples/deliveries/inbound-to-peertube.json")["exchanges"]
        .as_array()
        .unwrap()
    {
        let body = exchange["request"]["body"].as_str().unwrap();
        bodies.push((exchange["purpose"].as_str().unwrap().to_owned(), body.as_bytes().to_vec()));
    }
    for name in files("reference/peertube-samples/deliveries/http") {
        if name.ends_with(".body.pretty.json") {
            bodies.push((name.clone(), bytes(&format!("reference/peertube-samples/deliveries/http/{name}"))));
        }
    }
    bodies
}

#[test]
fn every_delivery_parses_and_keeps_to_its_origin() {
    let bodies = delivered_bodies();
    assert_eq!(bodies.len(), 25 + 7 + 13);
    for (what, body) in bodies {
        let activity = Activity::parse(&body).unwrap_or_else(|e| panic!("{what}: {e}"));
        activity.check_origin().unwrap_or_else(|e| panic!("{what}: {e}"));
        embedded_objects_parse(&activity).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(!matches!(activity.kind, ActivityKind::Other(_)), "{what}");
    }
}

#[test]
fn mastodon_create_note() {
    let dir = "fixtures/activitypub/mastodon";
    let mut bodies =
        vec![json(&format!("{dir}/create.json")), json(&format!("{dir}/create-bad-signature.json"))];
    for name in ["http-signature.json", "bad-http-signature.json", "bad-body-http-signature.json"] {
        bodies.push(json(&format!("{dir}/{name}"))["body"].clone());
    }
    for body in bodies {
        let activity = Activity::parse(body.to_string().as_bytes()).unwrap();
        activity.check_origin().unwrap();
        assert_eq!(activity.kind, ActivityKind::Create);
        assert_eq!(activity.actor.as_str(), "http://localhost:3000/users/ronan2");
        assert_eq!(activity.published.as_deref(), body["published"].as_str());
        assert!(activity.is_public());
        assert_eq!(activity.signature.as_ref().unwrap()["type"], "RsaSignature2017");
        let note: Note = activity.object.embedded().unwrap().read().unwrap();
        assert!(!note.is_markdown(), "Mastodon sends HTML");
        assert!(note.content.starts_with("<p>"));
        assert_eq!(
            note.in_reply_to.unwrap().as_str(),
            "http://localhost:9000/videos/watch/90e6f8ed-b369-423c-b0c8-f44e5350c752"
        );
        assert_eq!(note.mentions.len(), 1);
        assert_eq!(note.mentions[0].href.as_str(), "http://localhost:9000/accounts/ronan");
        assert_eq!(note.mentions[0].name.as_deref(), Some("@ronan@localhost:9000"));
        assert_eq!(note.cc.len(), 2);
    }

    let announce =
        Activity::parse(&bytes("fixtures/activitypub/peertube/announce-without-context.json")).unwrap();
    assert_eq!(announce.kind, ActivityKind::Announce);
    assert!(matches!(&announce.object, ObjectRef::Id(id) if id.path().starts_with("/videos/watch/")));
    assert_eq!(announce.to.len(), 4);
}

#[test]
fn the_sample_video_reads_fully() {
    let video = Video::parse(&bytes(&format!("{SAMPLES}/video.json"))).unwrap();
    let origin = "http://127.0.0.1:9000";
    assert_eq!(video.id.as_str(), format!("{origin}/videos/watch/73bad3ec-0474-4742-af5f-639d9e808e09"));
    assert_eq!(video.uuid, "73bad3ec-0474-4742-af5f-639d9e808e09");
    assert_eq!(video.name, "Big Buck Bunny 720p 5s");
    assert_eq!(video.duration_secs, 5);
    let category = video.category.as_ref().unwrap();
    assert_eq!((category.identifier.as_str(), category.name.as_str()), ("15", "Science & Technology"));
    assert_eq!(video.licence.as_ref().unwrap().identifier, "2");
    assert_eq!(video.language.as_ref().unwrap().name, "English");
    assert_eq!(
        (video.views, video.sensitive, video.wait_transcoding, video.state),
        (0, false, true, Some(1))
    );
    assert_eq!(
        (video.comments_enabled, video.comments_policy, video.can_reply.as_ref()),
        (Some(true), Some(1), None)
    );
    assert_eq!(video.download_enabled, Some(true));
    assert_eq!(video.published.as_deref(), Some("2026-11-21T21:38:24.890Z"));
    assert_eq!(video.updated.as_deref(), Some("2026-11-21T21:38:48.564Z"));
    assert_eq!(video.originally_published_at, None);
    assert_eq!(video.tags, ["bunny", "sample"]);
    assert_eq!(video.media_type.as_deref(), Some("text/markdown"));
    assert!(video.content.as_deref().unwrap().starts_with("Golden sample video."));
    assert!(video.support.as_deref().unwrap().starts_with("Support the Blender"));
    assert!(video.captions.is_empty());

    let thumbnail = video.thumbnail().unwrap();
    assert_eq!((thumbnail.width, thumbnail.height), (Some(280), Some(157)));
    assert!(thumbnail.url.path().starts_with("/lazy-static/thumbnails/"));
    let preview = video.preview().unwrap();
    assert_eq!((preview.width, preview.height), (Some(850), Some(480)));
    let storyboard = video.storyboard.as_ref().unwrap();
    assert_eq!(
        (storyboard.width, storyboard.height, storyboard.tile_width, storyboard.tile_height),
        (960, 108, 192, 108)
    );
    assert_eq!(storyboard.tile_duration_secs, 1);
    assert_eq!(video.aspect_ratio, Some(1.7778));

    assert_eq!(video.watch_url.as_ref(), Some(&video.id));
    let heights = |files: &[crate::documents::VideoFile]| files.iter().map(|f| f.height).collect::<Vec<_>>();
    assert_eq!(heights(&video.web_videos), [Some(720), Some(360), Some(240)]);
    let web = &video.web_videos[0];
    assert_eq!((web.width, web.size, web.fps), (Some(1280), Some(1_222_088), Some(25)));
    assert_eq!(web.media_type, "video/mp4");
    assert!(web.metadata_url.as_ref().unwrap().path().ends_with("/metadata/11"));
    assert!(web.torrent_url.as_ref().unwrap().path().ends_with("-720.torrent"));
    let magnet = web.magnet.as_ref().unwrap();
    assert_eq!(magnet.scheme(), "magnet");
    assert!(magnet.as_str().contains("xt=urn:btih:df26df5e4f859d1585fe172747d1d9e974a569c6"));

    assert_eq!(video.streaming_playlists.len(), 1);
    let hls = &video.streaming_playlists[0];
    assert!(hls.master_url.path().ends_with("-master.m3u8"));
    assert_eq!(
        hls.infohashes,
        [
            "06c063e74673826cd5778cd5154ceb8b3b126487",
            "fd12423de2ab9643f6c177574ffbfafcdd60f456",
            "73cbbe8b208d0f11607fcbc2fc803f6b91afad5c"
        ]
    );
    assert!(hls.segments_sha256_url.as_ref().unwrap().path().ends_with("-segments-sha256.json"));
    assert_eq!(heights(&hls.files), [Some(720), Some(360), Some(240)]);
    assert!(hls.files.iter().all(|f| f.url.path().ends_with("-fragmented.mp4")
        && f.torrent_url.as_ref().is_some_and(|t| t.path().ends_with("-hls.torrent"))
        && f.magnet.is_some()
        && f.metadata_url.is_some()));
    assert_eq!(hls.files[2].size, Some(383_968));

    let trackers: Vec<_> = video.trackers.iter().map(|t| (t.kind, t.url.as_str())).collect();
    assert_eq!(
        trackers,
        [
            (TrackerKind::Http, "http://127.0.0.1:9000/tracker/announce"),
            (TrackerKind::WebSocket, "ws://127.0.0.1:9000/tracker/socket")
        ]
    );
    assert!(video.likes.as_ref().unwrap().path().ends_with("/likes"));
    assert!(video.shares.as_ref().unwrap().path().ends_with("/announces"));
    assert!(video.has_parts.as_ref().unwrap().path().ends_with("/chapters"));
    assert_eq!(video.account.as_ref().unwrap().as_str(), format!("{origin}/accounts/root"));
    assert_eq!(video.channel.as_ref().unwrap().as_str(), format!("{origin}/video-channels/root_channel"));
    assert_eq!(video.privacy, Privacy::Public);
    assert_eq!(video.to[0].as_str(), PUBLIC);
    assert_eq!(video.cc[0].as_str(), format!("{origin}/accounts/root/followers"));
    assert!(!video.is_live_broadcast);
}

#[test]
fn the_sample_actors_read_fully() {
    let origin = "http://127.0.0.1:9000";
    for (file, kind, path, owner) in [
        ("actor-account-person.json", ActorType::Person, "/accounts/root", None),
        (
            "actor-channel-group.json",
            ActorType::Group,
            "/video-channels/root_channel",
            Some("/accounts/root"),
        ),
        ("actor-instance-application.json", ActorType::Application, "/accounts/peertube", None),
    ] {
        let sample = json(&format!("{SAMPLES}/{file}"));
        let actor = Actor::from_value(&sample).unwrap();
        let id = format!("{origin}{path}");
        assert_eq!((actor.id.as_str(), actor.kind), (id.as_str(), kind), "{file}");
        assert_eq!(actor.preferred_username, sample["preferredUsername"].as_str().unwrap());
        assert_eq!(actor.name.as_deref(), sample["name"].as_str());
        assert_eq!(actor.inbox.as_str(), format!("{id}/inbox"));
        assert_eq!(actor.outbox.as_ref().unwrap().as_str(), format!("{id}/outbox"));
        assert_eq!(actor.followers.as_ref().unwrap().as_str(), format!("{id}/followers"));
        assert_eq!(actor.following.as_ref().unwrap().as_str(), format!("{id}/following"));
        assert_eq!(actor.playlists.as_ref().unwrap().as_str(), format!("{id}/playlists"));
        assert_eq!(actor.shared_inbox.as_ref().unwrap().as_str(), format!("{origin}/inbox"));
        let key = actor.public_key.as_ref().unwrap();
        assert_eq!(key.id.as_str(), format!("{id}#main-key"));
        assert!(key.pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(actor.url.as_ref().unwrap().as_str(), id);
        assert_eq!(actor.published.as_deref(), sample["published"].as_str());
        let owners: Vec<String> = actor.attributed_to.iter().map(|u| u.path().to_owned()).collect();
        assert_eq!(owners, owner.into_iter().collect::<Vec<_>>(), "{file}");
        assert!(actor.icons.is_empty() && actor.avatar().is_none());
    }
}

#[test]
fn the_sample_comments_and_collections_read_fully() {
    let video = "http://127.0.0.1:9000/videos/watch/73bad3ec-0474-4742-af5f-639d9e808e09";
    let thread = Note::parse(&bytes(&format!("{SAMPLES}/comment-note.json"))).unwrap();
    assert!(thread.is_markdown());
    assert_eq!(thread.in_reply_to.as_ref().unwrap().as_str(), video);
    assert!(thread.content.contains('🐰'));
    assert!(thread.mentions.is_empty());
    assert_eq!(thread.reply_approval.unwrap().as_str(), format!("{video}/comments/1/approve-reply"));
    let reply = Note::parse(&bytes(&format!("{SAMPLES}/comment-note-reply.json"))).unwrap();
    assert_eq!(reply.in_reply_to.unwrap().as_str(), format!("{video}/comments/1"));
    assert_eq!(reply.attributed_to.as_str(), "http://127.0.0.1:9000/accounts/root");
    assert_eq!(reply.mentions[0].name.as_deref(), Some("@root@127.0.0.1:9000"));

    let collection = Collection::parse(&bytes(&format!("{SAMPLES}/account-outbox.json"))).unwrap();
    assert_eq!((collection.kind, collection.total_items), (CollectionKind::OrderedCollection, Some(3)));
    assert_eq!(collection.first.unwrap().id().unwrap().query(), Some("page=1"));
    let page = Collection::parse(&bytes(&format!("{SAMPLES}/instance-following-page1.json"))).unwrap();
    assert!(page.kind.is_page());
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next.unwrap().query(), Some("page=2"));
    assert_eq!(page.part_of.unwrap().path(), "/accounts/peertube/following");
    let outbox = Collection::parse(&bytes(&format!("{SAMPLES}/account-outbox-page1.json"))).unwrap();
    assert!(outbox.items.iter().all(|item| item.kind() == Some("Create")));
}

#[test]
fn embedded_activities_read_lazily() {
    let body =
        json("reference/peertube-samples/deliveries/http/35-undo-follow-by-instance-actor.body.pretty.json");
    let undo = Activity::from_value(&body).unwrap();
    assert_eq!(undo.kind, ActivityKind::Undo);
    assert_eq!(undo.object.kind(), Some("Follow"));
    let follow: Activity = undo.object.embedded().unwrap().read().unwrap();
    assert_eq!(follow.kind, ActivityKind::Follow);
    assert_eq!(follow.actor, undo.actor);
    assert_eq!(follow.object.id().unwrap().as_str(), "http://127.0.0.1:8097/users/alice");
    assert_eq!(undo.raw, body, "the raw document is kept for signature checks");

    let create = Activity::parse(&bytes(&format!("{SAMPLES}/video-activity-create.json"))).unwrap();
    let video: Video = create.object.embedded().unwrap().read().unwrap();
    assert_eq!(Some(&video.id), create.object.id());
    assert!(shared(SAMPLES).is_dir());
    // A wrongly typed read names the field from the activity.
    let wrong = create.object.embedded().unwrap().read::<Note>().unwrap_err();
    assert_eq!(wrong.to_string(), "`object.type` is \"Video\", expected Note");
    let _: Value = body;
}
