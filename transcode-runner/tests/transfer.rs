//! Ranged downloads and chunked uploads against the in-process fake instance, including resuming
//! after cut connections, 5xx answers, lost answers and out-of-order chunks.

mod support;

use std::path::Path;
use std::time::Duration;

use support::fake_bucket::FakeBucket;
use support::fake_instance::FakeInstance;
use transcode_runner::instance_client::{InstanceClient, JobAuth};
use transcode_runner::presigned_put;
use transcode_runner::transfer::{download, upload, TransferError, TransferSettings};

const CHUNK: u64 = 16 * 1024;

fn settings() -> TransferSettings {
    TransferSettings { chunk_size: CHUNK, max_attempts: 5, first_backoff: Duration::from_millis(1) }
}

/// Bytes that differ at every offset, so a byte stored at the wrong place is caught.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn auth(tokens: (String, String)) -> JobAuth {
    JobAuth { job_uuid: support::fake_instance::JOB_UUID.into(), runner_token: tokens.0, job_token: tokens.1 }
}

async fn download_to(fake: &FakeInstance, auth: &JobAuth, dest: &Path) -> Result<u64, TransferError> {
    let size = fake.world().input.len() as u64;
    let http = reqwest::Client::new();
    download(&http, &fake.download_url(), auth, size, dest, &settings(), &mut |_, _| {}).await
}

async fn upload_file(fake: &FakeInstance, auth: &JobAuth, path: &Path) -> Result<u64, TransferError> {
    let http = reqwest::Client::new();
    let url = fake.upload_url("hls", "video-240-fragmented.mp4");
    let mut confirmed = Vec::new();
    let stored =
        upload(&http, &url, auth, path, "video/mp4", &settings(), &mut |bytes| confirmed.push(bytes)).await?;
    assert!(confirmed.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {confirmed:?}");
    Ok(stored.size)
}

#[tokio::test]
async fn downloads_in_ranges_of_the_chunk_size() {
    let fake = FakeInstance::start().await;
    let input = pattern(100_000);
    let auth = auth(fake.processing_job(input.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("input");
    assert_eq!(download_to(&fake, &auth, &dest).await.expect("downloads"), 100_000);
    assert_eq!(std::fs::read(&dest).expect("file"), input);
    let ranges = fake.world().download_ranges.clone();
    assert_eq!(ranges.len(), 7);
    assert_eq!(ranges[0], (0, CHUNK - 1));
    assert_eq!(ranges[6], (6 * CHUNK, 99_999));
}

#[tokio::test]
async fn download_resumes_from_the_bytes_it_has_after_a_cut_and_a_500() {
    let fake = FakeInstance::start().await;
    let input = pattern(50_000);
    let auth = auth(fake.processing_job(input.clone()));
    fake.world().faults.download_cut_after.insert(1, 1000);
    fake.world().faults.download_500.insert(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("input");
    download_to(&fake, &auth, &dest).await.expect("downloads despite the faults");
    assert_eq!(std::fs::read(&dest).expect("file"), input);
    let ranges = fake.world().download_ranges.clone();
    // The cut request kept its first 1000 bytes; the retries ask a whole chunk after them.
    assert_eq!(ranges[1], (CHUNK, 2 * CHUNK - 1));
    assert_eq!(ranges[2], (CHUNK + 1000, 2 * CHUNK + 999));
    assert_eq!(ranges[3], (CHUNK + 1000, 2 * CHUNK + 999));
}

#[tokio::test]
async fn download_gives_up_after_five_failures_in_a_row() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(pattern(1000)));
    fake.world().faults.download_500.extend(0..10);
    let dir = tempfile::tempdir().expect("tempdir");
    let error = download_to(&fake, &auth, &dir.path().join("input")).await.expect_err("gives up");
    assert!(matches!(error, TransferError::GaveUp { attempts: 5, .. }), "{error}");
    assert_eq!(fake.world().download_ranges.len(), 5);
}

#[tokio::test]
async fn download_of_a_job_given_away_stops_at_once() {
    let fake = FakeInstance::start().await;
    let (runner_token, _) = fake.processing_job(pattern(1000));
    let auth = auth((runner_token, "an-old-job-token".into()));
    let dir = tempfile::tempdir().expect("tempdir");
    let error = download_to(&fake, &auth, &dir.path().join("input")).await.expect_err("refused");
    assert!(error.ends_the_job(), "{error}");
}

#[tokio::test]
async fn uploads_in_ordered_chunks_and_completes_with_201() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(pattern(10)));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("file");
    let bytes = pattern(40_000);
    std::fs::write(&path, &bytes).expect("writes");
    assert_eq!(upload_file(&fake, &auth, &path).await.expect("uploads"), 40_000);
    let world = fake.world();
    assert_eq!(world.stored["hls/video-240-fragmented.mp4"], bytes);
    assert!(world.complete.contains("hls/video-240-fragmented.mp4"));
    assert_eq!(
        world.upload_ranges,
        ["bytes 0-16383/40000", "bytes 16384-32767/40000", "bytes 32768-39999/40000"]
    );
}

#[tokio::test]
async fn upload_asks_where_to_resume_when_an_answer_is_lost() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(pattern(10)));
    // Chunk 1 is stored but answered 500; chunk 2 (the next one sent) is refused with a 500.
    fake.world().faults.upload_store_then_500.insert(1);
    fake.world().faults.upload_500.insert(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("file");
    let bytes = pattern(40_000);
    std::fs::write(&path, &bytes).expect("writes");
    upload_file(&fake, &auth, &path).await.expect("uploads despite the faults");
    let world = fake.world();
    assert_eq!(world.stored["hls/video-240-fragmented.mp4"], bytes);
    assert_eq!(
        world.upload_ranges,
        [
            "bytes 0-16383/40000",
            "bytes 16384-32767/40000", // stored, answer lost
            "bytes */40000",           // → 308 Range: bytes=0-32767
            "bytes 32768-39999/40000", // 500, not stored
            "bytes */40000",
            "bytes 32768-39999/40000",
        ]
    );
}

#[tokio::test]
async fn upload_resends_from_what_the_instance_has_after_a_409() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(pattern(10)));
    fake.world().faults.upload_forget_before.insert(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("file");
    let bytes = pattern(20_000);
    std::fs::write(&path, &bytes).expect("writes");
    upload_file(&fake, &auth, &path).await.expect("uploads");
    let world = fake.world();
    assert_eq!(world.stored["hls/video-240-fragmented.mp4"], bytes);
    assert_eq!(
        world.upload_ranges,
        ["bytes 0-16383/20000", "bytes 16384-19999/20000", "bytes */20000", "bytes 16383-19999/20000"]
    );
}

#[tokio::test]
async fn upload_gives_up_after_five_failures_in_a_row() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(pattern(10)));
    fake.world().faults.upload_500.extend(0..100);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("file");
    std::fs::write(&path, pattern(1000)).expect("writes");
    let error = upload_file(&fake, &auth, &path).await.expect_err("gives up");
    assert!(matches!(error, TransferError::GaveUp { attempts: 5, .. }), "{error}");
}

#[tokio::test]
async fn upload_of_a_job_given_away_stops_at_once() {
    let fake = FakeInstance::start().await;
    let (runner_token, _) = fake.processing_job(pattern(10));
    let auth = auth((runner_token, "an-old-job-token".into()));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("file");
    std::fs::write(&path, pattern(1000)).expect("writes");
    let error = upload_file(&fake, &auth, &path).await.expect_err("refused");
    assert!(error.ends_the_job(), "{error}");
    // The chunk's 409 could mean "out of order"; the empty status query settles it.
    assert_eq!(fake.world().upload_ranges, ["bytes 0-999/1000", "bytes */1000"]);
}

#[tokio::test]
async fn empty_files_are_refused_before_any_request() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(Vec::new()));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty");
    std::fs::write(&path, b"").expect("writes");
    let error = upload_file(&fake, &auth, &path).await.expect_err("empty");
    assert!(matches!(error, TransferError::EmptyFile { .. }), "{error}");
    let error = download_to(&fake, &auth, &dir.path().join("input")).await.expect_err("empty");
    assert!(matches!(error, TransferError::EmptyInput), "{error}");
    assert!(fake.world().upload_ranges.is_empty() && fake.world().download_ranges.is_empty());
}

/// What the fake bucket saw of each presigned read: method, range, whether a body came along.
type BucketLog = std::sync::Arc<std::sync::Mutex<Vec<(String, String, bool)>>>;

/// A bucket on loopback answering presigned `GET`s with ranges, as R2's S3 endpoint does; a read
/// without a signature, or with the signature `expired`, is 403. Stopped when the returned task is aborted.
async fn fake_bucket(input: Vec<u8>) -> (String, BucketLog, tokio::task::JoinHandle<()>) {
    use axum::body::{Body, Bytes};
    use axum::http::{Request, StatusCode};
    use axum::response::Response;
    let log = BucketLog::default();
    let seen = log.clone();
    let input = Bytes::from(input);
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let (seen, input) = (seen.clone(), input.clone());
        async move {
            let signed = request
                .uri()
                .query()
                .is_some_and(|q| q.contains("X-Amz-Signature=") && !q.contains("X-Amz-Signature=expired"));
            let range = request.headers().get("range").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let method = request.method().to_string();
            let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
            seen.lock().expect("log").push((method, range.clone(), !body.is_empty()));
            if !signed {
                return Response::builder()
                    .status(StatusCode::FORBIDDEN)
                    .body(Body::from("<Error/>"))
                    .expect("response");
            }
            let (first, last) = range
                .strip_prefix("bytes=")
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
                .expect("a ranged read");
            let last = last.min(input.len() - 1);
            Response::builder()
                .status(StatusCode::PARTIAL_CONTENT)
                .header("content-range", format!("bytes {first}-{last}/{}", input.len()))
                .body(Body::from(input.slice(first..=last)))
                .expect("response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds to loopback");
    let origin = format!("http://{}", listener.local_addr().expect("has an address"));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serves");
    });
    (origin, log, server)
}

#[tokio::test]
async fn a_presigned_input_is_read_by_ranged_gets_without_tokens() {
    let input = pattern(40_000);
    let (origin, log, server) = fake_bucket(input.clone()).await;
    let url = format!("{origin}/media/uploads/u/source?X-Amz-Date=20261121T215012Z&X-Amz-Signature=abc123");
    let auth = JobAuth {
        job_uuid: "j".into(),
        runner_token: "ptrt-secret".into(),
        job_token: "ptrjt-secret".into(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("input");
    let http = reqwest::Client::new();
    let stored = download(&http, &url, &auth, 40_000, &dest, &settings(), &mut |_, _| {}).await;
    assert_eq!(stored.expect("downloads"), 40_000);
    assert_eq!(std::fs::read(&dest).expect("file"), input);
    let seen = log.lock().expect("log").clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|(method, _, body)| method == "GET" && !body), "{seen:?}");
    assert_eq!(seen[2].1, format!("bytes={}-39999", 2 * CHUNK));

    // A refused read (403, e.g. an expired URL) ends the transfer at once, and the error does not
    // carry the signature.
    let refused = url.replace("abc123", "expired");
    let error = download(&http, &refused, &auth, 40_000, &dest, &settings(), &mut |_, _| {})
        .await
        .expect_err("refused");
    assert!(matches!(error, TransferError::Refused { status: 403, .. }), "{error}");
    assert!(!error.to_string().contains("expired") && !error.to_string().contains("X-Amz"), "{error}");
    assert!(!error.ends_the_job(), "a refused read is a failure the instance retries: {error}");
    server.abort();
}

async fn presigned_upload(
    fake: &FakeInstance,
    auth: &JobAuth,
    name: &str,
    path: &Path,
) -> Result<Option<u64>, TransferError> {
    let client = InstanceClient::new(&fake.origin()).expect("client");
    presigned_put::upload(&client, auth, "hls", name, path, &settings()).await
}

#[tokio::test]
async fn results_go_to_storage_by_one_presigned_put_without_tokens() {
    let fake = FakeInstance::start().await;
    let bucket = FakeBucket::start().await;
    let auth = auth(fake.processing_job(Vec::new()));
    fake.world().presign_bucket = Some(bucket.origin.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v-240-fragmented.mp4");
    // Larger than one body frame, so the file is streamed in several.
    let file = pattern(700_000);
    std::fs::write(&path, &file).expect("writes");

    let stored = presigned_upload(&fake, &auth, "v-240-fragmented.mp4", &path).await;
    assert_eq!(stored.expect("uploads"), Some(700_000));
    let seen = bucket.seen().clone();
    assert_eq!(seen.len(), 1, "one PUT for the whole file");
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("PUT", "/media/hls/v-240-fragmented.mp4"));
    assert!(seen[0].body == file, "the stored body differs from the file");
    assert!(!seen[0].had_token, "tokens must not go to storage");
    assert_eq!(seen[0].content_type.as_deref(), Some("application/x-test"), "the answer's headers are sent");
    let asked = fake.world().upload_url_requests.clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["kind"], "hls");
    assert_eq!(asked[0]["name"], "v-240-fragmented.mp4");
    assert_eq!(asked[0]["size"], 700_000);
    assert_eq!(asked[0]["jobToken"], auth.job_token.as_str());
    assert!(fake.world().upload_ranges.is_empty(), "nothing went through the API path");
}

#[tokio::test]
async fn a_refused_put_gets_a_fresh_url_and_refusals_are_bounded() {
    let fake = FakeInstance::start().await;
    let bucket = FakeBucket::start().await;
    let auth = auth(fake.processing_job(Vec::new()));
    fake.world().presign_bucket = Some(bucket.origin.clone());
    fake.world().presign_expired_first = 2;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jpg");
    std::fs::write(&path, pattern(3000)).expect("writes");

    let stored = presigned_upload(&fake, &auth, "t.jpg", &path).await;
    assert_eq!(stored.expect("uploads on the third URL"), Some(3000));
    let statuses: Vec<u16> = bucket.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [403, 403, 200]);
    assert_eq!(fake.world().upload_url_requests.len(), 3, "a fresh URL for every attempt");

    // Every URL refused: the runner gives up after max_attempts, and the error carries no signature.
    fake.world().presign_expired_first = usize::MAX;
    let error = presigned_upload(&fake, &auth, "t.jpg", &path).await.expect_err("always refused");
    assert!(matches!(error, TransferError::GaveUp { attempts: 5, .. }), "{error}");
    assert!(!error.to_string().contains("X-Amz") && !error.to_string().contains("expired"), "{error}");
    assert_eq!(fake.world().upload_url_requests.len(), 8);
}

#[tokio::test]
async fn without_presigned_uploads_the_runner_is_sent_back_to_the_api_path() {
    let fake = FakeInstance::start().await;
    let auth = auth(fake.processing_job(Vec::new()));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jpg");
    std::fs::write(&path, pattern(3000)).expect("writes");
    // The fake answers 501 without a bucket, as an instance without R2 credentials does.
    assert_eq!(presigned_upload(&fake, &auth, "t.jpg", &path).await.expect("no error"), None);
    assert_eq!(fake.world().upload_url_requests.len(), 1);

    // A job given away is not a reason to fall back.
    let gone = JobAuth { job_token: "ptrjt-other".into(), ..auth };
    let error = presigned_upload(&fake, &gone, "t.jpg", &path).await.expect_err("gone");
    assert!(error.ends_the_job(), "{error}");
}
