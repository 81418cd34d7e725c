//! The media pipeline over native ports: resumable and legacy uploads, the storage event, the
//! runner protocol, publishing, failures and deletion.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_app::{Body, BodyError, QueueOutcome};
use edgetube_media::torrents;
use edgetube_ports::r2_notification::{self, Translated};
use edgetube_ports::{ObjectCreated, QueueMessage};
use http::Request;
use serde_json::{json, Value};
use support::Fixture;

const REGISTRATION: &str = "ptrrt-test-registration-token";

fn fixture() -> Fixture {
    Fixture::with_vars(&[
        ("SIGNUP_OPEN", "true"),
        ("EMULATE_STORAGE_EVENTS", "true"),
        ("RUNNER_REGISTRATION_TOKEN", REGISTRATION),
        ("RUNNER_JOB_STALE_SECONDS", "30"),
        ("RUNNER_JOB_MAX_FAILURES", "2"),
    ])
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 253) as u8).collect()
}

fn put_chunk(f: &Fixture, token: &str, location: &str, range: &str, body: &[u8]) -> http::Response<Bytes> {
    let path = location.trim_start_matches("//127.0.0.1:9000");
    f.handle(
        Request::put(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/octet-stream")
            .header("content-range", range)
            .body(Bytes::copy_from_slice(body))
            .unwrap(),
    )
}

fn init(f: &Fixture, token: &str, channel: i64, size: usize, name: &str) -> (u16, String) {
    let request = Request::post("/api/v1/videos/upload-resumable")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("x-upload-content-length", size.to_string())
        .header("x-upload-content-type", "video/mp4")
        .body(Bytes::from(
            json!({"channelId": channel, "name": name, "filename": "clip.mp4", "privacy": 1}).to_string(),
        ))
        .unwrap();
    let response = f.handle(request);
    let location =
        response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status().as_u16(), location)
}

/// Uploads `file` in 1 MiB chunks, interrupting once; returns the video's JSON answer.
fn resumable_upload(f: &Fixture, token: &str, file: &[u8]) -> Value {
    let channel = f.channel_of(token);
    let (status, location) = init(f, token, channel, file.len(), "Resumable upload");
    assert_eq!(status, 201);
    assert!(location.starts_with("//127.0.0.1:9000/api/v1/videos/upload-resumable?upload_id="), "{location}");
    // The same init again resumes the same session.
    assert_eq!(init(f, token, channel, file.len(), "Resumable upload"), (200, location.clone()));

    let total = file.len();
    let chunk = 1024 * 1024;
    let mut offset = 0;
    let mut interrupted = false;
    while offset < total {
        let end = (offset + chunk).min(total);
        if !interrupted && offset >= 3 * chunk {
            // A client that lost its connection asks how much is stored, then resumes.
            interrupted = true;
            let asked = put_chunk(f, token, &location, &format!("bytes */{total}"), &[]);
            assert_eq!(asked.status(), 308);
            assert_eq!(asked.headers()["range"], format!("bytes=0-{}", offset - 1).as_str());
            // A chunk that skips ahead is refused with the stored range.
            let gap = put_chunk(
                f,
                token,
                &location,
                &format!("bytes {}-{}/{total}", offset + 10, end - 1),
                &file[offset + 10..end],
            );
            assert_eq!(gap.status(), 409);
        }
        let response = put_chunk(
            f,
            token,
            &location,
            &format!("bytes {offset}-{}/{total}", end - 1),
            &file[offset..end],
        );
        if end < total {
            assert_eq!(response.status(), 308, "{:?}", response.body());
            assert_eq!(response.headers()["range"], format!("bytes=0-{}", end - 1).as_str());
        } else {
            assert_eq!(response.status(), 200, "{:?}", response.body());
            let answer = support::json_body(&response);
            // The last chunk repeated (a lost answer) gets the same video.
            let again = put_chunk(
                f,
                token,
                &location,
                &format!("bytes {offset}-{}/{total}", end - 1),
                &file[offset..end],
            );
            assert_eq!(support::json_body(&again), answer);
            return answer;
        }
        offset = end;
    }
    unreachable!()
}

struct Runner {
    token: String,
}

impl Runner {
    fn register(f: &Fixture, name: &str) -> Self {
        let (status, body) = f.json(
            "POST",
            "/api/v1/runners/register",
            None,
            json!({"registrationToken": REGISTRATION, "name": name}),
        );
        assert_eq!(status, 200, "{body}");
        Self { token: body["runnerToken"].as_str().unwrap().to_owned() }
    }

    fn call(&self, f: &Fixture, path: &str, mut body: Value) -> (u16, Value) {
        body["runnerToken"] = json!(self.token);
        f.json("POST", path, None, body)
    }

    fn request(&self, f: &Fixture) -> Vec<Value> {
        let (status, body) = self.call(f, "/api/v1/runners/jobs/request", json!({}));
        assert_eq!(status, 200, "{body}");
        body["availableJobs"].as_array().unwrap().clone()
    }

    fn accept(&self, f: &Fixture, uuid: &str) -> (u16, Value) {
        self.call(f, &format!("/api/v1/runners/jobs/{uuid}/accept"), json!({}))
    }

    fn upload(&self, f: &Fixture, job: &Value, kind: &str, name: &str, bytes: &[u8]) -> u16 {
        let url = job["payload"]["output"]["uploadUrl"].as_str().unwrap().replace(support::ORIGIN, "");
        let response = f.handle(
            Request::put(format!("{url}/{kind}/{name}"))
                .header("x-runner-token", &self.token)
                .header("x-job-token", job["jobToken"].as_str().unwrap())
                .header("content-range", format!("bytes 0-{}/{}", bytes.len() - 1, bytes.len()))
                .body(Bytes::copy_from_slice(bytes))
                .unwrap(),
        );
        response.status().as_u16()
    }

    fn job_call(&self, f: &Fixture, job: &Value, call: &str, mut body: Value) -> (u16, Value) {
        body["jobToken"] = job["jobToken"].clone();
        self.call(f, &format!("/api/v1/runners/jobs/{}/{call}", job["uuid"].as_str().unwrap()), body)
    }

    /// Uploads and reports one rendition of `resolution` made of placeholder bytes.
    fn publish_rendition(&self, f: &Fixture, job: &Value, resolution: u32) -> (u16, Value) {
        let stem = format!("{}-{resolution}", job["uuid"].as_str().unwrap());
        let mp4 = data(5000 + resolution as usize);
        assert_eq!(self.upload(f, job, "hls", &format!("{stem}-fragmented.mp4"), &mp4), 201);
        assert_eq!(self.upload(f, job, "hls", &format!("{stem}.m3u8"), b"#EXTM3U\n"), 201);
        self.job_call(
            f,
            job,
            "update",
            json!({"progress": 50, "video": {"duration": 5.2, "aspectRatio": 1.7777},
                   "rendition": {"resolution": resolution, "width": resolution * 16 / 9, "height": resolution, "fps": 25,
                                 "file": format!("{stem}-fragmented.mp4"), "playlist": format!("{stem}.m3u8"),
                                 "size": mp4.len(), "codecs": "avc1.64001f,mp4a.40.2", "hasAudio": true, "hasVideo": true,
                                 "segmentsSha256": {"100-199": "ab", "200-4999": "cd"}}}),
        )
    }
}

/// The object a queued message announces.
fn created(message: &QueueMessage) -> &ObjectCreated {
    match message {
        QueueMessage::ObjectCreated(object) => object,
        other => panic!("expected an object-created message, got {other:?}"),
    }
}

/// `message` as the platform hands R2's JSON to the core: translated, or ignored with a reason.
fn from_r2(message: &Value) -> QueueMessage {
    match r2_notification::translate(message) {
        Translated::Message(message) => message,
        Translated::Ignore(reason) => panic!("ignored: {reason}"),
    }
}

/// Delivers the queued storage events to the consumer, as the platform does.
fn deliver_events(f: &Fixture) -> Vec<QueueOutcome> {
    let messages = f.ports.queue.drain();
    messages.iter().map(|m| f.block(f.app.handle_queue_message(&f.ports.ports(), m))).collect()
}

#[test]
fn upload_event_runner_publish_delete() {
    let f = fixture();
    let token = f.user("alice");
    let file = data(9 * 1024 * 1024 + 12345);
    let answer = resumable_upload(&f, &token, &file);
    let uuid = answer["video"]["uuid"].as_str().unwrap().to_owned();

    // Not published yet: waiting for transcoding, absent from the public list.
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), None);
    assert_eq!(video["state"], json!({"id": 2, "label": "To transcode"}));
    assert_eq!(video["streamingPlaylists"], json!([]));

    // The emulated storage event, delivered twice (queues deliver at least once), makes one job.
    let messages = f.ports.queue.drain();
    assert_eq!(messages.len(), 1);
    assert!(created(&messages[0]).key.starts_with("uploads/"), "{messages:?}");
    assert_eq!(created(&messages[0]).size, file.len() as u64);
    for _ in 0..2 {
        assert_eq!(f.block(f.app.handle_queue_message(&f.ports.ports(), &messages[0])), QueueOutcome::Done);
    }
    let runner = Runner::register(&f, "first");
    let jobs = runner.request(&f);
    assert_eq!(jobs.len(), 1);
    let job_uuid = jobs[0]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(jobs[0]["payload"]["videoUUID"], json!(uuid));

    let (status, accepted) = runner.accept(&f, &job_uuid);
    assert_eq!(status, 200, "{accepted}");
    let job = accepted["job"].clone();
    assert_eq!(job["payload"]["input"]["size"], json!(file.len()));
    // No R2 credentials: the original is read through the runner API only.
    assert_eq!(job["payload"]["input"]["presignedVideoFileUrl"], Value::Null);
    // Another runner cannot take it any more.
    let second = Runner::register(&f, "second");
    assert_eq!(second.accept(&f, &job_uuid).0, 409);

    // The runner reads the original by ranges: byte-identical to what was uploaded.
    let input_url = job["payload"]["input"]["videoFileUrl"].as_str().unwrap().replace(support::ORIGIN, "");
    let mut read = Vec::new();
    while read.len() < file.len() {
        let response = f.handle(
            Request::post(&input_url)
                .header("content-type", "application/json")
                .header("range", format!("bytes={}-{}", read.len(), read.len() + 4 * 1024 * 1024 - 1))
                .body(Bytes::from(
                    json!({"runnerToken": runner.token, "jobToken": job["jobToken"]}).to_string(),
                ))
                .unwrap(),
        );
        assert_eq!(response.status(), 206);
        read.extend_from_slice(response.body());
    }
    assert!(read == file);

    // A rendition reported before its file is uploaded is refused.
    let (status, _) = runner.job_call(
        &f,
        &job,
        "update",
        json!({"rendition": {"resolution": 240, "width": 426, "height": 240, "fps": 25, "file": "x-240-fragmented.mp4",
               "playlist": "x-240.m3u8", "size": 1, "codecs": "avc1", "hasAudio": true, "hasVideo": true,
               "segmentsSha256": {}}}),
    );
    assert_eq!(status, 400);

    // The first rendition publishes the video.
    let (status, body) = runner.publish_rendition(&f, &job, 240);
    assert_eq!(status, 204, "{body}");
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), None);
    assert_eq!(video["state"]["id"], 1);
    assert_eq!(video["duration"], 5);
    let playlist = &video["streamingPlaylists"][0];
    assert_eq!(playlist["files"].as_array().unwrap().len(), 1);
    let master_v1 = playlist["playlistUrl"].as_str().unwrap().to_owned();
    assert!(master_v1.starts_with(&format!("{}/static/streaming-playlists/hls/{uuid}/", support::ORIGIN)));

    let (status, _) = runner.publish_rendition(&f, &job, 480);
    assert_eq!(status, 204);
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), None);
    let playlist = &video["streamingPlaylists"][0];
    let master_url = playlist["playlistUrl"].as_str().unwrap().replace(support::ORIGIN, "");
    assert_ne!(master_url, master_v1, "the master gets a fresh name");
    let master = f.fetch(&master_url, &[]);
    let text = String::from_utf8(master.body().to_vec()).unwrap();
    assert_eq!(text.matches("#EXT-X-STREAM-INF").count(), 2, "{text}");
    assert!(text.find("-240.m3u8").unwrap() < text.find("-480.m3u8").unwrap());
    // The previous master is gone from storage.
    assert_eq!(f.fetch(&master_v1.replace(support::ORIGIN, ""), &[]).status(), 404);
    let sha = f.fetch(&playlist["segmentsSha256Url"].as_str().unwrap().replace(support::ORIGIN, ""), &[]);
    let hashes: Value = serde_json::from_slice(sha.body()).unwrap();
    assert_eq!(hashes.as_object().unwrap().len(), 2);

    // Success with images; the storyboard is listed.
    for (kind, name) in [("thumbnail", "t.jpg"), ("preview", "p.jpg"), ("storyboard", "s.jpg")] {
        assert_eq!(runner.upload(&f, &job, kind, name, b"\xff\xd8jpeg"), 201);
    }
    let (status, body) = runner.job_call(
        &f,
        &job,
        "success",
        json!({"payload": {"thumbnail": "t.jpg", "preview": "p.jpg",
               "storyboard": {"file": "s.jpg", "spriteWidth": 192, "spriteHeight": 108, "totalWidth": 960,
                              "totalHeight": 108, "spriteDuration": 1}}}),
    );
    assert_eq!(status, 204, "{body}");
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), None);
    // Stored and served under names that start with the video's UUID.
    assert_eq!(video["thumbnailPath"], format!("/lazy-static/thumbnails/{uuid}-t.jpg"));
    assert_eq!(f.fetch(&format!("/lazy-static/thumbnails/{uuid}-t.jpg"), &[]).status(), 200);
    assert_eq!(f.fetch(&format!("/lazy-static/previews/{uuid}-p.jpg"), &[]).status(), 200);
    let (_, boards) = f.get(&format!("/api/v1/videos/{uuid}/storyboards"), None);
    assert_eq!(boards["storyboards"][0]["storyboardPath"], format!("/lazy-static/storyboards/{uuid}-s.jpg"));
    // A finished job refuses further calls from its runner.
    assert_eq!(runner.job_call(&f, &job, "update", json!({"progress": 1})).0, 409);

    // Deleting the video removes every stored object.
    assert!(!f.block(f.ports.ports().objects.list("")).unwrap().is_empty());
    let (status, _) = f.json("DELETE", &format!("/api/v1/videos/{uuid}"), Some(&token), json!({}));
    assert_eq!(status, 204);
    let left = f.block(f.ports.ports().objects.list("")).unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn stale_jobs_move_to_another_runner_and_failures_are_bounded() {
    let f = fixture();
    let token = f.user("bob");
    resumable_upload(&f, &token, &data(4 * 1024 * 1024 + 7));
    deliver_events(&f);
    let first = Runner::register(&f, "first");
    let job_uuid = first.request(&f)[0]["uuid"].as_str().unwrap().to_owned();
    let job = first.accept(&f, &job_uuid).1["job"].clone();
    // The first runner writes a file, then goes quiet.
    assert_eq!(first.upload(&f, &job, "hls", "dead-240-fragmented.mp4", &data(100)), 201);
    f.ports.clock.advance(31_000);
    let second = Runner::register(&f, "second");
    assert_eq!(second.request(&f).len(), 1, "the stale job is pending again");
    let job2 = second.accept(&f, &job_uuid).1["job"].clone();
    assert_eq!(
        first.job_call(&f, &job, "update", json!({"progress": 10})).0,
        409,
        "the first runner lost it"
    );

    // Two failures (RUNNER_JOB_MAX_FAILURES=2) end in "Transcoding failed" with the reason.
    let (status, _) = second.job_call(&f, &job2, "error", json!({"message": "ffprobe: Invalid data found"}));
    assert_eq!(status, 204);
    let job3 = second.accept(&f, &job_uuid).1["job"].clone();
    second.job_call(
        &f,
        &job3,
        "error",
        json!({"message": "ffprobe: Invalid data found when processing input"}),
    );
    assert!(second.request(&f).is_empty());
    let (_, listed) = f.get("/api/v1/runners/jobs?stateOneOf=4", Some(&f.root()));
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data"][0]["error"], "ffprobe: Invalid data found when processing input");
    let (_, mine) = f.get("/api/v1/users/me/videos", Some(&token));
    assert_eq!(mine["data"][0]["state"], json!({"id": 7, "label": "Transcoding failed"}));
    // Nothing half-written stays.
    let hls = f.block(f.ports.ports().objects.list("hls/")).unwrap();
    assert!(hls.is_empty(), "{hls:?}");
}

#[test]
fn legacy_upload_and_refusals() {
    let f = fixture();
    let token = f.user("carol");
    let channel = f.channel_of(&token);
    let boundary = "XyZ";
    let mut body = Vec::new();
    for (name, value) in [
        ("name", "Legacy upload"),
        ("channelId", &channel.to_string()),
        ("privacy", "1"),
        ("tags[]", "one"),
        ("tags[]", "two"),
    ] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    let file = data(70_000);
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"videofile\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").bytes());
    body.extend(&file);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let response = f.handle(
        Request::post("/api/v1/videos/upload")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Bytes::from(body))
            .unwrap(),
    );
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let uuid = support::json_body(&response)["video"]["uuid"].as_str().unwrap().to_owned();
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), None);
    assert_eq!(video["tags"], json!(["one", "two"]));
    assert_eq!(deliver_events(&f), vec![QueueOutcome::Done]);
    let stored = f.block(f.ports.ports().objects.list("uploads/")).unwrap();
    assert_eq!(stored.len(), 1);
    assert!(f.block(f.ports.ports().objects.get(&stored[0], None)).unwrap().unwrap().bytes == file);

    // Refusals: unsupported extension, another user's channel, another user's upload.
    let bad = Request::post("/api/v1/videos/upload-resumable")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("x-upload-content-length", "10")
        .body(Bytes::from(
            json!({"channelId": channel, "name": "Bad file", "filename": "notes.txt"}).to_string(),
        ))
        .unwrap();
    assert_eq!(f.handle(bad).status(), 415);
    let dave = f.user("dave");
    assert_eq!(init(&f, &dave, channel, 10, "Not my channel").0, 403);
    let (_, location) = init(&f, &token, channel, 10, "Mine");
    assert_eq!(put_chunk(&f, &dave, &location, "bytes 0-9/10", &[0; 10]).status(), 403);
    // Events about other objects are ignored; unknown uploads are retried later.
    let object = |key: &str| {
        QueueMessage::ObjectCreated(ObjectCreated { key: key.to_owned(), size: 1, etag: "e-2".to_owned() })
    };
    assert_eq!(
        f.block(f.app.handle_queue_message(&f.ports.ports(), &object("hls/x/y.mp4"))),
        QueueOutcome::Drop("not an upload".to_owned())
    );
    assert_eq!(
        f.block(f.app.handle_queue_message(&f.ports.ports(), &object("uploads/zzz/source"))),
        QueueOutcome::RetryLater
    );
}

#[test]
fn r2_notifications_as_cloudflare_documents_them() {
    let f = fixture();
    let token = f.user("erin");
    resumable_upload(&f, &token, &data(2000));
    let emulated = f.ports.queue.drain().remove(0);
    let key = created(&emulated).key.as_str();
    // The message R2 sends (Cloudflare's event notification format), for the same object, as the
    // Worker's queue consumer translates it.
    let from_r2 = from_r2(&json!({
        "account": "3f4b7e3dcab231cbfdaa90a6a28bd548",
        "action": "CompleteMultipartUpload",
        "bucket": "edgetube-media",
        "object": {"key": key, "size": 2000, "eTag": "e8ba6fa8d6ab8c9d4d1d5c1b3b8e8c2a-1"},
        "eventTime": "2026-11-22T01:36:44.379Z"
    }));
    let deliver = |m: &QueueMessage| f.block(f.app.handle_queue_message(&f.ports.ports(), m));
    assert_eq!(deliver(&from_r2), QueueOutcome::Done);
    assert_eq!(deliver(&from_r2), QueueOutcome::Done);
    let runner = Runner::register(&f, "r2");
    assert_eq!(runner.request(&f).len(), 1, "the same event twice makes one job");
    // Deletions and unknown messages never reach the core.
    let deleted = json!({"account": "a", "action": "DeleteObject", "bucket": "edgetube-media", "object": {"key": key},
                         "eventTime": "2026-11-22T01:40:00.000Z"});
    assert_eq!(r2_notification::translate(&deleted), Translated::Ignore("not an object creation"));
    assert!(matches!(r2_notification::translate(&json!({"hello": "world"})), Translated::Ignore(_)));
}

#[test]
fn housekeeping_removes_abandoned_uploads_and_releases_quiet_jobs() {
    let f = fixture();
    let token = f.user("carol");
    let channel = f.channel_of(&token);
    let file = data(20 * 1024 * 1024);
    let (status, location) = init(&f, &token, channel, file.len(), "Abandoned");
    assert_eq!(status, 201);
    // One whole part and a staged remainder, then the client disappears.
    let first = 9 * 1024 * 1024;
    let response =
        put_chunk(&f, &token, &location, &format!("bytes 0-{}/{}", first - 1, file.len()), &file[..first]);
    assert_eq!(response.status(), 308);
    let objects = f.ports.ports().objects;
    assert!(!f.block(objects.list("staging/")).unwrap().is_empty());

    // As if its last chunk had written the video row and then failed to complete the object.
    let upload_id = location.split("upload_id=").nth(1).unwrap().to_owned();
    let orphan = f.video(edgetube_domain::videos::NewVideo::new(channel, "Never completed"));
    assert!(f
        .block(edgetube_media::uploads::attach_video(f.ports.ports().sql, &upload_id, orphan.id))
        .unwrap());

    // A recent session survives a run.
    let run = || f.block(f.app.run_housekeeping(&f.ports.ports())).unwrap();
    assert_eq!(run().abandoned_uploads, 0);
    f.ports.clock.advance(edgetube_media::uploads::DANGLING_AFTER_MS + 1000);
    assert_eq!(run().abandoned_uploads, 1);
    let (status, _) = f.get(&format!("/api/v1/videos/{}", orphan.uuid), Some(&token));
    assert_eq!(status, 404, "a video without its original goes with its upload");
    assert!(f.block(objects.list("staging/")).unwrap().is_empty());
    let next = format!("bytes {first}-{}/{}", file.len() - 1, file.len());
    assert_eq!(put_chunk(&f, &token, &location, &next, &file[first..]).status(), 404);

    // A job whose runner went quiet is pending again without any runner asking.
    resumable_upload(&f, &token, &data(4 * 1024 * 1024 + 7));
    deliver_events(&f);
    let runner = Runner::register(&f, "quiet");
    let job_uuid = runner.request(&f)[0]["uuid"].as_str().unwrap().to_owned();
    runner.accept(&f, &job_uuid);
    assert_eq!(run().released_jobs, 0);
    f.ports.clock.advance(31_000);
    assert_eq!(run().released_jobs, 1);
    let (_, listed) = f.get("/api/v1/runners/jobs", Some(&f.root()));
    assert_eq!(listed["data"][0]["state"]["id"], 1, "{listed}");
}

#[test]
fn housekeeping_makes_the_job_of_an_upload_whose_event_was_lost() {
    use edgetube_domain::videos::{self, NewVideo};
    use edgetube_media::runner_jobs::LOST_EVENT_GRACE_MS;

    let f = fixture();
    let token = f.user("lost");
    let root = f.root();
    let file = data(2 * 1024 * 1024 + 3);
    let uuid = resumable_upload(&f, &token, &file)["video"]["uuid"].as_str().unwrap().to_owned();
    // Its storage event is lost (dropped after its retries, or never sent); kept to arrive late.
    let lost = f.ports.queue.drain();
    assert_eq!(lost.len(), 1);
    // A video waiting for an original that was never stored gets no job either.
    let mut orphan = NewVideo::new(f.channel_of(&token), "Never stored");
    orphan.state = videos::state::TO_TRANSCODE;
    orphan.original_key = Some("uploads/never-stored/source".to_owned());
    f.video(orphan);
    let run = || f.block(f.app.run_housekeeping(&f.ports.ports())).unwrap();
    let jobs = || f.get("/api/v1/runners/jobs", Some(&root)).1;

    // Within the grace period the event may still come: nothing is made.
    assert_eq!(run().recovered_jobs, 0);
    f.ports.clock.advance(LOST_EVENT_GRACE_MS - 1000);
    assert_eq!(run().recovered_jobs, 0);
    assert_eq!(jobs()["total"], 0);
    // Another upload now is still in its own grace period when the first one's ends.
    resumable_upload(&f, &token, &data(3000));
    f.ports.queue.drain();
    f.ports.clock.advance(2000);

    assert_eq!(run().recovered_jobs, 1);
    let listed = jobs();
    assert_eq!(listed["total"], 1, "{listed}");
    let runner = Runner::register(&f, "sweeper");
    let available = runner.request(&f);
    assert_eq!(available.len(), 1);
    assert_eq!(available[0]["payload"]["videoUUID"], json!(uuid));
    let (status, accepted) = runner.accept(&f, available[0]["uuid"].as_str().unwrap());
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["job"]["payload"]["input"]["size"], json!(file.len()));

    // A second run makes no second job, and neither does the lost event arriving late: the
    // sweep keyed the job on the stored object's key and entity tag, as the event does.
    assert_eq!(run().recovered_jobs, 0);
    assert_eq!(deliver_lost(&f, &lost), vec![QueueOutcome::Done]);
    assert_eq!(jobs()["total"], 1);

    // The other upload's turn comes with its own grace period.
    f.ports.clock.advance(LOST_EVENT_GRACE_MS);
    assert_eq!(run().recovered_jobs, 1);
    assert_eq!(run().recovered_jobs, 0);
    assert_eq!(jobs()["total"], 2);
}

fn deliver_lost(f: &Fixture, messages: &[QueueMessage]) -> Vec<QueueOutcome> {
    messages.iter().map(|m| f.block(f.app.handle_queue_message(&f.ports.ports(), m))).collect()
}

/// A `multipart/form-data` body with `fields` before the file, or after it.
fn legacy_form(fields: &[(&str, String)], filename: &str, file: &[u8], fields_first: bool) -> Vec<u8> {
    let mut text = Vec::new();
    for (name, value) in fields {
        text.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    let mut part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"videofile\"; filename=\"{filename}\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(file);
    part.extend(b"\r\n");
    let mut body = if fields_first { [text, part].concat() } else { [part, text].concat() };
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

const BOUNDARY: &str = "----edgetube-stream";

/// `body` as a stream of `chunk`-byte pieces, the way a platform hands a large body over.
fn streamed(body: &[u8], chunk: usize) -> Body {
    let chunks: Vec<Result<Bytes, BodyError>> =
        body.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    Body::stream(futures::stream::iter(chunks))
}

fn legacy_request(token: &str, body: Body) -> Request<Body> {
    Request::post("/api/v1/videos/upload")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .unwrap()
}

fn metadata(channel: i64, name: &str) -> Vec<(&'static str, String)> {
    vec![("name", name.to_owned()), ("channelId", channel.to_string()), ("privacy", "1".to_owned())]
}

/// Not periodic at any part size, so a misplaced part changes the bytes.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn a_streamed_legacy_upload_with_fields_after_the_file_is_stored_in_parts() {
    let f = fixture();
    let token = f.user("streamer");
    let channel = f.channel_of(&token);
    let part = edgetube_media::uploads::PART_SIZE as usize;
    let file = noise(2 * part + 12_345);
    let body = legacy_form(&metadata(channel, "Streamed"), "big.mp4", &file, false);
    // An odd chunk size, so chunks straddle the form's boundaries and the parts'.
    let response = f.handle(legacy_request(&token, streamed(&body, 65_537)));
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let uuid = support::json_body(&response)["video"]["uuid"].as_str().unwrap().to_owned();

    let stored = f.block(f.ports.ports().objects.list("uploads/")).unwrap();
    assert_eq!(stored.len(), 1);
    assert!(f.block(f.ports.ports().objects.get(&stored[0], None)).unwrap().unwrap().bytes == file);
    // Three parts were joined and nothing unfinished is left.
    assert!(!f.stored_files().iter().any(|p| p.starts_with(".multipart/") && p.contains("part-")));
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), Some(&token));
    assert_eq!(video["name"], "Streamed");
    let input = &video["files"][0];
    assert_eq!(input["size"], file.len());
    // The hashes taken on the way are those of the whole file.
    let name = input["fileUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    // The info hash covers the name, the size and the pieces only.
    let spec = torrents::TorrentSpec { name: &name, trackers: &[], web_seed: "", created: 0 };
    let infohash = torrents::make(&spec, &file).1;
    assert!(input["magnetUri"].as_str().unwrap().starts_with(&format!("magnet:?xt=urn:btih:{infohash}&")));
    let events = f.ports.queue.drain();
    assert_eq!(events.len(), 1);
    assert_eq!(created(&events[0]).key, stored[0]);
    assert_eq!(created(&events[0]).size, file.len() as u64);
}

#[test]
fn a_streamed_small_mp4_gets_its_frame_size_and_one_put() {
    let f = fixture();
    let token = f.user("small");
    let channel = f.channel_of(&token);
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/video/video_short.mp4");
    let file = std::fs::read(fixture).unwrap();
    let body = legacy_form(&metadata(channel, "Small"), "short.mp4", &file, true);
    let response = f.handle(legacy_request(&token, streamed(&body, 1000)));
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let uuid = support::json_body(&response)["video"]["uuid"].as_str().unwrap().to_owned();
    let (_, video) = f.get(&format!("/api/v1/videos/{uuid}"), Some(&token));
    assert_eq!(
        (video["files"][0]["width"].as_i64(), video["files"][0]["height"].as_i64()),
        (Some(1364), Some(720))
    );
    let stored = f.block(f.ports.ports().objects.list("uploads/")).unwrap();
    assert!(f.block(f.ports.ports().objects.get(&stored[0], None)).unwrap().unwrap().bytes == file);
    // The announcement names the stored version: its key and entity tag.
    let events = f.ports.queue.drain();
    let meta = f.block(f.ports.ports().objects.head(&stored[0])).unwrap().unwrap();
    assert_eq!(created(&events[0]), &ObjectCreated::from_meta(&meta));
}

#[test]
fn an_over_cap_legacy_stream_is_refused_and_leaves_nothing() {
    let cap = 10 * 1024 * 1024;
    let f =
        Fixture::with_vars(&[("EMULATE_STORAGE_EVENTS", "true"), ("LEGACY_UPLOAD_MAX_BYTES", "10485760")]);
    let token = f.login("root", support::ADMIN_PASSWORD);
    let channel = f.channel_of(&token);
    let before = f.stored_files();
    // Past the cap after a whole part was stored, with no Content-Length to refuse it early.
    let body = legacy_form(&metadata(channel, "Too big"), "big.mp4", &noise(cap + 1), true);
    let response = f.handle(legacy_request(&token, streamed(&body, 256 * 1024)));
    assert_eq!(response.status(), 413);
    let problem = support::json_body(&response);
    assert!(problem["detail"].as_str().unwrap().contains("use the resumable upload"), "{problem}");
    assert_eq!(f.stored_files(), before);
    // An announced size above the cap is refused before a byte is read.
    let announced = Request::post("/api/v1/videos/upload")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .header("content-length", (cap + 1).to_string())
        .body(Body::stream(futures::stream::pending::<Result<Bytes, BodyError>>()))
        .unwrap();
    assert_eq!(f.handle(announced).status(), 413);
    assert_eq!(f.stored_files(), before);
    assert!(f.ports.queue.drain().is_empty());
}

#[test]
fn malformed_or_refused_legacy_streams_leave_nothing() {
    let f = fixture();
    let root = f.root();
    let (status, problem) = f.json(
        "POST",
        "/api/v1/users",
        Some(&root),
        json!({"username": "quota", "password": "quota-password", "email": "quota@example.com", "role": 2,
               "videoQuota": 9 * 1024 * 1024}),
    );
    assert_eq!(status, 200, "{problem}");
    let token = f.login("quota", "quota-password");
    let channel = f.channel_of(&token);
    let before = f.stored_files();
    let file = noise(9 * 1024 * 1024 + 1);

    // The form stops in the middle of the file, after a part was stored.
    let whole = legacy_form(&metadata(channel, "Cut"), "cut.mp4", &file, true);
    let cut = &whole[..8 * 1024 * 1024 + 500_000];
    let response = f.handle(legacy_request(&token, streamed(cut, 100_000)));
    assert_eq!(response.status(), 400, "{:?}", response.body());
    assert!(support::json_body(&response)["detail"]
        .as_str()
        .unwrap()
        .starts_with("Malformed multipart body"));
    assert_eq!(f.stored_files(), before);

    // Metadata after the file that turns out invalid (no name).
    let fields = vec![("channelId", channel.to_string())];
    let response =
        f.handle(legacy_request(&token, streamed(&legacy_form(&fields, "a.mp4", &file, false), 1 << 20)));
    assert_eq!(response.status(), 400, "{:?}", response.body());
    assert_eq!(f.stored_files(), before);

    // Over the quota, known only at the end of the stream.
    let body = legacy_form(&metadata(channel, "Over quota"), "a.mp4", &file, false);
    let response = f.handle(legacy_request(&token, streamed(&body, 1 << 20)));
    assert_eq!(response.status(), 413);
    assert_eq!(support::json_body(&response)["code"], "quota_reached");
    assert_eq!(f.stored_files(), before);

    // An unsupported file is refused when its field starts.
    let body = legacy_form(&metadata(channel, "Notes"), "notes.txt", &file, true);
    assert_eq!(f.handle(legacy_request(&token, streamed(&body, 1 << 20))).status(), 415);
    assert_eq!(f.stored_files(), before);
    assert!(f.ports.queue.drain().is_empty());
    let (_, mine) = f.get("/api/v1/users/me/videos", Some(&token));
    assert_eq!(mine["total"], 0);
}

#[test]
fn other_routes_read_a_streamed_body_whole() {
    let f = fixture();
    let token = f.user("chunky");
    let channel = f.channel_of(&token);
    let init = json!({"channelId": channel, "name": "Streamed init", "filename": "clip.mp4"}).to_string();
    let response = f.handle(
        Request::post("/api/v1/videos/upload-resumable")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("x-upload-content-length", "3000")
            .body(streamed(init.as_bytes(), 7))
            .unwrap(),
    );
    assert_eq!(response.status(), 201, "{:?}", response.body());
    let location = response.headers()["location"].to_str().unwrap().trim_start_matches("//127.0.0.1:9000");
    let file = data(3000);
    let response = f.handle(
        Request::put(location)
            .header("authorization", format!("Bearer {token}"))
            .header("content-range", "bytes 0-2999/3000")
            .header("content-length", "3000")
            .body(streamed(&file, 1000))
            .unwrap(),
    );
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let stored = f.block(f.ports.ports().objects.list("uploads/")).unwrap();
    assert!(f.block(f.ports.ports().objects.get(&stored[0], None)).unwrap().unwrap().bytes == file);
    // A body that breaks off, or ends short of its length, is a bad request, not a truncated one.
    let short = f.handle(
        Request::post("/api/v1/videos/upload-resumable")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("x-upload-content-length", "3000")
            .header("content-length", (init.len() + 1).to_string())
            .body(streamed(init.as_bytes(), 7))
            .unwrap(),
    );
    assert_eq!(short.status(), 400);
    let broken = futures::stream::iter(vec![Ok(Bytes::from_static(b"{")), Err(BodyError("reset".into()))]);
    let response = f.handle(
        Request::post("/api/v1/videos/upload-resumable")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::stream(broken))
            .unwrap(),
    );
    assert_eq!(response.status(), 400);

    // Only the chunked uploads take large bodies whole: elsewhere a large announced length is
    // refused before a byte is read (the stream below would fail the test if it were read), and
    // an unannounced one as soon as it passes the limit.
    let unread = futures::stream::once(async { panic!("the body was read") });
    let announced = f.handle(
        Request::post("/api/v1/videos/upload-resumable")
            .header("authorization", format!("Bearer {token}"))
            .header("content-length", "99000000")
            .body(Body::stream(unread))
            .unwrap(),
    );
    assert_eq!(announced.status(), 413);
    let unannounced = f.handle(
        Request::post("/api/v1/users/token").body(streamed(&data(2 * 1024 * 1024), 64 * 1024)).unwrap(),
    );
    assert_eq!(unannounced.status(), 413);
}
