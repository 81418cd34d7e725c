//! HLS files served from object storage: ranges, validators, cache headers, and PeerTube's
//! private-media rules with video file tokens.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use edgetube_app::Body;
use edgetube_domain::videos::{privacy, NewVideo};
use edgetube_ports::{
    ObjectBody, ObjectMeta, ObjectRange, Objects, PortError, Ports, StreamedObject, UploadedPart,
};
use futures::StreamExt;
use http::Request;
use serde_json::json;
use support::Fixture;

const MASTER: &str = "#EXTM3U\n#EXT-X-VERSION:3\n\n\n#EXT-X-STREAM-INF:BANDWIDTH=614349,RESOLUTION=426x240,FRAME-RATE=25,CODECS=\"avc1.640015,mp4a.40.2\"\nabc-240.m3u8\n";

/// A video of root's with a master playlist and a 16-byte "rendition" in storage.
fn stored_video(f: &Fixture, privacy: i64) -> String {
    let root = f.root();
    let mut new = NewVideo::new(f.channel_of(&root), "Stored video");
    new.privacy = privacy;
    let uuid = f.video(new).uuid;
    f.block(f.ports.objects.put(
        &format!("hls/{uuid}/abc-240-fragmented.mp4"),
        Bytes::from_static(b"0123456789abcdef"),
        None,
    ))
    .unwrap();
    f.block(f.ports.objects.put(
        &format!("hls/{uuid}/abc-master.m3u8"),
        Bytes::from_static(MASTER.as_bytes()),
        None,
    ))
    .unwrap();
    uuid
}

fn path(uuid: &str, file: &str) -> String {
    format!("/static/streaming-playlists/hls/{uuid}/{file}")
}

#[test]
fn public_media_with_ranges_validators_and_cache_headers() {
    let f = Fixture::new();
    let uuid = stored_video(&f, privacy::PUBLIC);
    let file = path(&uuid, "abc-240-fragmented.mp4");

    let whole = f.fetch(&file, &[]);
    assert_eq!(whole.status(), 200);
    assert_eq!(&whole.body()[..], b"0123456789abcdef");
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(whole.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(whole.headers()["access-control-allow-origin"], "*", "players live on other origins");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();

    let part = f.fetch(&file, &[("range", "bytes=2-5")]);
    assert_eq!(part.status(), 206);
    assert_eq!(&part.body()[..], b"2345");
    assert_eq!(part.headers()["content-range"], "bytes 2-5/16");
    let tail = f.fetch(&file, &[("range", "bytes=-3")]);
    assert_eq!(
        (&tail.body()[..], tail.headers()["content-range"].to_str().unwrap()),
        (&b"def"[..], "bytes 13-15/16")
    );
    let beyond = f.fetch(&file, &[("range", "bytes=16-")]);
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */16");
    assert_eq!(f.fetch(&file, &[("if-none-match", &etag)]).status(), 304);

    let head = f.handle(Request::head(&file).body(Bytes::new()).unwrap());
    assert_eq!((head.status().as_u16(), head.body().len()), (200, 0));

    let master = f.fetch(&path(&uuid, "abc-master.m3u8"), &[]);
    assert_eq!(master.headers()["content-type"], "application/vnd.apple.mpegurl");
    assert_eq!(
        master.headers()["cache-control"],
        "public, max-age=60",
        "masters are renamed when regenerated"
    );

    assert_eq!(f.fetch(&path(&uuid, "missing.mp4"), &[]).status(), 404);
    assert_eq!(f.fetch(&path(&uuid, "..%2Fsecret"), &[]).status(), 404);
    assert_eq!(f.fetch(&path("00000000-0000-4000-8000-000000000000", "abc-master.m3u8"), &[]).status(), 404);
}

#[test]
fn private_media_needs_a_token_or_a_file_token() {
    let f = Fixture::new();
    let uuid = stored_video(&f, privacy::PRIVATE);
    let file = path(&uuid, "abc-240-fragmented.mp4");
    let root = f.root();
    let alice = f.user("alice");

    assert_eq!(f.fetch(&file, &[]).status(), 401);
    let bearer = |token: &str| format!("Bearer {token}");
    assert_eq!(f.fetch(&file, &[("authorization", &bearer(&alice))]).status(), 403);
    let owner = f.fetch(&file, &[("authorization", &bearer(&root))]);
    assert_eq!(owner.status(), 200);
    assert_eq!(owner.headers()["cache-control"], "private, no-cache");

    // A file token, as PeerTube's player asks for one.
    assert_eq!(f.json("POST", &format!("/api/v1/videos/{uuid}/token"), Some(&alice), json!({})).0, 403);
    let (status, grant) = f.json("POST", &format!("/api/v1/videos/{uuid}/token"), Some(&root), json!({}));
    assert_eq!(status, 200, "{grant}");
    let token = grant["files"]["token"].as_str().unwrap().to_owned();
    assert!(grant["files"]["expires"].as_str().unwrap().ends_with('Z'));
    assert_eq!(f.fetch(&format!("{file}?videoFileToken={token}"), &[]).status(), 200);
    assert_eq!(f.fetch(&format!("{file}?videoFileToken=not-a-token"), &[]).status(), 403);

    // With reinjectVideoFileToken the playlist hands the token on.
    let master = f.fetch(
        &format!("{}?videoFileToken={token}&reinjectVideoFileToken=true", path(&uuid, "abc-master.m3u8")),
        &[],
    );
    let text = String::from_utf8(master.body().to_vec()).unwrap();
    assert!(
        text.contains(&format!("abc-240.m3u8?videoFileToken={token}&reinjectVideoFileToken=true")),
        "{text}"
    );
    assert!(master.headers().get("etag").is_none());

    // Eight hours later the grant is over.
    f.ports.clock.advance(8 * 3600 * 1000 + 1);
    assert_eq!(f.fetch(&format!("{file}?videoFileToken={token}"), &[]).status(), 403);
}

/// A plain GET of a large original, as CDNs, `curl` and `ffprobe` send: the body is storage's
/// stream with the object's length, never the object read whole.
#[test]
fn a_large_original_goes_out_as_a_stream_with_its_length() {
    let f = Fixture::new();
    let root = f.root();
    let size = 20 << 20;
    let original: Vec<u8> = (0..size).map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut new = NewVideo::new(f.channel_of(&root), "Large original");
    new.privacy = privacy::PUBLIC;
    new.original_key = Some("originals/large.mp4".to_owned());
    let uuid = f.video(new).uuid;
    f.block(f.ports.objects.put("originals/large.mp4", Bytes::from(original.clone()), Some("video/mp4")))
        .unwrap();
    let file = format!("/static/web-videos/{uuid}-720.mp4");

    let response = f.handle_streamed(Request::get(&file).body(Bytes::new()).unwrap());
    assert_eq!(response.status(), 200);
    assert!(response.body().is_stream(), "{:?}", response.body());
    let headers = response.headers().clone();
    assert_eq!(headers["content-length"], size.to_string());
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(headers["cache-control"], "public, max-age=60");
    assert_eq!(headers["accept-ranges"], "bytes");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let mut chunks = 0;
    let mut received = Vec::with_capacity(size);
    let Body::Stream(mut stream) = response.into_body() else { unreachable!() };
    while let Some(chunk) = f.block(stream.next()) {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= 1 << 20, "a chunk of {} bytes", chunk.len());
        received.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert!(chunks >= 20, "{chunks} chunks");
    assert!(received == original, "the streamed bytes differ from the object");

    let part = f.handle_streamed(
        Request::get(&file).header("range", "bytes=10485750-10485769").body(Bytes::new()).unwrap(),
    );
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 10485750-10485769/{size}"));
    assert_eq!(part.headers()["content-length"], "20");
    assert_eq!(part.headers()["etag"], etag.as_str());
    let bytes = f.block(part.into_body().collect_limited(1 << 10)).unwrap();
    assert_eq!(&bytes[..], &original[10_485_750..10_485_770]);

    let tail = f.fetch(&file, &[("range", "bytes=-5")]);
    assert_eq!((tail.status().as_u16(), &tail.body()[..]), (206, &original[size - 5..]));
    assert_eq!(f.fetch(&file, &[("if-none-match", &etag)]).status(), 304);
    assert_eq!(f.fetch(&file, &[("range", &format!("bytes={size}-"))]).status(), 416);
    let head = f.handle_streamed(Request::head(&file).body(Bytes::new()).unwrap());
    assert_eq!(head.status(), 200);
    assert!(!head.body().is_stream());
}

/// Storage reads by kind (each is one R2 class B operation), around the native adapter.
struct CountingReads<'a> {
    inner: &'a dyn Objects,
    reads: std::cell::RefCell<Vec<&'static str>>,
}

#[async_trait::async_trait(?Send)]
impl Objects for CountingReads<'_> {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta, PortError> {
        self.inner.put(key, bytes, content_type).await
    }
    async fn get(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<ObjectBody>, PortError> {
        self.reads.borrow_mut().push("get");
        self.inner.get(key, range).await
    }
    async fn get_stream(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<StreamedObject>, PortError> {
        self.reads.borrow_mut().push("get_stream");
        self.inner.get_stream(key, range).await
    }
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, PortError> {
        self.reads.borrow_mut().push("head");
        self.inner.head(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        self.inner.list(prefix).await
    }
    async fn create_multipart(&self, key: &str, content_type: Option<&str>) -> Result<String, PortError> {
        self.inner.create_multipart(key, content_type).await
    }
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        bytes: Bytes,
    ) -> Result<UploadedPart, PortError> {
        self.inner.upload_part(key, upload_id, part_number, bytes).await
    }
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<UploadedPart>,
    ) -> Result<ObjectMeta, PortError> {
        self.inner.complete_multipart(key, upload_id, parts).await
    }
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), PortError> {
        self.inner.abort_multipart(key, upload_id).await
    }
}

/// A media GET reads storage once, ranged or not, with or without a validator (COST.md: a
/// segment GET was a `head` and a `get_stream`); a HEAD is one `head`; only a range that starts
/// past the end needs the `head` more that gives the size for its 416.
#[test]
fn each_media_request_reads_storage_once() {
    let f = Fixture::new();
    let uuid = stored_video(&f, privacy::PUBLIC);
    let file = path(&uuid, "abc-240-fragmented.mp4");
    let counting = CountingReads { inner: &f.ports.objects, reads: Default::default() };
    let ports = Ports { objects: &counting, ..f.ports.ports() };
    let fetch = |method: &str, headers: &[(&str, &str)]| {
        counting.reads.borrow_mut().clear();
        let mut request = Request::builder().method(method).uri(&file);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let status = f.handle_on(&ports, request.body(Bytes::new()).unwrap()).status().as_u16();
        (status, counting.reads.borrow().clone())
    };
    assert_eq!(fetch("GET", &[]), (200, vec!["get_stream"]));
    assert_eq!(fetch("GET", &[("range", "bytes=2-5")]), (206, vec!["get_stream"]));
    assert_eq!(fetch("GET", &[("range", "bytes=10-99")]), (206, vec!["get_stream"]), "clamped");
    assert_eq!(fetch("GET", &[("range", "bytes=-3")]), (206, vec!["get_stream"]));
    assert_eq!(fetch("GET", &[("range", "bytes=-99")]), (206, vec!["get_stream"]), "longer than the object");
    assert_eq!(fetch("GET", &[("if-none-match", "\"nope\"")]), (200, vec!["get_stream"]));
    assert_eq!(fetch("GET", &[("range", "bytes=x")]), (416, vec!["get_stream"]));
    assert_eq!(fetch("HEAD", &[]), (200, vec!["head"]));
    assert_eq!(fetch("GET", &[("range", "bytes=16-")]), (416, vec!["get_stream", "head"]));
}
