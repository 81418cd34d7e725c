//! Direct uploads to R2 over native ports: presigned part URLs checked by botocore, parts written
//! through the objects port as R2's S3 API would store them, completion, the storage event and
//! its job, ownership, refusals and abort.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_app::QueueOutcome;
use edgetube_ports::Objects;
use http::Request;
use serde_json::{json, Value};
use support::Fixture;

const PART: usize = 8 * 1024 * 1024;
const ACCESS_KEY: &str = "AKIAEDGETUBETEST0001";
const SECRET_KEY: &str = "edgetube/test/secret+key0123456789abcdefgh";
/// Nothing listens there: no test sends a part over HTTP (wrangler dev has no S3 endpoint).
const S3_ENDPOINT: &str = "http://127.0.0.1:9";
const REGISTRATION: &str = "ptrrt-direct-registration-token";

fn fixture() -> Fixture {
    Fixture::with_vars(&[
        ("SIGNUP_OPEN", "true"),
        ("EMULATE_STORAGE_EVENTS", "true"),
        ("RUNNER_REGISTRATION_TOKEN", REGISTRATION),
        ("S3_ENDPOINT", S3_ENDPOINT),
        ("S3_REGION", "auto"),
        ("S3_BUCKET", "edgetube-media"),
        ("S3_ACCESS_KEY_ID", ACCESS_KEY),
        ("S3_SECRET_ACCESS_KEY", SECRET_KEY),
        ("DIRECT_UPLOAD_URL_TTL_SECONDS", "900"),
    ])
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 37 % 251) as u8).collect()
}

fn init(f: &Fixture, token: &str, size: usize, name: &str) -> (u16, Value) {
    let channel = f.channel_of(token);
    let request = Request::post("/api/v1/videos/upload-direct")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("x-upload-content-length", size.to_string())
        .header("x-upload-content-type", "video/mp4")
        .body(Bytes::from(
            json!({"channelId": channel, "name": name, "filename": "clip.mp4", "privacy": 1}).to_string(),
        ))
        .unwrap();
    f.send(request)
}

fn complete(f: &Fixture, token: &str, upload_id: &str, parts: &Value) -> (u16, Value) {
    f.json(
        "POST",
        &format!("/api/v1/videos/upload-direct/{upload_id}/complete"),
        Some(token),
        json!({"parts": parts}),
    )
}

/// The storage key and multipart upload id a part URL names.
fn target(url: &str) -> (String, String) {
    let url = url::Url::parse(url).unwrap();
    let key = url.path().strip_prefix("/edgetube-media/").unwrap().to_owned();
    let upload_id = url.query_pairs().find(|(k, _)| k == "uploadId").unwrap().1.into_owned();
    (key, upload_id)
}

/// Sends each part as a client would PUT it to its URL: into the same multipart upload, through
/// the objects port. Returns the `[{partNumber, etag}]` list with S3's quoted entity tags.
fn put_parts(f: &Fixture, answer: &Value, file: &[u8], part_size: usize) -> Value {
    let mut listed = Vec::new();
    for (part, chunk) in answer["parts"].as_array().unwrap().iter().zip(file.chunks(part_size)) {
        let (key, upload_id) = target(part["url"].as_str().unwrap());
        let number = part["partNumber"].as_u64().unwrap() as u16;
        let stored = f
            .block(f.ports.objects.upload_part(&key, &upload_id, number, Bytes::copy_from_slice(chunk)))
            .unwrap();
        listed.push(json!({"partNumber": number, "etag": format!("\"{}\"", stored.etag)}));
    }
    Value::Array(listed)
}

/// What botocore says about each URL signed for `method`: "ok" or the difference.
fn botocore_verdicts(method: &str, urls: &[String]) -> Vec<String> {
    use std::io::Write;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/verify_presigned.py");
    // The repository's virtualenv, where scripts/setup.sh installs a pinned botocore.
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python3");
    let mut child = std::process::Command::new(python)
        .args([script, ACCESS_KEY, SECRET_KEY, "auto"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect(".venv/bin/python3 with botocore: run scripts/setup.sh");
    let input: String = urls.iter().map(|u| format!("{method} {u}\n")).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "verifier failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(str::to_owned).collect()
}

fn my_video_count(f: &Fixture, token: &str) -> u64 {
    f.get("/api/v1/users/me/videos", Some(token)).1["total"].as_u64().unwrap()
}

#[test]
fn presigned_parts_complete_into_a_video_and_a_job() {
    let f = fixture();
    let alice = f.user("alice");
    let file = data(2 * PART + 12_345);
    let (status, answer) = init(&f, &alice, file.len(), "Direct upload");
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["partSize"], json!(PART));
    assert_eq!(answer["partCount"], json!(3));
    let upload_id = answer["uploadId"].as_str().unwrap().to_owned();
    let parts = answer["parts"].as_array().unwrap();
    let urls: Vec<String> = parts.iter().map(|p| p["url"].as_str().unwrap().to_owned()).collect();
    for (n, part) in parts.iter().enumerate() {
        assert_eq!(part["partNumber"], json!(n + 1));
        // 900 s after the fixture's clock (2026-11-21T21:50:12.254Z).
        assert_eq!(part["expiresAt"], "2026-11-21T22:05:12.254Z");
        assert!(urls[n].starts_with(&format!("{S3_ENDPOINT}/edgetube-media/uploads/{upload_id}/source?")));
        assert!(urls[n].contains(&format!("partNumber={}", n + 1)), "{}", urls[n]);
    }

    // botocore signs every URL identically, and catches a URL edited to name another part.
    assert_eq!(botocore_verdicts("PUT", &urls), vec!["ok"; 3]);
    let tampered = urls[0].replace("partNumber=1", "partNumber=2");
    assert!(botocore_verdicts("PUT", &[tampered])[0].starts_with("mismatch"));

    // A repeated init resumes the same upload with fresh URLs.
    let (status, again) = init(&f, &alice, file.len(), "Direct upload");
    assert_eq!((status, &again["uploadId"]), (200, &json!(upload_id)));

    let listed = put_parts(&f, &answer, &file, PART);
    let bob = f.user("bob");
    let (status, problem) = complete(&f, &bob, &upload_id, &listed);
    assert_eq!(status, 403, "{problem}");
    assert_eq!(f.ports.queue.drain().len(), 0);

    let (status, video) = complete(&f, &alice, &upload_id, &listed);
    assert_eq!(status, 200, "{video}");
    let uuid = video["video"]["uuid"].as_str().unwrap().to_owned();
    let (key, _) = target(&urls[0]);
    let stored = f.block(f.ports.objects.get(&key, None)).unwrap().unwrap();
    assert!(stored.bytes == file, "the stored object differs from the uploaded file");
    assert_eq!(stored.meta.content_type.as_deref(), Some("video/mp4"));
    // A lost answer: completing again gives the same video.
    assert_eq!(complete(&f, &alice, &upload_id, &listed), (200, video.clone()));

    let (_, shown) = f.get(&format!("/api/v1/videos/{uuid}"), Some(&alice));
    assert_eq!(shown["state"]["id"], 2);
    assert_eq!(shown["name"], "Direct upload");
    let (_, quota) = f.get("/api/v1/users/me/video-quota-used", Some(&alice));
    assert_eq!(quota["videoQuotaUsed"], json!(file.len()));

    // The storage event (emulated, as wrangler dev sends none) makes the transcoding job.
    let messages = f.ports.queue.drain();
    assert_eq!(messages.len(), 1);
    let edgetube_ports::QueueMessage::ObjectCreated(object) = &messages[0] else {
        panic!("expected an object-created message, got {:?}", messages[0]);
    };
    assert_eq!(object.size, file.len() as u64);
    assert_eq!(f.block(f.app.handle_queue_message(&f.ports.ports(), &messages[0])), QueueOutcome::Done);
    let (status, runner) = f.json(
        "POST",
        "/api/v1/runners/register",
        None,
        json!({"registrationToken": REGISTRATION, "name": "direct"}),
    );
    assert_eq!(status, 200, "{runner}");
    let (status, jobs) =
        f.json("POST", "/api/v1/runners/jobs/request", None, json!({"runnerToken": runner["runnerToken"]}));
    assert_eq!(status, 200, "{jobs}");
    let jobs = jobs["availableJobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["payload"]["videoUUID"], json!(uuid));

    // The runner that takes the job may read the original straight from R2 with a presigned GET.
    let (status, accepted) = f.json(
        "POST",
        &format!("/api/v1/runners/jobs/{}/accept", jobs[0]["uuid"].as_str().unwrap()),
        None,
        json!({"runnerToken": runner["runnerToken"]}),
    );
    assert_eq!(status, 200, "{accepted}");
    let input = &accepted["job"]["payload"]["input"];
    assert!(input["videoFileUrl"].as_str().unwrap().starts_with(support::ORIGIN), "{input}");
    let read = input["presignedVideoFileUrl"].as_str().unwrap();
    assert!(read.starts_with(&format!("{S3_ENDPOINT}/edgetube-media/{key}?")), "{read}");
    assert_eq!(botocore_verdicts("GET", &[read.to_owned()]), vec!["ok"]);
    assert!(botocore_verdicts("PUT", &[read.to_owned()])[0].starts_with("mismatch"));
}

#[test]
fn wrong_part_lists_are_refused_without_a_video() {
    let f = fixture();
    let alice = f.user("alice");
    let file = data(PART + 1000);
    let (_, answer) = init(&f, &alice, file.len(), "Parts");
    let upload_id = answer["uploadId"].as_str().unwrap().to_owned();
    let listed = put_parts(&f, &answer, &file, PART);

    let missing = json!([listed[0]]);
    let twice = json!([listed[0], listed[0]]);
    let bad_etag = json!([listed[0], {"partNumber": 2, "etag": "\"0000\""}]);
    for wrong in [missing, twice, bad_etag, json!("parts")] {
        let (status, problem) = complete(&f, &alice, &upload_id, &wrong);
        assert_eq!(status, 400, "{wrong}: {problem}");
        assert!(problem["invalid-params"]["parts"].is_object(), "{problem}");
        assert_eq!(my_video_count(&f, &alice), 0, "{wrong} left a video");
    }
    // The upload is still open: the right list completes it.
    assert_eq!(complete(&f, &alice, &upload_id, &listed).0, 200);
    assert_eq!(my_video_count(&f, &alice), 1);
}

#[test]
fn a_size_other_than_declared_discards_the_upload() {
    let f = fixture();
    let alice = f.user("alice");
    let declared = 2 * PART + 100;
    let (_, answer) = init(&f, &alice, declared, "Short");
    let upload_id = answer["uploadId"].as_str().unwrap().to_owned();
    let (key, _) = target(answer["parts"][0]["url"].as_str().unwrap());
    // Three equal 6 MiB parts R2 accepts, but 18 MiB is not the declared size.
    let listed = put_parts(&f, &answer, &data(3 * 6 * 1024 * 1024), 6 * 1024 * 1024);
    let (status, problem) = complete(&f, &alice, &upload_id, &listed);
    assert_eq!(status, 400, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains(&format!("{declared} were declared")), "{problem}");
    assert!(f.block(f.ports.objects.head(&key)).unwrap().is_none());
    assert_eq!(my_video_count(&f, &alice), 0);
    assert_eq!(f.ports.queue.drain().len(), 0);
    let refreshed =
        f.json("POST", &format!("/api/v1/videos/upload-direct/{upload_id}/parts"), Some(&alice), json!({}));
    assert_eq!(refreshed.0, 404);
}

#[test]
fn refresh_abort_and_sizes() {
    let f = fixture();
    let alice = f.user("alice");
    let (status, answer) = init(&f, &alice, 5 * PART, "Abort me");
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["partCount"], json!(5));
    let upload_id = answer["uploadId"].as_str().unwrap().to_owned();
    let (key, multipart) = target(answer["parts"][4]["url"].as_str().unwrap());

    f.ports.clock.advance(600_000);
    let path = format!("/api/v1/videos/upload-direct/{upload_id}/parts");
    let bob = f.user("bob");
    assert_eq!(f.json("POST", &path, Some(&bob), json!({})).0, 403);
    let (status, fresh) = f.json("POST", &path, Some(&alice), json!({}));
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["parts"][0]["expiresAt"], "2026-11-21T22:15:12.254Z");
    assert_ne!(fresh["parts"][0]["url"], answer["parts"][0]["url"]);

    // The idle sweep keeps an upload whose URLs still work, though its row saw no write for an hour.
    f.ports.clock.advance(3_600_000);
    assert_eq!(f.block(edgetube_media::uploads::remove_dangling(&f.ports.ports())).unwrap(), 0);

    let abort = |token: &str| {
        f.handle(
            Request::delete(format!("/api/v1/videos/upload-direct/{upload_id}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Bytes::new())
                .unwrap(),
        )
        .status()
        .as_u16()
    };
    assert_eq!(abort(&bob), 403);
    assert_eq!(abort(&alice), 204);
    assert_eq!(abort(&alice), 404);
    // The multipart upload is gone: no part can be added to it any more.
    assert!(f.block(f.ports.objects.upload_part(&key, &multipart, 1, Bytes::from_static(b"x"))).is_err());

    assert_eq!(init(&f, &alice, 0, "Empty").0, 400);
    let (status, problem) = init(&f, &alice, 10_000 * PART + 1, "Huge");
    // The quota refuses first for a normal user; an unlimited admin meets the part limit.
    assert_eq!(status, 413, "{problem}");
    let root = f.root();
    let (status, problem) = init(&f, &root, 10_000 * PART + 1, "Huge");
    assert_eq!(status, 413, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("direct upload"), "{problem}");
}

#[test]
fn without_r2_credentials_every_endpoint_answers_501() {
    let f = Fixture::new();
    let alice = f.user("alice");
    let (status, problem) = init(&f, &alice, 1000, "Nope");
    assert_eq!(status, 501, "{problem}");
    assert_eq!(problem["code"], "direct_upload_disabled");
    assert!(problem["detail"].as_str().unwrap().contains("upload-resumable"), "{problem}");
    assert_eq!(complete(&f, &alice, "x", &json!([])).0, 501);
    assert_eq!(f.json("POST", "/api/v1/videos/upload-direct/x/parts", Some(&alice), json!({})).0, 501);
}

#[test]
fn part_urls_come_in_pages_of_at_most_100() {
    let f = fixture();
    let root = f.root();
    let (status, answer) = init(&f, &root, 250 * PART - 1, "Long");
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["partCount"], json!(250));
    let numbers = |answer: &Value| -> Vec<u64> {
        answer["parts"].as_array().unwrap().iter().map(|p| p["partNumber"].as_u64().unwrap()).collect()
    };
    assert_eq!(numbers(&answer), (1..=100).collect::<Vec<_>>());
    let page = |query: &str| {
        let path =
            format!("/api/v1/videos/upload-direct/{}/parts{query}", answer["uploadId"].as_str().unwrap());
        f.json("POST", &path, Some(&root), json!({}))
    };
    let (status, last) = page("?from=201");
    assert_eq!(status, 200, "{last}");
    assert_eq!(numbers(&last), (201..=250).collect::<Vec<_>>());
    assert_eq!(numbers(&page("?from=101&count=7").1), (101..=107).collect::<Vec<_>>());
    assert_eq!(numbers(&page("?from=150&count=1000").1).len(), 100);
    let urls: Vec<String> =
        last["parts"].as_array().unwrap().iter().map(|p| p["url"].as_str().unwrap().to_owned()).collect();
    assert_eq!(botocore_verdicts("PUT", &urls), vec!["ok"; 50]);
    for bad in ["?count=0", "?from=x", "?from=70000"] {
        assert_eq!(page(bad).0, 400, "{bad}");
    }
}

/// A video uploaded directly, its job accepted: `(runner token, job)`.
fn accepted_job(f: &Fixture) -> (String, Value) {
    let alice = f.user("alice");
    let file = data(1000);
    let (status, answer) = init(f, &alice, file.len(), "For the runner");
    assert_eq!(status, 201, "{answer}");
    let listed = put_parts(f, &answer, &file, PART);
    assert_eq!(complete(f, &alice, answer["uploadId"].as_str().unwrap(), &listed).0, 200);
    for message in f.ports.queue.drain() {
        assert_eq!(f.block(f.app.handle_queue_message(&f.ports.ports(), &message)), QueueOutcome::Done);
    }
    let (_, runner) = f.json(
        "POST",
        "/api/v1/runners/register",
        None,
        json!({"registrationToken": REGISTRATION, "name": "writer"}),
    );
    let token = runner["runnerToken"].as_str().unwrap().to_owned();
    let (_, jobs) = f.json("POST", "/api/v1/runners/jobs/request", None, json!({"runnerToken": token}));
    let uuid = jobs["availableJobs"][0]["uuid"].as_str().unwrap().to_owned();
    let (status, accepted) =
        f.json("POST", &format!("/api/v1/runners/jobs/{uuid}/accept"), None, json!({"runnerToken": token}));
    assert_eq!(status, 200, "{accepted}");
    (token, accepted["job"].clone())
}

fn upload_url(f: &Fixture, runner: &str, job: &Value, kind: &str, name: &str, size: u64) -> (u16, Value) {
    f.json(
        "POST",
        &format!("/api/v1/runners/jobs/{}/files/upload-url", job["uuid"].as_str().unwrap()),
        None,
        json!({"runnerToken": runner, "jobToken": job["jobToken"], "kind": kind, "name": name, "size": size}),
    )
}

/// Writes `bytes` where a presigned `PUT` URL points, as R2 would on that `PUT`.
fn put_at(f: &Fixture, url: &str, bytes: &[u8], content_type: &str) {
    let key = url::Url::parse(url).unwrap().path().strip_prefix("/edgetube-media/").unwrap().to_owned();
    f.block(f.ports.objects.put(&key, Bytes::copy_from_slice(bytes), Some(content_type))).unwrap();
}

#[test]
fn runners_write_results_through_presigned_puts() {
    let f = fixture();
    let (runner, job) = accepted_job(&f);
    assert_eq!(job["payload"]["output"]["presignedUploads"], true, "{job}");
    let video_uuid = job["payload"]["videoUUID"].as_str().unwrap();
    let mp4 = data(5000);
    let (status, answer) = upload_url(&f, &runner, &job, "hls", "v-240-fragmented.mp4", mp4.len() as u64);
    assert_eq!(status, 200, "{answer}");
    let url = answer["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{S3_ENDPOINT}/edgetube-media/hls/{video_uuid}/v-240-fragmented.mp4?")),
        "{url}"
    );
    assert!(!url.contains(&runner) && !url.contains(job["jobToken"].as_str().unwrap()), "{url}");
    assert_eq!(answer["headers"], json!({"content-type": "video/mp4"}));
    assert!(answer["expiresAt"].as_str().unwrap().ends_with('Z'), "{answer}");
    // botocore accepts it as a PUT of exactly that key, and as nothing else.
    assert_eq!(botocore_verdicts("PUT", &[url.to_owned()]), vec!["ok"]);
    assert!(botocore_verdicts("GET", &[url.to_owned()])[0].starts_with("mismatch"));

    // The same checks as the API upload path.
    let (status, problem) = upload_url(&f, &runner, &job, "hls", "../x-fragmented.mp4", 10);
    assert_eq!(status, 400, "{problem}");
    assert_eq!(upload_url(&f, &runner, &job, "hls", "cover.jpg", 10).0, 400);
    assert_eq!(upload_url(&f, &runner, &job, "subtitles", "a.vtt", 10).0, 400);
    assert_eq!(upload_url(&f, &runner, &job, "thumbnail", "t.jpg", 0).0, 400);
    assert_eq!(upload_url(&f, &runner, &job, "thumbnail", "t.jpg", 6 << 30).0, 400);
    let stolen = json!({"uuid": job["uuid"], "jobToken": "ptrjt-wrong"});
    assert_eq!(upload_url(&f, &runner, &stolen, "thumbnail", "t.jpg", 10).0, 409);
    assert_eq!(upload_url(&f, "ptrt-unknown", &job, "thumbnail", "t.jpg", 10).0, 401);

    // A rendition whose playlist was never written is refused; once both objects are there, it
    // publishes.
    let (_, playlist) = upload_url(&f, &runner, &job, "hls", "v-240.m3u8", 8);
    let report = json!({"runnerToken": runner, "jobToken": job["jobToken"], "progress": 50,
        "rendition": {"resolution": 240, "width": 426, "height": 240, "fps": 25,
                      "file": "v-240-fragmented.mp4", "playlist": "v-240.m3u8", "size": mp4.len(),
                      "codecs": "avc1.64001f", "hasAudio": false, "hasVideo": true, "segmentsSha256": {"0-99": "ab"}}});
    let update = format!("/api/v1/runners/jobs/{}/update", job["uuid"].as_str().unwrap());
    put_at(&f, url, &mp4, "video/mp4");
    assert_eq!(f.json("POST", &update, None, report.clone()).0, 400);
    put_at(&f, playlist["url"].as_str().unwrap(), b"#EXTM3U\n", "application/vnd.apple.mpegurl");
    let (status, body) = f.json("POST", &update, None, report);
    assert_eq!(status, 204, "{body}");
    let (_, video) = f.get(&format!("/api/v1/videos/{video_uuid}"), None);
    assert_eq!(video["state"]["id"], 1, "{video}");

    // A thumbnail written straight to storage by an attempt that fails is removed with the attempt;
    // the published rendition stays.
    let (_, thumbnail) = upload_url(&f, &runner, &job, "thumbnail", "t.jpg", 4);
    put_at(&f, thumbnail["url"].as_str().unwrap(), b"\xff\xd8jp", "image/jpeg");
    // Stored under the job's video, whatever the runner named it.
    let thumbnail_key = format!("thumbnails/{video_uuid}-t.jpg");
    assert!(f.block(f.ports.objects.head(&thumbnail_key)).unwrap().is_some());
    let (status, _) = f.json(
        "POST",
        &format!("/api/v1/runners/jobs/{}/error", job["uuid"].as_str().unwrap()),
        None,
        json!({"runnerToken": runner, "jobToken": job["jobToken"], "message": "ffmpeg crashed"}),
    );
    assert_eq!(status, 204);
    assert!(f.block(f.ports.objects.head(&thumbnail_key)).unwrap().is_none());
    let hls = f.block(f.ports.objects.list(&format!("hls/{video_uuid}/"))).unwrap();
    assert!(hls.iter().any(|k| k.ends_with("v-240-fragmented.mp4")), "{hls:?}");
}

#[test]
fn without_r2_credentials_runners_are_told_to_use_the_api_path() {
    let f = Fixture::with_vars(&[
        ("SIGNUP_OPEN", "true"),
        ("EMULATE_STORAGE_EVENTS", "true"),
        ("RUNNER_REGISTRATION_TOKEN", REGISTRATION),
    ]);
    let alice = f.user("alice");
    let channel = f.channel_of(&alice);
    let request = Request::post("/api/v1/videos/upload-resumable")
        .header("authorization", format!("Bearer {alice}"))
        .header("content-type", "application/json")
        .header("x-upload-content-length", "1000")
        .header("x-upload-content-type", "video/mp4")
        .body(Bytes::from(json!({"channelId": channel, "name": "Plain", "filename": "clip.mp4"}).to_string()))
        .unwrap();
    let response = f.handle(request);
    assert_eq!(response.status(), 201);
    let location =
        response.headers()["location"].to_str().unwrap().trim_start_matches("//127.0.0.1:9000").to_owned();
    let chunk = Request::put(location)
        .header("authorization", format!("Bearer {alice}"))
        .header("content-range", "bytes 0-999/1000")
        .body(Bytes::from(data(1000)))
        .unwrap();
    assert_eq!(f.handle(chunk).status(), 200);
    for message in f.ports.queue.drain() {
        f.block(f.app.handle_queue_message(&f.ports.ports(), &message));
    }
    let (_, runner) = f.json(
        "POST",
        "/api/v1/runners/register",
        None,
        json!({"registrationToken": REGISTRATION, "name": "plain"}),
    );
    let token = runner["runnerToken"].as_str().unwrap();
    let (_, jobs) = f.json("POST", "/api/v1/runners/jobs/request", None, json!({"runnerToken": token}));
    let uuid = jobs["availableJobs"][0]["uuid"].as_str().unwrap();
    let (_, accepted) =
        f.json("POST", &format!("/api/v1/runners/jobs/{uuid}/accept"), None, json!({"runnerToken": token}));
    let job = &accepted["job"];
    assert_eq!(job["payload"]["output"].get("presignedUploads"), None, "{job}");
    let (status, problem) = upload_url(&f, token, job, "thumbnail", "t.jpg", 10);
    assert_eq!(status, 501, "{problem}");
    assert_eq!(problem["code"], "direct_upload_disabled");
}
