//! Builders versus the captured PeerTube documents: each input is derived from a sample, and the
//! built document must equal the sample (signature aside) with every key in the same order.

use serde_json::Value;

use super::support::{assert_same, json, unsigned};
use crate::documents::build::activities::{
    accept, announce, announce_id, delete, delete_id, dislike, flag, follow, follow_object, like, undo,
    undo_id, view, FlagReport, FollowRef,
};
use crate::documents::build::actor_keys::add_assertion_method;
use crate::documents::build::note::{
    create_note, note_document, tombstone, MentionInput, NoteInput, TombstoneInput,
};
use crate::documents::build::video::{
    create_video, magnet_uri, update_video, video_document, CaptionInput, CommentsPolicy, FileInput,
    HlsInput, ImageInput, LiveInput, MagnetInput, StoryboardInput, TrackerInput, VideoDocumentInput,
};
use crate::documents::build::{with_context, Audience};
use crate::documents::{
    context, Activity, ActivityKind, Actor, Flag, Label, Note, Privacy, Tombstone, Video, VideoFile,
};

const SAMPLES: &str = "reference/peertube-samples/activitypub";
const HTTP: &str = "reference/peertube-samples/deliveries/http";

fn delivery(name: &str) -> Value {
    unsigned(json(&format!("{HTTP}/{name}.body.pretty.json")))
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// The input that describes the sample video, read back from the sample with our parser.
fn sample_video_input() -> VideoDocumentInput {
    let video = Video::from_value(&json(&format!("{SAMPLES}/video.json"))).unwrap();
    let file = |file: &VideoFile, infohash: Option<&String>| FileInput {
        url: file.url.to_string(),
        media_type: file.media_type.clone(),
        height: file.height.unwrap(),
        width: file.width.unwrap(),
        size: file.size.unwrap(),
        fps: file.fps.unwrap(),
        has_audio: true,
        has_video: true,
        metadata_url: file.metadata_url.as_ref().map(ToString::to_string),
        torrent_url: file.torrent_url.as_ref().map(ToString::to_string),
        magnet: file.magnet.as_ref().map(ToString::to_string),
        infohash: infohash.cloned(),
    };
    let image = |image: &crate::documents::Image| ImageInput {
        url: image.url.to_string(),
        media_type: image.media_type.clone().unwrap(),
        width: image.width.unwrap(),
        height: image.height.unwrap(),
    };
    let hls = &video.streaming_playlists[0];
    let storyboard = video.storyboard.as_ref().unwrap();
    VideoDocumentInput {
        origin: "http://127.0.0.1:9000".into(),
        uuid: video.uuid.clone(),
        name: video.name.clone(),
        duration_secs: video.duration_secs,
        description: video.content.clone(),
        category: video.category.clone(),
        licence: video.licence.clone(),
        language: video.language.clone(),
        tags: video.tags.clone(),
        nsfw: video.sensitive,
        wait_transcoding: video.wait_transcoding,
        state: video.state.unwrap(),
        comments_policy: CommentsPolicy::Enabled,
        download_enabled: video.download_enabled.unwrap(),
        published: video.published.clone().unwrap(),
        updated: video.updated.clone().unwrap(),
        originally_published_at: None,
        upload_date: None,
        views: video.views,
        support: video.support.clone(),
        account: video.account.as_ref().unwrap().to_string(),
        channel: video.channel.as_ref().unwrap().to_string(),
        thumbnail: video.thumbnail().map(image),
        preview: video.preview().map(image),
        storyboard: Some(StoryboardInput {
            url: storyboard.url.to_string(),
            media_type: storyboard.media_type.clone().unwrap(),
            width: storyboard.width,
            height: storyboard.height,
            tile_width: storyboard.tile_width,
            tile_height: storyboard.tile_height,
            tile_duration_secs: storyboard.tile_duration_secs,
        }),
        captions: Vec::new(),
        aspect_ratio: video.aspect_ratio,
        web_videos: video.web_videos.iter().map(|f| file(f, None)).collect(),
        hls: Some(HlsInput {
            master_url: hls.master_url.to_string(),
            segments_sha256_url: hls.segments_sha256_url.as_ref().unwrap().to_string(),
            files: hls.files.iter().zip(&hls.infohashes).map(|(f, hash)| file(f, Some(hash))).collect(),
        }),
        trackers: video
            .trackers
            .iter()
            .map(|t| TrackerInput { kind: t.kind, url: t.url.to_string() })
            .collect(),
        privacy: video.privacy,
        live: None,
    }
}

#[test]
fn the_video_document_is_peertubes() {
    let input = sample_video_input();
    assert_same(&video_document(&input), &json(&format!("{SAMPLES}/video.json")), "video.json");
    assert_same(&create_video(&input), &json(&format!("{SAMPLES}/video-activity-create.json")), "Create");
    // The Update sent after the like carries the same object as the final video.json.
    assert_same(&update_video(&input), &delivery("33-update-video-after-like"), "Update");
}

#[test]
fn magnets_are_peertubes() {
    let input = sample_video_input();
    let trackers: Vec<&str> = input.trackers.iter().map(|t| t.url.as_str()).collect();
    let files = input.web_videos.iter().chain(&input.hls.as_ref().unwrap().files);
    for file in files {
        let expected = file.magnet.as_deref().unwrap();
        let infohash = expected.split("urn:btih:").nth(1).unwrap().split('&').next().unwrap();
        let built = magnet_uri(&MagnetInput {
            torrent_url: file.torrent_url.as_deref().unwrap(),
            infohash,
            name: &input.name,
            trackers: &trackers,
            file_url: &file.url,
        });
        assert_eq!(built, expected);
    }
}

#[test]
fn other_videos_read_back() {
    let mut input = sample_video_input();
    input.privacy = Privacy::Unlisted;
    input.comments_policy = CommentsPolicy::RequiresApproval;
    input.upload_date = Some("2026-11-21T21:38:20.000Z".into());
    input.originally_published_at = Some("2001-01-01T00:00:00.000Z".into());
    input.live = Some(LiveInput { save_replay: true, permanent: false, latency_mode: 1 });
    input.category = None;
    input.captions = vec![CaptionInput {
        language: Label { identifier: "fr".into(), name: "French".into() },
        url: "http://127.0.0.1:9000/lazy-static/video-captions/x-fr.vtt".into(),
        automatically_generated: true,
    }];
    let document = video_document(&input);
    let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
    let updated = keys.iter().position(|k| *k == "updated").unwrap();
    assert_eq!(keys[updated + 1], "uploadDate", "uploadDate follows updated, as in PeerTube 6.3");
    assert_eq!(
        (document["to"].clone(), document["cc"].clone()),
        (Value::Array(vec![]), Value::Array(vec![]))
    );
    assert_eq!(document["canReply"], context::PUBLIC);
    assert_eq!(document["commentsEnabled"], true);
    assert_eq!(document["liveSaveReplay"], true);

    let video = Video::from_value(&document).unwrap();
    assert_eq!(video.privacy, Privacy::Unlisted);
    assert_eq!(video.comments_policy, Some(3));
    assert_eq!(video.can_reply.unwrap().as_str(), context::PUBLIC);
    assert!(video.is_live_broadcast);
    assert_eq!(video.upload_date.as_deref(), Some("2026-11-21T21:38:20.000Z"));
    assert_eq!(video.category, None);
    assert_eq!(video.captions[0].language.identifier, "fr");
    assert!(video.captions[0].automatically_generated);

    input.comments_policy = CommentsPolicy::Disabled;
    let document = video_document(&input);
    assert_eq!(
        (document["commentsEnabled"].clone(), document["canReply"].clone()),
        (false.into(), Value::Null)
    );
}

/// The input that describes a sample comment.
fn note_input(sample: &Value) -> NoteInput {
    NoteInput {
        id: sample["id"].as_str().unwrap().into(),
        content: sample["content"].as_str().unwrap().into(),
        in_reply_to: sample["inReplyTo"].as_str().unwrap().into(),
        attributed_to: sample["attributedTo"].as_str().unwrap().into(),
        published: sample["published"].as_str().unwrap().into(),
        updated: sample["updated"].as_str().unwrap().into(),
        audience: Audience { to: strings(&sample["to"]), cc: strings(&sample["cc"]) },
        mentions: sample["tag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| MentionInput {
                href: m["href"].as_str().unwrap().into(),
                name: m["name"].as_str().unwrap().into(),
            })
            .collect(),
    }
}

#[test]
fn comments_are_peertubes() {
    for name in ["comment-note.json", "comment-note-reply.json"] {
        let sample = json(&format!("{SAMPLES}/{name}"));
        assert_same(&note_document(&note_input(&sample)), &sample, name);
    }
    for name in ["29-create-note-comment", "31-create-note-reply"] {
        let sample = delivery(name);
        assert_same(&create_note(&note_input(&sample["object"])), &sample, name);
    }
}

#[test]
fn tombstones_read_back() {
    let input = TombstoneInput {
        id: "https://tube.example/videos/watch/x/comments/3".into(),
        in_reply_to: "https://tube.example/videos/watch/x".into(),
        published: "2026-01-01T00:00:00.000Z".into(),
        updated: "2026-01-01T00:00:00.000Z".into(),
        deleted: "2026-01-02T00:00:00.000Z".into(),
    };
    let served = with_context(context::comment(), tombstone(&input));
    let read = Tombstone::from_value(&served).unwrap();
    assert_eq!(read.former_type.as_deref(), Some("Note"));
    assert_eq!(read.deleted.as_deref(), Some("2026-01-02T00:00:00.000Z"));

    let actor = "https://tube.example/accounts/a";
    let deleted = delete(&delete_id(&input.id), actor, &Audience::public(actor), tombstone(&input));
    let activity = Activity::from_value(&deleted).unwrap();
    activity.check_origin().unwrap();
    assert_eq!(activity.object.kind(), Some("Tombstone"));
    assert_eq!(activity.id.as_str(), format!("{}/delete", input.id));
    let note_sample = json(&format!("{SAMPLES}/comment-note.json"));
    assert!(Note::from_value(&served).is_err() && Note::from_value(&note_sample).is_ok());
}

#[test]
fn follows_are_peertubes() {
    let ours = FollowRef {
        id: "http://127.0.0.1:9000/accounts/peertube/follows/6",
        actor: "http://127.0.0.1:9000/accounts/peertube",
        object: "http://127.0.0.1:8097/users/alice",
    };
    assert_same(&follow(&ours), &delivery("06-follow-by-instance-actor"), "Follow");
    let audience = Audience::public("http://127.0.0.1:9000/accounts/peertube/followers");
    let undone = undo(&undo_id(ours.id), ours.actor, &audience, &follow(&ours));
    assert_same(&undone, &delivery("35-undo-follow-by-instance-actor"), "Undo");
    assert_eq!(undone["object"], follow_object(&ours));

    for (name, id, followed) in [
        ("12-accept-by-account", "5", "accounts/root"),
        ("13-accept-by-channel", "6", "video-channels/root_channel"),
        ("14-accept-by-instance-actor", "7", "accounts/peertube"),
    ] {
        let followed = format!("http://127.0.0.1:9000/{followed}");
        let theirs =
            format!("http://127.0.0.1:8097/users/alice/follows/{}", followed.rsplit('/').next().unwrap());
        let follow = FollowRef { id: &theirs, actor: "http://127.0.0.1:8097/users/alice", object: &followed };
        let id = format!("http://127.0.0.1:9000/accepts/follows/{id}");
        assert_same(&accept(&id, &followed, &follow), &delivery(name), name);
    }
}

#[test]
fn announces_and_deletes_are_peertubes() {
    let origin = "http://127.0.0.1:9000";
    let followers = [
        format!("{origin}/video-channels/root_channel/followers"),
        format!("{origin}/accounts/peertube/followers"),
        format!("{origin}/accounts/root/followers"),
    ];
    let followers: Vec<&str> = followers.iter().map(String::as_str).collect();
    let audience = Audience::followers_of(&followers);
    let video = format!("{origin}/videos/watch/73bad3ec-0474-4742-af5f-639d9e808e09");
    for (name, actor, key) in [
        ("23-announce-video-by-channel", "video-channels/root_channel", "3"),
        ("24-announce-video-by-instance-actor", "accounts/peertube", "1"),
    ] {
        let actor = format!("{origin}/{actor}");
        assert_same(&announce(&announce_id(&video, key), &actor, &audience, &video), &delivery(name), name);
    }
    let deleted = format!("{origin}/videos/watch/1182d970-baa1-4efe-b88e-65a3cf4aad6f");
    let built =
        delete(&delete_id(&deleted), &format!("{origin}/accounts/root"), &audience, deleted.clone().into());
    assert_same(&built, &delivery("34-delete-video"), "Delete");
}

#[test]
fn uncaptured_activities_read_back() {
    let actor = "https://tube.example/accounts/a";
    let video = "https://other.example/videos/watch/v";
    let audience = Audience::followers_of(&["https://tube.example/accounts/a/followers"]);
    let liked = like(&format!("{actor}/likes/1"), actor, &audience, video);
    let disliked = dislike(&format!("{actor}/dislikes/1"), actor, &audience, video);
    let viewed = view(&format!("{actor}/views/1"), actor, &audience, video, Some("2026-01-01T00:00:00.000Z"));
    for (document, kind) in
        [(&liked, ActivityKind::Like), (&disliked, ActivityKind::Dislike), (&viewed, ActivityKind::View)]
    {
        let activity = Activity::from_value(document).unwrap();
        activity.check_origin().unwrap();
        assert_eq!((activity.kind, activity.object.id().unwrap().as_str()), (kind, video));
        assert_eq!(activity.to.len(), 2);
    }
    assert_eq!(viewed["@context"], context::view());
    assert_eq!(viewed["expires"], "2026-01-01T00:00:00.000Z");

    let undone =
        Activity::from_value(&undo(&undo_id(&format!("{actor}/likes/1")), actor, &audience, &liked)).unwrap();
    undone.check_origin().unwrap();
    let inner: Activity = undone.object.embedded().unwrap().read().unwrap();
    assert_eq!(inner.kind, ActivityKind::Like);
    assert!(inner.raw.get("@context").is_none(), "the undone activity is embedded without its context");

    let reported = [video, "https://other.example/accounts/b"];
    let report = FlagReport {
        objects: &reported,
        content: "spam",
        reasons: &["spamOrMisleading", "rights"],
        start_at: Some(3),
        end_at: Some(9),
    };
    let flagged = flag("https://tube.example/admin/abuses/1", actor, &Audience::none(), &report);
    let activity = Activity::from_value(&flagged).unwrap();
    let flag = Flag::from_activity(&activity).unwrap();
    assert_eq!(flag.objects.iter().map(|u| u.as_str()).collect::<Vec<_>>(), reported);
    assert_eq!(flag.reasons, ["spamOrMisleading", "rights"]);
    assert_eq!((flag.content.as_deref(), flag.start_at, flag.end_at), (Some("spam"), Some(3), Some(9)));
    assert_eq!(activity.object.ids().len(), 2);
}

#[test]
fn contexts_are_peertubes() {
    let context_of = |name: &str| json(&format!("{SAMPLES}/{name}"))["@context"].clone();
    assert_same(&context::base(), &context_of("account-followers.json"), "base");
    assert_same(&context::actor(), &context_of("actor-channel-group.json"), "actor");
    assert_same(&context::video(), &context_of("video.json"), "video");
    assert_same(&context::comment(), &context_of("comment-note.json"), "comment");
}

#[test]
fn assertion_methods_go_after_the_rsa_key() {
    let mut document = json(&format!("{SAMPLES}/actor-account-person.json"));
    let multibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    add_assertion_method(&mut document, "zOld").unwrap();
    add_assertion_method(&mut document, multibase).unwrap();
    let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
    let key = keys.iter().position(|k| *k == "publicKey").unwrap();
    assert_eq!(keys[key + 1], "assertionMethod");
    assert_eq!(keys.iter().filter(|k| **k == "assertionMethod").count(), 1);
    let context = document["@context"].as_array().unwrap();
    assert_eq!(
        context.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
        [
            context::ACTIVITYSTREAMS,
            context::SECURITY_V1,
            context::DATA_INTEGRITY_V1,
            context::DID_V1,
            context::MULTIKEY_V1
        ]
    );
    assert_eq!(context.len(), 7, "the term objects stay");

    let actor = Actor::from_value(&document).unwrap();
    assert_eq!(actor.assertion_methods.len(), 1);
    let key = &actor.assertion_methods[0];
    assert_eq!(key.id.as_str(), "http://127.0.0.1:9000/accounts/root#ed25519-key");
    assert_eq!(key.controller, actor.id);
    assert_eq!(key.public_key_multibase, multibase);
    assert!(add_assertion_method(&mut Value::Null, multibase).is_err());
}
