//! Videos over native ports: enumerations, lists, details, privacy, update, delete and search,
//! compared with PeerTube 7's real responses.

#![allow(clippy::unwrap_used)]

mod support;

use edgetube_domain::videos::{self, privacy, state, NewVideo, Video};
use serde_json::{json, Value};
use support::{keys, sample, Fixture, ORIGIN};

fn names(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect()
}

/// Two users and a spread of videos; returns (root token, alice token).
fn catalogue(f: &Fixture) -> (String, String) {
    let root = f.root();
    let root_channel = f.channel_of(&root);
    let alice = f.user("alice");
    let alice_channel = f.channel_of(&alice);
    f.video(NewVideo {
        category: Some(15),
        licence: Some(2),
        language: Some("en".into()),
        duration: 10,
        description: Some("The first **video**".into()),
        tags: vec!["bunny".into(), "sample".into()],
        ..NewVideo::new(root_channel, "Alpha clip")
    });
    f.video(NewVideo {
        category: Some(1),
        nsfw: true,
        duration: 30,
        tags: vec!["cat".into()],
        ..NewVideo::new(root_channel, "Beta clip")
    });
    f.video(NewVideo { privacy: privacy::UNLISTED, ..NewVideo::new(root_channel, "Unlisted clip") });
    f.video(NewVideo { privacy: privacy::PRIVATE, ..NewVideo::new(root_channel, "Private clip") });
    f.video(NewVideo { privacy: privacy::INTERNAL, ..NewVideo::new(root_channel, "Internal clip") });
    f.video(NewVideo { state: state::TO_TRANSCODE, ..NewVideo::new(root_channel, "Transcoding clip") });
    f.video(NewVideo {
        duration: 20,
        language: Some("fr".into()),
        ..NewVideo::new(alice_channel, "Gamma clip")
    });
    (root, alice)
}

#[test]
fn enumerations_equal_peertube() {
    let f = Fixture::new();
    for (path, file) in [
        ("categories", "videos-categories.json"),
        ("licences", "videos-licences.json"),
        ("privacies", "videos-privacies.json"),
    ] {
        let (status, body) = f.get(&format!("/api/v1/videos/{path}"), None);
        assert_eq!(status, 200);
        // Compared as strings so the key order is checked too.
        assert_eq!(body.to_string(), sample(file).to_string(), "{path}");
    }
    let (status, languages) = f.get("/api/v1/videos/languages", None);
    assert_eq!(status, 200);
    let languages = languages.as_object().unwrap();
    assert!(languages.len() > 180, "{}", languages.len());
    let first: Vec<(&String, &Value)> = languages.iter().take(5).collect();
    let expected = sample("videos-languages-first5.json");
    assert_eq!(first, expected.as_object().unwrap().iter().collect::<Vec<_>>());
    assert_eq!(languages["en"], "English");

    // Removed in PeerTube 7: an unknown route.
    let (status, body) = f.get("/api/v1/videos/1/description", None);
    assert_eq!((status, body), (400, Value::Null));
}

#[test]
fn lists_filter_sort_and_paginate() {
    let f = Fixture::new();
    let (root, alice) = catalogue(&f);

    let (status, list) = f.get("/api/v1/videos", None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 3);
    assert_eq!(names(&list), ["Gamma clip", "Beta clip", "Alpha clip"], "newest first");
    let sample_item = &sample("videos-list-count2.json")["data"][0];
    assert_eq!(keys(&list["data"][0]), keys(sample_item));
    assert_eq!(keys(&list["data"][0]["account"]), keys(&sample_item["account"]));
    assert_eq!(keys(&list["data"][0]["channel"]), keys(&sample_item["channel"]));
    assert_eq!(list["data"][2]["category"], json!({"id": 15, "label": "Science & Technology"}));
    assert_eq!(list["data"][2]["language"], json!({"id": "en", "label": "English"}));
    assert_eq!(list["data"][0]["account"]["name"], "alice");

    let query = |q: &str| f.get(&format!("/api/v1/videos?{q}"), None).1;
    assert_eq!(names(&query("categoryOneOf=15")), ["Alpha clip"]);
    assert_eq!(names(&query("categoryOneOf=15&categoryOneOf=1&sort=name")), ["Alpha clip", "Beta clip"]);
    assert_eq!(names(&query("licenceOneOf=2")), ["Alpha clip"]);
    assert_eq!(names(&query("languageOneOf=fr")), ["Gamma clip"]);
    assert_eq!(names(&query("languageOneOf=_unknown&sort=name")), ["Beta clip"]);
    assert_eq!(names(&query("tagsOneOf=cat&tagsOneOf=BUNNY&sort=name")), ["Alpha clip", "Beta clip"]);
    assert_eq!(names(&query("tagsAllOf=bunny&tagsAllOf=sample")), ["Alpha clip"]);
    assert_eq!(names(&query("tagsAllOf=bunny&tagsAllOf=cat")), Vec::<&str>::new());
    assert_eq!(names(&query("nsfw=true")), ["Beta clip"]);
    assert_eq!(query("nsfw=false")["total"], 2);
    assert_eq!(query("nsfw=both")["total"], 3);
    assert_eq!(query("isLocal=false")["total"], 0);
    assert_eq!(names(&query("sort=-duration")), ["Beta clip", "Gamma clip", "Alpha clip"]);
    assert_eq!(names(&query("sort=name")), ["Alpha clip", "Beta clip", "Gamma clip"]);
    assert_eq!(names(&query("sort=-trending&count=1")).len(), 1);
    let page = query("sort=name&start=1&count=1");
    assert_eq!((page["total"].as_i64(), names(&page)), (Some(3), vec!["Beta clip"]));
    let skipped = query("skipCount=true");
    assert!(skipped.get("total").is_none());
    assert_eq!(skipped["data"].as_array().unwrap().len(), 3);

    // Logged-in users also see internal videos; owners their unpublished ones.
    assert_eq!(f.get("/api/v1/videos", Some(&alice)).1["total"], 4);
    let (_, own) = f.get("/api/v1/videos?sort=name", Some(&root));
    assert_eq!(own["total"], 5);
    assert!(names(&own).contains(&"Transcoding clip"));

    // privacyOneOf is for moderators.
    assert_eq!(f.get("/api/v1/videos?privacyOneOf=3", None).0, 401);
    assert_eq!(f.get("/api/v1/videos?privacyOneOf=3", Some(&alice)).0, 403);
    let (status, private) = f.get("/api/v1/videos?privacyOneOf=3&privacyOneOf=2&sort=name", Some(&root));
    assert_eq!((status, names(&private)), (200, vec!["Private clip", "Unlisted clip"]));

    // Refusals.
    let (status, problem) = f.get("/api/v1/videos?count=101", None);
    assert_eq!(status, 400);
    assert_eq!(problem["invalid-params"]["count"]["location"], "query");
    let (status, problem) = f.get("/api/v1/videos?sort=colour", None);
    assert_eq!(status, 400);
    assert!(problem["invalid-params"]["sort"].is_object());
    assert_eq!(f.get("/api/v1/videos?categoryOneOf=99", None).0, 400);
    assert_eq!(f.get("/api/v1/videos?nsfw=maybe", None).0, 400);

    // The caller's own videos: every privacy and state, with the owner's fields.
    let (status, mine) = f.get("/api/v1/users/me/videos?sort=name", Some(&root));
    assert_eq!(status, 200);
    assert_eq!(mine["total"], 6);
    let transcoding =
        mine["data"].as_array().unwrap().iter().find(|v| v["name"] == "Transcoding clip").unwrap();
    assert_eq!(transcoding["state"], json!({"id": 2, "label": "To transcode"}));
    assert_eq!(f.get("/api/v1/users/me/videos", Some(&alice)).1["total"], 1);
    assert_eq!(f.get("/api/v1/users/me/videos", None).0, 401);
}

#[test]
fn details_have_peertube_keys_and_every_id_form() {
    let f = Fixture::new();
    let channel = f.channel_of(&f.root());
    let video = f.video(NewVideo {
        category: Some(15),
        licence: Some(2),
        language: Some("en".into()),
        support: Some("Support us".into()),
        tags: vec!["bunny".into(), "sample".into()],
        ..NewVideo::new(channel, "Big Buck Bunny")
    });
    let expected = sample("video.json");
    let (status, details) = f.get(&format!("/api/v1/videos/{}", video.uuid), None);
    assert_eq!(status, 200, "{details}");
    assert_eq!(keys(&details), keys(&expected));
    assert_eq!(keys(&details["account"]), keys(&expected["account"]));
    assert_eq!(keys(&details["channel"]), keys(&expected["channel"]));
    assert_eq!(keys(&details["channel"]["ownerAccount"]), keys(&expected["channel"]["ownerAccount"]));
    assert_eq!(details["tags"], json!(["bunny", "sample"]));
    assert_eq!(details["state"], json!({"id": 1, "label": "Published"}));
    assert_eq!(details["commentsPolicy"], json!({"id": 1, "label": "Enabled"}));
    assert_eq!(details["files"], json!([]));
    assert_eq!(details["streamingPlaylists"], json!([]));
    assert_eq!(details["url"], format!("{ORIGIN}/videos/watch/{}", video.uuid));
    // PeerTube lists `<origin>/tracker/announce` and `ws://<host>/tracker/socket`; ours is the
    // video's own WebSocket tracker shard (no HTTP tracker).
    assert_eq!(expected["trackerUrls"][1], "ws://127.0.0.1:9000/tracker/socket");
    assert_eq!(details["trackerUrls"], json!([format!("ws://127.0.0.1:9000/tracker/socket/{}", video.uuid)]));
    assert_eq!(details["shortUUID"], video.short_uuid);
    assert_eq!(details["publishedAt"], "2026-11-21T21:50:13.254Z");

    for id in [video.id.to_string(), video.short_uuid.clone(), video.uuid.to_uppercase()] {
        let (status, same) = f.get(&format!("/api/v1/videos/{id}"), None);
        assert_eq!((status, &same["id"]), (200, &json!(video.id)), "{id}");
    }

    let (status, problem) = f.get("/api/v1/videos/00000000-0000-4000-8000-000000000000", None);
    let expected = sample("error-404-unknown-video.json");
    assert_eq!(
        (status, &problem["detail"], &problem["title"]),
        (404, &expected["detail"], &expected["title"])
    );
    assert_eq!(f.get("/api/v1/videos/999", None).0, 404);
    assert_eq!(f.get("/api/v1/videos/not_an~id", None).0, 400);
}

#[test]
fn privacy_refusals() {
    let f = Fixture::new();
    let root = f.root();
    let channel = f.channel_of(&root);
    let alice = f.user("alice");
    let private = f.video(NewVideo { privacy: privacy::PRIVATE, ..NewVideo::new(channel, "Private") });
    let internal = f.video(NewVideo { privacy: privacy::INTERNAL, ..NewVideo::new(channel, "Internal") });
    let unlisted = f.video(NewVideo { privacy: privacy::UNLISTED, ..NewVideo::new(channel, "Unlisted") });
    let protected = f.video(NewVideo {
        privacy: privacy::PASSWORD_PROTECTED,
        passwords: vec!["open sesame".into(), "other".into()],
        ..NewVideo::new(channel, "Protected")
    });
    let path = |v: &Video| format!("/api/v1/videos/{}", v.uuid);

    assert_eq!(f.get(&path(&unlisted), None).0, 200);
    assert_eq!(f.get(&path(&private), None).0, 401);
    assert_eq!(f.get(&path(&private), Some(&alice)).0, 403);
    assert_eq!(f.get(&path(&private), Some(&root)).0, 200);
    assert_eq!(f.get(&path(&internal), None).0, 401);
    assert_eq!(f.get(&path(&internal), Some(&alice)).0, 200);

    let (status, problem) = f.get(&path(&protected), None);
    assert_eq!((status, problem["code"].as_str()), (403, Some("video_requires_password")));
    let (status, problem) =
        f.get_with(&path(&protected), Some(&alice), &[("x-peertube-video-password", "wrong")]);
    assert_eq!((status, problem["code"].as_str()), (403, Some("incorrect_video_password")));
    assert_eq!(f.get_with(&path(&protected), None, &[("x-peertube-video-password", "open sesame")]).0, 200);
    assert_eq!(f.get_with(&path(&protected), None, &[("x-peertube-video-password", "other")]).0, 200);
    assert_eq!(f.get(&path(&protected), Some(&root)).0, 200, "the owner needs no password");
}

#[test]
fn update_and_delete() {
    let f = Fixture::new();
    let root = f.root();
    let channel = f.channel_of(&root);
    let alice = f.user("alice");
    let video = f.video(NewVideo { tags: vec!["old".into()], ..NewVideo::new(channel, "Original name") });
    let path = format!("/api/v1/videos/{}", video.uuid);

    // PeerTube's own validation sample: a 121-character name.
    let expected = sample("error-400-validation.json");
    let (status, problem) = f.json("PUT", &path, Some(&root), json!({"name": "x".repeat(121)}));
    assert_eq!(status, 400);
    assert_eq!(problem["detail"], expected["detail"]);
    assert_eq!(problem["invalid-params"], expected["invalid-params"]);
    let (status, problem) = f.json(
        "PUT",
        &path,
        Some(&root),
        json!({"tags": ["a"], "category": 99, "privacy": 9, "commentsPolicy": 0}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        keys(&problem["invalid-params"]),
        ["category", "commentsPolicy", "privacy", "tags"].map(String::from).into()
    );

    assert_eq!(f.json("PUT", &path, None, json!({"name": "Mine now"})).0, 401);
    assert_eq!(f.json("PUT", &path, Some(&alice), json!({"name": "Mine now"})).0, 403);

    let change = json!({
        "name": "Renamed video", "description": "Now with a description", "tags": ["fresh", "penguin"],
        "category": 13, "licence": 7, "language": "fr", "nsfw": true, "commentsPolicy": 3,
        "downloadEnabled": false, "waitTranscoding": true, "originallyPublishedAt": "2020-01-02T03:04:05.000Z",
    });
    assert_eq!(f.json("PUT", &path, Some(&root), change).0, 204);
    let (_, details) = f.get(&path, None);
    assert_eq!(details["name"], "Renamed video");
    assert_eq!(details["tags"], json!(["fresh", "penguin"]));
    assert_eq!(details["category"]["label"], "Education");
    assert_eq!(details["licence"]["id"], 7);
    assert_eq!(details["language"], json!({"id": "fr", "label": "French"}));
    assert_eq!((details["nsfw"].as_bool(), details["downloadEnabled"].as_bool()), (Some(true), Some(false)));
    assert_eq!(details["commentsPolicy"], json!({"id": 3, "label": "Requires approval"}));
    assert_eq!(details["commentsEnabled"], false);
    assert_eq!(details["originallyPublishedAt"], "2020-01-02T03:04:05.000Z");

    // The index follows the update.
    assert_eq!(f.get("/api/v1/search/videos?search=penguin", None).1["total"], 1);
    assert_eq!(f.get("/api/v1/search/videos?search=old", None).1["total"], 0);

    // Password protection needs passwords.
    assert_eq!(f.json("PUT", &path, Some(&root), json!({"privacy": 5})).0, 400);
    let protect = json!({"privacy": 5, "videoPasswords": ["letmein"]});
    assert_eq!(f.json("PUT", &path, Some(&root), protect).0, 204);
    assert_eq!(f.get_with(&path, None, &[("x-peertube-video-password", "letmein")]).0, 200);

    assert_eq!(f.json("DELETE", &path, Some(&alice), json!({})).0, 403);
    assert_eq!(f.json("DELETE", &path, Some(&root), json!({})).0, 204);
    assert_eq!(f.get(&path, Some(&root)).0, 404);
    assert_eq!(f.get("/api/v1/search/videos?search=penguin", None).1["total"], 0);
}

#[test]
fn delete_returns_the_stored_object_keys() {
    let f = Fixture::new();
    let channel = f.channel_of(&f.root());
    let video = f.video(NewVideo {
        original_key: Some("uploads/x/source".into()),
        ..NewVideo::new(channel, "With a source")
    });
    let keys = f.block(videos::delete(&f.ports.sql, &video)).unwrap();
    assert_eq!(keys, ["uploads/x/source"]);
}

#[test]
fn search_matches_names_and_tags() {
    let f = Fixture::new();
    let (_root, _alice) = catalogue(&f);
    let search = |q: &str| f.get(&format!("/api/v1/search/videos?{q}"), None);

    let (status, found) = search("search=alpha");
    assert_eq!(status, 200, "{found}");
    assert_eq!(names(&found), ["Alpha clip"]);
    let sample_item = &sample("search-videos.json")["data"][0];
    assert_eq!(keys(&found["data"][0]), keys(sample_item));
    assert_eq!(names(&search("search=bunny").1), ["Alpha clip"], "by tag");
    assert_eq!(names(&search("search=FIRST").1), ["Alpha clip"], "by description");
    assert_eq!(names(&search("search=gam").1), ["Gamma clip"], "by prefix");
    assert_eq!(search("search=clip").1["total"], 3, "private, internal and unpublished stay hidden");
    assert_eq!(names(&search("search=clip&durationMin=15&sort=name").1), ["Beta clip", "Gamma clip"]);
    assert_eq!(names(&search("search=clip&durationMax=15").1), ["Alpha clip"]);
    assert_eq!(names(&search("search=clip&categoryOneOf=1").1), ["Beta clip"]);
    assert_eq!(search("search=clip&startDate=2030-01-01").1["total"], 0);
    assert_eq!(search("search=clip&endDate=2030-01-01T00:00:00Z").1["total"], 3);
    assert_eq!(search("search=%22%20OR%20NEAR(").1["total"], 0, "FTS syntax is inert");
    assert_eq!(search("search=clip&sort=unknown").0, 400);
    assert_eq!(search("search=clip&count=101").0, 400);
    assert_eq!(search("search=clip&startDate=yesterday").0, 400);
}
