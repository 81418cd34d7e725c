//! No request body is read before the caller is known: the chunked uploads authenticate from the
//! headers first (bearer and session owner; runner and job tokens), then stream the chunk into
//! storage parts instead of holding it whole.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use edgetube_app::{Body, BodyError};
use futures::StreamExt;
use http::Request;
use serde_json::json;
use support::Fixture;

const REGISTRATION: &str = "ptrrt-body-after-caller";

fn fixture() -> Fixture {
    Fixture::with_vars(&[("SIGNUP_OPEN", "true"), ("RUNNER_REGISTRATION_TOKEN", REGISTRATION)])
}

/// A body whose first poll fails the test.
fn unread() -> Body {
    Body::stream(futures::stream::once(async { panic!("the body was read before the caller was known") }))
}

fn chunk(path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
    let mut request = Request::put(path)
        .header("content-range", "bytes 0-59999999/60000000")
        .header("content-length", "60000000");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).unwrap()
}

/// Opens a resumable upload of `size` bytes; its path.
fn open_upload(f: &Fixture, token: &str, size: u64) -> String {
    let channel = f.channel_of(token);
    let response = f.handle(
        Request::post("/api/v1/videos/upload-resumable")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("x-upload-content-length", size.to_string())
            .body(Bytes::from(
                json!({"channelId": channel, "name": "chunks", "filename": "c.mp4"}).to_string(),
            ))
            .unwrap(),
    );
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap();
    location.trim_start_matches("//127.0.0.1:9000").to_owned()
}

#[test]
fn an_upload_chunk_is_refused_from_its_headers_alone() {
    let f = fixture();
    let owner = f.user("owner");
    let other = f.user("other");
    let path = open_upload(&f, &owner, 60_000_000);

    let status = |headers: &[(&str, &str)]| f.handle(chunk(&path, headers, unread())).status().as_u16();
    assert_eq!(status(&[]), 401, "no bearer");
    assert_eq!(status(&[("authorization", "Bearer not-a-token")]), 401, "an unknown bearer");
    let other_bearer = format!("Bearer {other}");
    assert_eq!(status(&[("authorization", &other_bearer)]), 403, "another user's upload");
    let unknown = f.handle(chunk(
        "/api/v1/videos/upload-resumable?upload_id=nope",
        &[("authorization", &format!("Bearer {owner}"))],
        unread(),
    ));
    assert_eq!(unknown.status(), 404);
    assert!(f.stored_files().is_empty(), "{:?}", f.stored_files());
}

#[test]
fn a_runner_file_chunk_is_refused_from_its_headers_alone() {
    let f = fixture();
    let (status, registered) = f.json(
        "POST",
        "/api/v1/runners/register",
        None,
        json!({"registrationToken": REGISTRATION, "name": "r1"}),
    );
    assert_eq!(status, 200, "{registered}");
    let runner_token = registered["runnerToken"].as_str().unwrap().to_owned();
    let path = "/api/v1/runners/jobs/no-such-job/files/upload/hls/0.m3u8";
    let status = |headers: &[(&str, &str)]| f.handle(chunk(path, headers, unread())).status().as_u16();
    assert_eq!(status(&[]), 401, "no runner token");
    assert_eq!(status(&[("x-runner-token", "ptrt-guess"), ("x-job-token", "ptrjt-guess")]), 401);
    assert_eq!(status(&[("x-runner-token", &runner_token), ("x-job-token", "ptrjt-guess")]), 404);
    assert!(f.stored_files().iter().all(|f| !f.contains("part-")), "{:?}", f.stored_files());
}

/// Multipart parts stored under `root` so far.
fn parts_under(root: &Path) -> usize {
    fn walk(dir: &Path, n: &mut usize) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, n);
            } else if path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("part-")) {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(root, &mut n);
    n
}

#[test]
fn a_large_chunk_goes_to_storage_part_by_part_as_it_arrives() {
    let f = fixture();
    let owner = f.user("owner");
    let size: usize = 20 * 1024 * 1024 + 12_345;
    let path = open_upload(&f, &owner, size as u64 * 2);
    let file: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    // Records, as each 64 KiB piece is pulled, how many parts storage holds already.
    let root: PathBuf = f.ports_dir();
    let seen: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let log = seen.clone();
    let pieces: Vec<Bytes> = file.chunks(64 * 1024).map(Bytes::copy_from_slice).collect();
    let mut sent = 0;
    let body = futures::stream::iter(pieces).map(move |piece| {
        log.lock().unwrap().push((sent, parts_under(&root)));
        sent += piece.len();
        Ok::<_, BodyError>(piece)
    });
    let response = f.handle(
        Request::put(&path)
            .header("authorization", format!("Bearer {owner}"))
            .header("content-range", format!("bytes 0-{}/{}", size - 1, size * 2))
            .header("content-length", size.to_string())
            .body(Body::stream(body))
            .unwrap(),
    );
    assert_eq!(response.status(), 308, "{:?}", response.body());
    let seen = seen.lock().unwrap();
    // Two 8 MiB parts were stored before the last piece of the chunk was even pulled.
    let before_last = seen.last().unwrap().1;
    assert_eq!(before_last, 2, "{:?}", &seen[seen.len() - 3..]);
    let first_part_at = seen.iter().find(|(_, parts)| *parts == 1).unwrap().0;
    assert!(first_part_at <= 8 * 1024 * 1024 + 64 * 1024, "first part after {first_part_at} bytes");

    // A chunk body that ends short of its range changes nothing the session records.
    let short = Body::stream(futures::stream::iter([Ok::<_, BodyError>(Bytes::from(vec![1u8; 1000]))]));
    let response = f.handle(
        Request::put(&path)
            .header("authorization", format!("Bearer {owner}"))
            .header("content-range", format!("bytes {size}-{}/{}", size + 1999, size * 2))
            .body(short)
            .unwrap(),
    );
    assert_eq!(response.status(), 400, "{:?}", response.body());
    let offset = f.handle(
        Request::put(&path)
            .header("authorization", format!("Bearer {owner}"))
            .header("content-range", format!("bytes */{}", size * 2))
            .body(Bytes::new())
            .unwrap(),
    );
    assert_eq!(offset.status(), 308);
    assert_eq!(offset.headers()["range"], format!("bytes=0-{}", size - 1));
}

#[test]
fn a_small_refused_body_is_read_to_its_end_so_its_connection_stays_usable() {
    let f = fixture();
    let finished = Arc::new(Mutex::new(false));
    let flag = finished.clone();
    let body = futures::stream::iter([Ok::<_, BodyError>(Bytes::from_static(b"0123456789"))]).chain(
        futures::stream::once(async move {
            *flag.lock().unwrap() = true;
            Ok(Bytes::new())
        }),
    );
    let response = f.handle(
        Request::put("/api/v1/runners/jobs/x/files/upload/hls/0.m3u8")
            .header("content-range", "bytes 0-9/10")
            .header("content-length", "10")
            .body(Body::stream(body))
            .unwrap(),
    );
    assert_eq!(response.status(), 401);
    assert!(*finished.lock().unwrap(), "the refused 10-byte body was left unread");
}
