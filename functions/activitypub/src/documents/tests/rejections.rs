//! What is refused, and why: one table of malformed documents with the error each must give,
//! one table of origin violations, and a sweep that breaks every field of the samples in every
//! way JSON allows and checks that nothing panics.

use serde_json::{json, Value};

use super::support::{bytes, files, json};
use crate::documents::limits::{MAX_AUDIENCE, MAX_DEPTH, MAX_ITEMS, MAX_LINKS};
use crate::documents::{Activity, Actor, Collection, DocumentError, Flag, Note, Object, Tombstone, Video};

const ACTOR: &str = "https://a.example/users/alice";

/// A Follow of `https://b.example/accounts/bob` by alice, with `patch` merged over it.
fn follow(patch: Value) -> Value {
    let mut activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://a.example/follows/1",
        "type": "Follow",
        "actor": ACTOR,
        "object": "https://b.example/accounts/bob",
    });
    merge(&mut activity, patch);
    activity
}

fn merge(target: &mut Value, patch: Value) {
    if let (Value::Object(target), Value::Object(patch)) = (target, patch) {
        for (key, value) in patch {
            if value.is_null() {
                target.shift_remove(&key);
            } else {
                target.insert(key, value);
            }
        }
    }
}

/// The sample Video with `patch` merged over it.
fn video(patch: Value) -> Value {
    let mut video = json("reference/peertube-samples/activitypub/video.json");
    merge(&mut video, patch);
    video
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("leaf"), |inner, _| json!({ "a": inner }))
}

fn urls(n: usize) -> Value {
    Value::Array((0..n).map(|i| json!(format!("https://a.example/{i}"))).collect())
}

#[test]
fn malformed_activities_are_refused_with_the_field() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not JSON", b"{".to_vec(), "the body is not valid JSON"),
        ("not an object", b"[]".to_vec(), "`(document)` is not a JSON object"),
        (
            "too deep",
            follow(json!({ "object": nested(MAX_DEPTH) })).to_string().into_bytes(),
            "nests deeper than 16",
        ),
        (
            "too many to",
            follow(json!({ "to": urls(MAX_AUDIENCE + 1) })).to_string().into_bytes(),
            "`to` holds 257 items, more than the 256 allowed",
        ),
        (
            "too many links",
            follow(json!({ "object": {"type": "Video", "url": urls(MAX_LINKS + 1)} }))
                .to_string()
                .into_bytes(),
            "`url` holds 257 items",
        ),
        (
            "too many items",
            follow(json!({ "x": urls(MAX_ITEMS + 1) })).to_string().into_bytes(),
            "`x` holds 1001",
        ),
        ("no id", follow(json!({ "id": null })).to_string().into_bytes(), "`id` is missing"),
        ("no actor", follow(json!({ "actor": null })).to_string().into_bytes(), "`actor` is missing"),
        ("no object", follow(json!({ "object": null })).to_string().into_bytes(), "`object` is missing"),
        ("no type", follow(json!({ "type": null })).to_string().into_bytes(), "`type` is missing"),
        ("numeric type", follow(json!({ "type": 1 })).to_string().into_bytes(), "`type` should be a string"),
        (
            "javascript actor",
            follow(json!({ "actor": "javascript:alert(1)" })).to_string().into_bytes(),
            "`actor` must be an http(s) URL, not \"javascript:alert(1)\"",
        ),
        (
            "relative id",
            follow(json!({ "id": "/follows/1" })).to_string().into_bytes(),
            "`id` is not a valid URL",
        ),
        (
            "actor object without id",
            follow(json!({ "actor": {"type": "Person"} })).to_string().into_bytes(),
            "`actor.id` is missing",
        ),
        (
            "numeric object",
            follow(json!({ "object": 7 })).to_string().into_bytes(),
            "`object` should be a URL or an object",
        ),
        (
            "nested list",
            follow(json!({ "object": [["https://b.example/x"]] })).to_string().into_bytes(),
            "`object[0]` should be",
        ),
        (
            "bad cc entry",
            follow(json!({ "cc": ["https://b.example/x", 3] })).to_string().into_bytes(),
            "`cc[1]` should be",
        ),
        (
            "numeric published",
            follow(json!({ "published": 3 })).to_string().into_bytes(),
            "`published` should be a string",
        ),
        (
            "file object",
            follow(json!({ "object": "file:///etc/passwd" })).to_string().into_bytes(),
            "`object` must be an http(s) URL",
        ),
    ];
    for (what, body, expected) in cases {
        let error = Activity::parse(&body).expect_err(what).to_string();
        assert!(error.contains(expected), "{what}: {error:?} lacks {expected:?}");
    }
}

#[test]
fn tolerated_shapes() {
    let activity = Activity::from_value(&follow(json!({
        "actor": {"type": "Person", "id": ACTOR},
        "to": "as:Public",
        "cc": ["Public", {"id": "https://a.example/users/alice/followers"}],
        "type": ["Follow", "ExtraType"],
        "unknown": {"anything": [1, 2, 3]},
    })))
    .unwrap();
    assert_eq!(activity.actor.as_str(), ACTOR);
    assert_eq!(activity.to[0].as_str(), crate::documents::context::PUBLIC);
    assert_eq!(activity.cc[0].as_str(), crate::documents::context::PUBLIC);
    assert_eq!(activity.cc[1].path(), "/users/alice/followers");
    assert!(activity.is_public());
    // An object with only an id is a reference, not an embedded object.
    let reference =
        Activity::from_value(&follow(json!({ "object": {"id": "https://b.example/accounts/bob"} }))).unwrap();
    assert_eq!(reference.object.embedded(), None);
    // Unknown activity types are kept, to be acknowledged and dropped.
    let other = Activity::from_value(&follow(json!({ "type": "Move" }))).unwrap();
    assert_eq!(other.kind.as_str(), "Move");
}

#[test]
fn malformed_objects_are_refused_with_the_field() {
    let video_cases = [
        (
            json!({ "duration": "5 seconds" }),
            "`duration` is invalid: \"5 seconds\" is not an ISO 8601 duration",
        ),
        (json!({ "uuid": "123" }), "`uuid` is invalid"),
        (json!({ "name": null }), "`name` is missing"),
        (json!({ "views": -1 }), "`views` should be a non-negative number"),
        (json!({ "type": "Note" }), "`type` is \"Note\", expected Video"),
        (
            json!({ "url": [{"type": "Link", "mediaType": "video/mp4", "href": "ftp://x.example/a.mp4"}] }),
            "`url[0].href` must be an http(s) URL",
        ),
        (
            json!({ "url": [{"type": "Link", "mediaType": "application/x-mpegURL", "href": "https://x.example/m.m3u8", "tag": [{"type": "Infohash", "name": "zz"}]}] }),
            "`url[0].tag[0].name` is invalid: an Infohash is 40 hexadecimal digits",
        ),
        (
            json!({ "url": [{"type": "Link", "mediaType": "video/mp4", "href": "https://x.example/a.mp4"}, {"type": "Link", "mediaType": "application/x-bittorrent;x-scheme-handler/magnet", "href": "https://x.example/m"}] }),
            "`url[1].href` is invalid: a magnet link must be a magnet: URI",
        ),
        (
            json!({ "url": [{"type": "Link", "name": "tracker-http", "rel": ["tracker", "http"], "href": "file:///t"}] }),
            "`url[0].href` is invalid: a tracker must be",
        ),
        (
            json!({ "url": [{"type": "Link", "mediaType": "video/mp4", "href": "https://x.example/a.mp4", "height": 1e12}] }),
            "`url[0].height` is invalid",
        ),
    ];
    for (patch, expected) in video_cases {
        let error = Video::from_value(&video(patch)).expect_err(expected).to_string();
        assert!(error.contains(expected), "{error:?} lacks {expected:?}");
    }

    let mut actor = json("reference/peertube-samples/activitypub/actor-account-person.json");
    actor["publicKey"]["owner"] = json!("https://evil.example/users/mallory");
    assert_eq!(
        Actor::from_value(&actor).unwrap_err().to_string(),
        "`publicKey.owner` is https://evil.example/users/mallory, not the actor http://127.0.0.1:9000/accounts/root"
    );
    actor["type"] = json!("Note");
    assert!(matches!(Actor::from_value(&actor), Err(DocumentError::UnexpectedType { .. })));
    // Keys controlled by another actor are left out, not refused.
    let mut actor = json("reference/peertube-samples/activitypub/actor-account-person.json");
    actor["assertionMethod"] = json!([
        {"id": "https://evil.example/k", "type": "Multikey", "controller": "https://evil.example/u", "publicKeyMultibase": "z6Mk"},
        {"id": "http://127.0.0.1:9000/accounts/root#k", "type": "JsonWebKey", "controller": "http://127.0.0.1:9000/accounts/root"},
    ]);
    assert!(Actor::from_value(&actor).unwrap().assertion_methods.is_empty());
}

#[test]
fn actors_speak_only_for_their_origin() {
    let note = |patch: Value| {
        let mut note = json!({
            "type": "Note",
            "id": "https://a.example/notes/1",
            "attributedTo": ACTOR,
            "content": "hi",
        });
        merge(&mut note, patch);
        note
    };
    let refused = [
        (
            follow(json!({ "id": "https://b.example/follows/1" })),
            "`id` (https://b.example/follows/1) is not on the origin of the actor",
        ),
        (
            follow(json!({ "id": "https://a.example:8443/follows/1" })),
            "`id` (https://a.example:8443/follows/1)",
        ),
        (follow(json!({ "id": "http://a.example/follows/1" })), "`id` (http://a.example/follows/1)"),
        (
            follow(json!({ "type": "Create", "object": note(json!({ "id": "https://b.example/notes/1" })) })),
            "`object.id` (https://b.example/notes/1)",
        ),
        (
            follow(
                json!({ "type": "Create", "object": note(json!({ "attributedTo": "https://b.example/users/bob" })) }),
            ),
            "`object.attributedTo` (https://b.example/users/bob)",
        ),
        (
            follow(
                json!({ "type": "Update", "object": note(json!({ "attributedTo": [ACTOR, {"type": "Group", "id": "https://b.example/c"}] })) }),
            ),
            "`object.attributedTo` (https://b.example/c)",
        ),
        (
            follow(json!({ "type": "Delete", "object": "https://b.example/videos/watch/x" })),
            "`object` (https://b.example/videos/watch/x)",
        ),
        (
            follow(
                json!({ "type": "Undo", "object": {"type": "Follow", "id": "https://a.example/follows/2", "actor": "https://a.example/users/eve", "object": "https://b.example/x"} }),
            ),
            "`object.actor` is https://a.example/users/eve, not the actor https://a.example/users/alice",
        ),
        (
            follow(json!({ "type": "Undo", "object": "https://b.example/likes/1" })),
            "`object` (https://b.example/likes/1)",
        ),
    ];
    for (document, expected) in refused {
        let activity = Activity::from_value(&document).unwrap();
        let error = activity.check_origin().expect_err(expected).to_string();
        assert!(error.contains(expected), "{error:?} lacks {expected:?}");
    }
    let accepted = [
        follow(json!({})),
        follow(json!({ "type": "Announce", "object": "https://b.example/videos/watch/x" })),
        follow(json!({ "type": "Like", "object": "https://b.example/videos/watch/x" })),
        follow(
            json!({ "type": "Accept", "object": {"type": "Follow", "id": "https://b.example/f/1", "actor": "https://b.example/u", "object": ACTOR} }),
        ),
        follow(json!({ "type": "Create", "object": note(json!({})) })),
        follow(json!({ "type": "Delete", "object": ACTOR })),
        follow(
            json!({ "type": "Delete", "object": {"type": "Tombstone", "id": "https://a.example/notes/1"} }),
        ),
        follow(
            json!({ "type": "Flag", "object": ["https://b.example/videos/watch/x", "https://b.example/accounts/bob"] }),
        ),
    ];
    for document in accepted {
        let activity = Activity::from_value(&document).unwrap();
        activity.check_origin().unwrap_or_else(|e| panic!("{document}: {e}"));
    }
}

/// The documents the tests know: the PeerTube samples, the deliveries and the fixtures, with
/// the Video once (in its `Create`) as its copies would only repeat the same paths.
fn corpus() -> Vec<Value> {
    let repeats =
        ["video.json", "account-outbox-page1.json", "22-create-video", "28-update-video", "33-update-video"];
    let mut corpus = Vec::new();
    for dir in ["reference/peertube-samples/activitypub", "reference/peertube-samples/deliveries/http"] {
        for name in files(dir).into_iter().filter(|n| n.ends_with(".json")) {
            if !repeats.iter().any(|r| name.starts_with(r)) {
                corpus.push(json(&format!("{dir}/{name}")));
            }
        }
    }
    corpus.push(json("fixtures/activitypub/mastodon/create.json"));
    corpus
}

/// Every reader on `value`; none may panic, whatever it is.
fn read_all(value: &Value) {
    if let Ok(activity) = Activity::from_value(value) {
        let _ = activity.check_origin();
        if let Some(embedded) = activity.object.embedded() {
            let _ = embedded.read::<Object>();
            let _ = embedded.read::<Activity>().map(|a| a.check_origin());
        }
    }
    let _ = Object::from_value(value);
    let _ = Video::from_value(value);
    let _ = Actor::from_value(value);
    let _ = Note::from_value(value);
    let _ = Tombstone::from_value(value);
    let _ = Collection::from_value(value);
    let _ = Flag::from_value(value);
}

/// Calls `visit` with a copy of `document` where the value at each path is replaced by each of
/// `replacements`.
fn each_replacement(document: &Value, replacements: &[Value], visit: &mut dyn FnMut(Value)) {
    fn paths(value: &Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        out.push(path.clone());
        match value {
            Value::Object(map) => {
                // Nothing reads `@context`.
                for (key, child) in map.iter().filter(|(key, _)| *key != "@context") {
                    path.push(PathStep::Key(key.clone()));
                    paths(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    paths(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(document, &mut Vec::new(), &mut all);
    for path in all {
        for replacement in replacements {
            let mut copy = document.clone();
            let slot = path.iter().fold(&mut copy, |value, step| match step {
                PathStep::Key(key) => &mut value[key.as_str()],
                PathStep::Index(i) => &mut value[*i],
            });
            *slot = replacement.clone();
            visit(copy);
        }
    }
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

#[test]
fn no_field_of_any_sample_makes_a_reader_panic() {
    let replacements = [
        Value::Null,
        json!(-1),
        json!(1.5e300),
        json!(""),
        json!("é\u{0}"),
        json!("as:Public"),
        json!([]),
        json!([[]]),
        json!({}),
        json!({"type": "Video"}),
    ];
    let mut documents = 0;
    for document in corpus() {
        each_replacement(&document, &replacements, &mut |broken| {
            read_all(&broken);
            documents += 1;
        });
    }
    assert!(documents > 5_000, "{documents}");
    eprintln!("{documents} broken documents read");
}

#[test]
fn truncated_and_corrupted_bodies_do_not_panic() {
    let body = bytes("reference/peertube-samples/deliveries/http/22-create-video.body.pretty.json");
    // A small linear congruential generator: reproducible without a dependency.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for cut in (0..body.len()).step_by(97) {
        let _ = Activity::parse(&body[..cut]);
    }
    for _ in 0..2000 {
        let mut corrupted = body.clone();
        for _ in 0..4 {
            let at = next() % corrupted.len();
            corrupted[at] = b"{}[]\",:0\\ae"[next() % 11];
        }
        if let Ok(value) = serde_json::from_slice::<Value>(&corrupted) {
            read_all(&value);
        }
        let _ = Activity::parse(&corrupted);
    }
}
