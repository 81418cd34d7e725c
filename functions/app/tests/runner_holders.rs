//! What a transcoding runner may touch: only the job it holds now (a runner whose job was given
//! to another changes nothing, even with an authorization obtained before), only the files of
//! that job's video, and a runner's poll costs no SQL write.

#![allow(clippy::unwrap_used)]

mod support;

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_domain::videos::{NewVideo, Video};
use edgetube_media::renditions::{self, Images, RenditionReport};
use edgetube_media::runner_jobs::{self, Holder, JobError};
use edgetube_media::uploads::{self, UploadError};
use edgetube_media::{direct_uploads, runners};
use edgetube_ports::{ObjectCreated, PortError, Ports, Row, Sql, Statement};
use http::Request;
use serde_json::{json, Value};
use std::cell::Cell;
use support::Fixture;

const REGISTRATION: &str = "ptrrt-holders-registration-token";

fn fixture() -> Fixture {
    Fixture::with_vars(&[
        ("SIGNUP_OPEN", "true"),
        ("RUNNER_REGISTRATION_TOKEN", REGISTRATION),
        ("RUNNER_JOB_STALE_SECONDS", "30"),
        ("RUNNER_JOB_MAX_FAILURES", "5"),
        ("S3_ENDPOINT", "http://127.0.0.1:9"),
        ("S3_BUCKET", "edgetube-media"),
        ("S3_ACCESS_KEY_ID", "AKIAEDGETUBETEST0002"),
        ("S3_SECRET_ACCESS_KEY", "edgetube/test/secret+key0123456789abcdefgh"),
    ])
}

struct Runner {
    id: i64,
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
        Self { id: body["id"].as_i64().unwrap(), token: body["runnerToken"].as_str().unwrap().to_owned() }
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

    /// Accepts the job; its JSON with the job token.
    fn accept(&self, f: &Fixture, uuid: &str) -> Value {
        let (status, body) = self.call(f, &format!("/api/v1/runners/jobs/{uuid}/accept"), json!({}));
        assert_eq!(status, 200, "{body}");
        body["job"].clone()
    }

    /// Sends one chunk of the result file `(kind, name)`: `bytes` at `first` of `total` bytes.
    fn upload_chunk(
        &self,
        f: &Fixture,
        job: &Value,
        (kind, name): (&str, &str),
        first: usize,
        bytes: &[u8],
        total: usize,
    ) -> u16 {
        let response = f.handle(
            Request::put(format!(
                "/api/v1/runners/jobs/{}/files/upload/{kind}/{name}",
                job["uuid"].as_str().unwrap()
            ))
            .header("x-runner-token", &self.token)
            .header("x-job-token", job["jobToken"].as_str().unwrap())
            .header("content-range", format!("bytes {first}-{}/{total}", first + bytes.len() - 1))
            .body(Bytes::copy_from_slice(bytes))
            .unwrap(),
        );
        response.status().as_u16()
    }

    fn upload(&self, f: &Fixture, job: &Value, kind: &str, name: &str, bytes: &[u8]) -> u16 {
        self.upload_chunk(f, job, (kind, name), 0, bytes, bytes.len())
    }

    fn job_call(&self, f: &Fixture, job: &Value, call: &str, mut body: Value) -> (u16, Value) {
        body["jobToken"] = job["jobToken"].clone();
        self.call(f, &format!("/api/v1/runners/jobs/{}/{call}", job["uuid"].as_str().unwrap()), body)
    }

    /// The domain's authorization of this runner's call with `job`'s token, as a request
    /// handler obtains it before writing.
    fn holder(&self, f: &Fixture, job: &Value) -> Holder {
        let ports = f.ports.ports();
        let uuid = job["uuid"].as_str().unwrap();
        f.block(runner_jobs::authorize(&ports, uuid, self.id, job["jobToken"].as_str().unwrap())).unwrap().0
    }
}

/// A video whose original is stored, and the job its storage event made; returns the video and
/// the job's UUID.
fn video_with_job(f: &Fixture, name: &str) -> (Video, String) {
    let token = f.user(name);
    let key = format!("uploads/{name}/source");
    let mut new = NewVideo::new(f.channel_of(&token), name);
    new.original_key = Some(key.clone());
    let video = f.video(new);
    let ports = f.ports.ports();
    let meta = f.block(ports.objects.put(&key, Bytes::from_static(b"original"), None)).unwrap();
    let event = ObjectCreated::from_meta(&meta);
    match f.block(runner_jobs::on_storage_event(&ports, f.app.config(), &event)).unwrap() {
        runner_jobs::EventOutcome::Created(uuid) => (video, uuid),
        other => panic!("{other:?}"),
    }
}

/// Everything a runner's call may change: the job row, the video row, its renditions and
/// storyboard, the upload sessions and every stored object with its bytes.
fn state(f: &Fixture, job_uuid: &str, video_id: i64) -> Value {
    let ports = f.ports.ports();
    let rows = |sql: String| -> Value { json!(f.block(ports.sql.query(Statement::new(sql))).unwrap()) };
    let mut objects = Vec::new();
    for key in f.block(ports.objects.list("")).unwrap() {
        let body = f.block(ports.objects.get(&key, None)).unwrap().unwrap();
        objects.push(json!([key, body.bytes.to_vec()]));
    }
    json!({
        "job": rows(format!("SELECT * FROM runner_jobs WHERE uuid = '{job_uuid}'")),
        "video": rows(format!("SELECT * FROM videos WHERE id = {video_id}")),
        "files": rows(format!("SELECT * FROM video_files WHERE video_id = {video_id}")),
        "storyboards": rows(format!("SELECT * FROM video_storyboards WHERE video_id = {video_id}")),
        "sessions": rows("SELECT * FROM upload_sessions ORDER BY id".into()),
        "objects": objects,
    })
}

fn rendition(file: &str, playlist: &str, size: u64) -> RenditionReport {
    serde_json::from_value(json!({
        "resolution": 240, "width": 426, "height": 240, "fps": 25, "file": file, "playlist": playlist,
        "size": size, "codecs": "avc1.64001f", "hasAudio": false, "hasVideo": true,
        "segmentsSha256": {"0-99": "ab"},
    }))
    .unwrap()
}

#[test]
fn a_runner_whose_job_was_reassigned_changes_nothing_of_the_new_holders() {
    let f = fixture();
    let (video, job_uuid) = video_with_job(&f, "xavier");
    let ports = f.ports.ports();

    // Runner A takes the job, writes a whole file and half of another, and is authorized for
    // its next calls; then it goes quiet past the stale threshold.
    let a = Runner::register(&f, "a");
    let job_a = a.accept(&f, &job_uuid);
    assert_eq!(a.upload(&f, &job_a, "hls", "a-240-fragmented.mp4", &[1; 100]), 201);
    assert_eq!(a.upload(&f, &job_a, "hls", "a-240.m3u8", b"#EXTM3U\n"), 201);
    assert_eq!(a.upload_chunk(&f, &job_a, ("hls", "a-360-fragmented.mp4"), 0, &[2; 10], 20), 308);
    let holder_a = a.holder(&f, &job_a);
    let half = f.block(uploads::find(ports.sql, &holder_a.attempt_scoped_id("hls\na-360-fragmented.mp4")));
    let half = half.unwrap().unwrap();
    f.ports.clock.advance(31_000);

    // Runner B takes it over (no housekeeping ran), reports progress and writes its own files.
    let b = Runner::register(&f, "b");
    let job_b = b.accept(&f, &job_uuid);
    assert_eq!(b.job_call(&f, &job_b, "update", json!({"progress": 40})).0, 204);
    assert_eq!(b.upload(&f, &job_b, "hls", "b-240-fragmented.mp4", &[3; 100]), 201);
    assert_eq!(b.upload(&f, &job_b, "thumbnail", "bt.jpg", b"\xff\xd8b"), 201);
    let before = state(&f, &job_uuid, video.id);

    // A's late calls, with the authorization it obtained while it held the job, as a request
    // that passed `authorize` just before the reassignment would make them.
    assert!(matches!(f.block(runner_jobs::heartbeat(&ports, &holder_a, Some(99))), Err(JobError::NotYours)));
    let info = renditions::set_video_info(&ports, &holder_a, &video, 99.0, Some(2.0));
    assert!(matches!(f.block(info), Err(renditions::RenditionError::NotHeld)));
    let report = rendition("a-240-fragmented.mp4", "a-240.m3u8", 100);
    let added = f.block(renditions::add(&ports, &holder_a, &video, &report));
    assert!(matches!(added, Err(renditions::RenditionError::NotHeld)), "{added:?}");
    let thumbnail_key = renditions::image_key("thumbnails", &video.uuid, "bt.jpg");
    let images =
        Images { thumbnail_key: thumbnail_key.clone(), preview_key: thumbnail_key, storyboard: None };
    let completed = f.block(runner_jobs::complete(&ports, &holder_a, &video, &images));
    assert!(matches!(completed, Err(JobError::NotYours)), "{completed:?}");
    let failed = f.block(runner_jobs::fail(&ports, f.app.config(), &holder_a, "late"));
    assert!(matches!(failed, Err(JobError::NotYours)), "{failed:?}");
    assert!(matches!(f.block(runner_jobs::abort(&ports, &holder_a)), Err(JobError::NotYours)));
    let chunk = f.block(uploads::append_for(&ports, &half, 10, Bytes::from_static(&[2; 10]), &holder_a));
    assert!(matches!(chunk, Err(UploadError::NotHeld)), "{chunk:?}");
    let key = format!("{}a-480.m3u8", renditions::hls_prefix(&video.uuid));
    let tracked =
        f.block(direct_uploads::track_runner_write(&ports, &holder_a, &key, "text/plain", 8)).unwrap();
    assert!(!tracked);

    // And the same calls over HTTP with A's tokens.
    for (call, body) in [
        ("update", json!({"progress": 99})),
        ("success", json!({"payload": {"thumbnail": "bt.jpg", "preview": "bt.jpg"}})),
        ("error", json!({"message": "late"})),
        ("abort", json!({})),
        ("files/upload-url", json!({"kind": "thumbnail", "name": "at.jpg", "size": 3})),
    ] {
        assert_eq!(a.job_call(&f, &job_a, call, body).0, 409, "{call}");
    }
    assert_eq!(a.upload_chunk(&f, &job_a, ("hls", "a-360-fragmented.mp4"), 10, &[2; 10], 20), 409);
    assert_eq!(a.upload(&f, &job_a, "thumbnail", "bt.jpg", b"evil"), 409);

    assert_eq!(state(&f, &job_uuid, video.id), before, "A changed nothing");
    // B's job goes on: its file is there and it can finish.
    assert_eq!(b.job_call(&f, &job_b, "update", json!({"progress": 60})).0, 204);
    let (_, listed) = f.get("/api/v1/runners/jobs", Some(&f.root()));
    assert_eq!(listed["data"][0]["progress"], 60);
    assert_eq!(listed["data"][0]["state"]["id"], 2);
}

#[test]
fn a_runner_cannot_write_report_or_delete_another_videos_images() {
    let f = fixture();
    let (victim, victim_job) = video_with_job(&f, "yolanda");
    let (video, job_uuid) = video_with_job(&f, "xavier");

    // The victim's job publishes a rendition and its images.
    let honest = Runner::register(&f, "honest");
    let job_y = honest.accept(&f, &victim_job);
    assert_eq!(honest.upload(&f, &job_y, "hls", "y-240-fragmented.mp4", &[5; 100]), 201);
    assert_eq!(honest.upload(&f, &job_y, "hls", "y-240.m3u8", b"#EXTM3U\n"), 201);
    let report = json!({"resolution": 240, "width": 426, "height": 240, "fps": 25,
        "file": "y-240-fragmented.mp4", "playlist": "y-240.m3u8", "size": 100, "codecs": "avc1.64001f",
        "hasAudio": false, "hasVideo": true, "segmentsSha256": {"0-99": "ab"}});
    assert_eq!(honest.job_call(&f, &job_y, "update", json!({"rendition": report})).0, 204);
    for (kind, name) in [("thumbnail", "t.jpg"), ("preview", "p.jpg"), ("storyboard", "s.jpg")] {
        assert_eq!(honest.upload(&f, &job_y, kind, name, b"\xff\xd8victim"), 201);
    }
    let (status, body) = honest.job_call(
        &f,
        &job_y,
        "success",
        json!({"payload": {"thumbnail": "t.jpg", "preview": "p.jpg",
               "storyboard": {"file": "s.jpg", "spriteWidth": 1, "spriteHeight": 1, "totalWidth": 1,
                              "totalHeight": 1, "spriteDuration": 1}}}),
    );
    assert_eq!(status, 204, "{body}");
    let (_, shown) = f.get(&format!("/api/v1/videos/{}", victim.uuid), None);
    let (_, boards) = f.get(&format!("/api/v1/videos/{}/storyboards", victim.uuid), None);
    // What anyone sees of the victim's images: their public paths.
    let paths = [
        shown["thumbnailPath"].as_str().unwrap().to_owned(),
        shown["previewPath"].as_str().unwrap().to_owned(),
        boards["storyboards"][0]["storyboardPath"].as_str().unwrap().to_owned(),
    ];
    let served = |f: &Fixture| -> Vec<(u16, Bytes)> {
        paths.iter().map(|p| f.fetch(p, &[])).map(|r| (r.status().as_u16(), r.body().clone())).collect()
    };
    let victim_images = served(&f);
    assert!(victim_images.iter().all(|(status, body)| *status == 200 && &body[..] == b"\xff\xd8victim"));

    // A runner holding the other video's job (which has a rendition, so that its success is
    // judged on its images) names the victim's files as they are served.
    let attacker = Runner::register(&f, "attacker");
    let job_x = attacker.accept(&f, &job_uuid);
    assert_eq!(attacker.upload(&f, &job_x, "hls", "x-240-fragmented.mp4", &[6; 100]), 201);
    assert_eq!(attacker.upload(&f, &job_x, "hls", "x-240.m3u8", b"#EXTM3U\n"), 201);
    let report = json!({"resolution": 240, "width": 426, "height": 240, "fps": 25,
        "file": "x-240-fragmented.mp4", "playlist": "x-240.m3u8", "size": 100, "codecs": "avc1.64001f",
        "hasAudio": false, "hasVideo": true, "segmentsSha256": {"0-99": "ab"}});
    assert_eq!(attacker.job_call(&f, &job_x, "update", json!({"rendition": report})).0, 204);
    let names: Vec<String> = paths.iter().map(|p| p.rsplit('/').next().unwrap().to_owned()).collect();
    // Reporting them as its own images is refused: nothing of its video has those names.
    let (status, _) = attacker.job_call(
        &f,
        &job_x,
        "success",
        json!({"payload": {"thumbnail": names[0], "preview": names[1],
               "storyboard": {"file": names[2], "spriteWidth": 1, "spriteHeight": 1, "totalWidth": 1,
                              "totalHeight": 1, "spriteDuration": 1}}}),
    );
    assert_eq!(status, 400);
    // Writing them through the API or a presigned URL lands under its own video.
    for ((kind, name), path) in ["thumbnail", "preview", "storyboard"].iter().zip(&names).zip(&paths) {
        assert_eq!(attacker.upload(&f, &job_x, kind, name, b"evil"), 201);
        let (status, url) =
            attacker.job_call(&f, &job_x, "files/upload-url", json!({"kind": kind, "name": name, "size": 4}));
        assert_eq!(status, 200, "{url}");
        let target = url::Url::parse(url["url"].as_str().unwrap()).unwrap();
        let key = target.path().strip_prefix("/edgetube-media/").unwrap().to_owned();
        assert!(renditions::owns_key(&video.uuid, &key), "{key}");
        assert_ne!(format!("/lazy-static/{key}"), *path);
    }
    // Its failed attempt (the cleanup of what it wrote) and its video's deletion leave the victim's
    // images as they were.
    assert_eq!(attacker.job_call(&f, &job_x, "error", json!({"message": "gave up"})).0, 204);
    let (status, _) = f.json("DELETE", &format!("/api/v1/videos/{}", video.uuid), Some(&f.root()), json!({}));
    assert_eq!(status, 204);
    assert_eq!(served(&f), victim_images);
}

/// The SQL port of the fixture, counting the statements that may write.
struct CountingSql<'a> {
    inner: &'a dyn Sql,
    writes: Cell<usize>,
}

#[async_trait(?Send)]
impl Sql for CountingSql<'_> {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, PortError> {
        let text = statement.sql.trim_start().to_ascii_uppercase();
        if !text.starts_with("SELECT") {
            self.writes.set(self.writes.get() + 1);
        }
        self.inner.query(statement).await
    }

    async fn execute(&self, statement: Statement) -> Result<u64, PortError> {
        self.writes.set(self.writes.get() + 1);
        self.inner.execute(statement).await
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<(), PortError> {
        self.writes.set(self.writes.get() + statements.len());
        self.inner.batch(statements).await
    }
}

/// The SQL writes a runner API call made.
fn writes_of(f: &Fixture, path: &str, body: Value) -> (u16, usize) {
    let counting = CountingSql { inner: f.ports.ports().sql, writes: Cell::new(0) };
    let ports = Ports { sql: &counting, ..f.ports.ports() };
    let request = Request::post(path)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let response = f.block(f.app.handle(&ports, request));
    (response.status().as_u16(), counting.writes.get())
}

#[test]
fn polls_cost_no_writes_and_a_quiet_job_is_taken_over_without_housekeeping() {
    let f = fixture();
    let (_, job_uuid) = video_with_job(&f, "xavier");
    let a = Runner::register(&f, "a");
    // Let the bootstrap and the registration's writes happen before counting.
    a.request(&f);

    let poll = "/api/v1/runners/jobs/request";
    assert_eq!(writes_of(&f, poll, json!({"runnerToken": "ptrt-guessed"})), (401, 0));
    assert_eq!(writes_of(&f, poll, json!({})), (401, 0));
    assert_eq!(writes_of(&f, poll, json!({"runnerToken": a.token})), (200, 0), "last contact is fresh");
    f.ports.clock.advance(runners::LAST_CONTACT_PRECISION_MS);
    assert_eq!(writes_of(&f, poll, json!({"runnerToken": a.token})), (200, 1), "last contact only");
    assert_eq!(writes_of(&f, poll, json!({"runnerToken": a.token})), (200, 0));
    let (_, listed) = f.get("/api/v1/runners", Some(&f.root()));
    let now = f.block(async { f.ports.ports().clock.now_millis() });
    assert_eq!(listed["data"][0]["lastContact"], edgetube_domain::iso8601_millis(now));

    // A quiet job is offered to another runner and taken over, with no housekeeping and no poll
    // writing anything.
    let job_a = a.accept(&f, &job_uuid);
    let b = Runner::register(&f, "b");
    assert!(b.request(&f).is_empty(), "a job whose runner is alive is not offered");
    f.ports.clock.advance(31_000);
    assert_eq!(writes_of(&f, poll, json!({"runnerToken": b.token})).1, 0);
    let offered = b.request(&f);
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0]["uuid"], json!(job_uuid));
    let job_b = b.accept(&f, &job_uuid);
    assert_ne!(job_b["jobToken"], job_a["jobToken"]);
    assert_eq!(a.job_call(&f, &job_a, "update", json!({"progress": 1})).0, 409);
    assert_eq!(b.job_call(&f, &job_b, "update", json!({"progress": 1})).0, 204);
    // Once taken it is offered no more, and A cannot take it back while B is alive.
    assert!(a.request(&f).is_empty());
    assert_eq!(a.call(&f, &format!("/api/v1/runners/jobs/{job_uuid}/accept"), json!({})).0, 409);
}
