//! [`Objects`]: put, head, get and delete with their metadata, every [`ObjectRange`] variant
//! (clamped to the object as [`ObjectRange::span`] documents), streamed reads that yield exactly
//! the object or range, listing by prefix in lexical order, `None` for missing keys, and
//! multipart uploads that keep R2's rules (equal parts of at least 5 MiB but the last), joined in
//! part-number order, with replaced parts and aborts.
//!
//! Only what the trait documents is asserted: that R2 *refuses* uploads breaking its part rules
//! is a limit on callers, not a guarantee, so no check depends on it.

use bytes::Bytes;
use edgetube_ports::{ObjectMeta, ObjectRange, Objects};
use futures::TryStreamExt;

use crate::{ensure, Failure, Report, Run};

/// R2's smallest part but the last.
const PART: usize = 5 * 1024 * 1024;

/// Runs every object-storage check, then removes every object the run left.
pub async fn check_objects(objects: &dyn Objects, run: &Run) -> Report {
    let mut report = Report::new(run);
    report.add("objects.missing_key_is_none", missing_key_is_none(objects, run).await);
    report.add("objects.put_head_get_delete", put_head_get_delete(objects, run).await);
    report.add("objects.overwrite_is_last_writer_wins", overwrite(objects, run).await);
    report.add("objects.ranges_are_clamped_spans", ranges(objects, run).await);
    report.add("objects.range_covering_nothing_yields_no_bytes", empty_ranges(objects, run).await);
    report.add("objects.get_stream_yields_the_object", streams(objects, run).await);
    report.add("objects.list_by_prefix_in_order", list(objects, run).await);
    report.add("objects.multipart_joins_parts_in_order", multipart(objects, run).await);
    report.add("objects.multipart_single_small_part", single_part(objects, run).await);
    report.add("objects.multipart_abort", abort(objects, run).await);
    report.add("objects.cleanup", cleanup(objects, run).await);
    report
}

/// `len` bytes that differ from one position to the next and from one `seed` to another.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

fn check_meta(meta: &ObjectMeta, key: &str, size: u64, content_type: Option<&str>) -> Result<(), Failure> {
    ensure!(meta.key == key, "metadata names key {:?}, not {key:?}", meta.key);
    ensure!(meta.size == size, "metadata says {} bytes, not {size}", meta.size);
    ensure!(
        meta.content_type.as_deref() == content_type,
        "content type {:?}, not {content_type:?}",
        meta.content_type
    );
    let etag = &meta.http_etag;
    ensure!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "entity tag {etag:?} is not quoted as in an ETag header"
    );
    Ok(())
}

async fn missing_key_is_none(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/never-written");
    ensure!(objects.head(&key).await?.is_none(), "head of a missing key is Some");
    ensure!(objects.get(&key, None).await?.is_none(), "get of a missing key is Some");
    let ranged = objects.get(&key, Some(ObjectRange::From(0))).await?;
    ensure!(ranged.is_none(), "a ranged get of a missing key is Some");
    ensure!(objects.get_stream(&key, None).await?.is_none(), "get_stream of a missing key is Some");
    objects.delete(&key).await.map_err(|e| Failure(format!("deleting a missing key: {e}")))?;
    Ok(())
}

async fn put_head_get_delete(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/basic/master.m3u8");
    let bytes = Bytes::from_static(b"#EXTM3U\n#EXT-X-VERSION:7\n");
    let put = objects.put(&key, bytes.clone(), Some("application/vnd.apple.mpegurl")).await?;
    check_meta(&put, &key, bytes.len() as u64, Some("application/vnd.apple.mpegurl"))?;
    let head = objects.head(&key).await?.ok_or_else(|| Failure("head after put is None".into()))?;
    ensure!(head == put, "head {head:?} differs from put's {put:?}");
    let got = objects.get(&key, None).await?.ok_or_else(|| Failure("get after put is None".into()))?;
    ensure!(got.bytes == bytes, "get read {:?}", got.bytes);
    ensure!(got.meta == put, "get's metadata {:?} differs from put's {put:?}", got.meta);
    ensure!(got.range.is_none(), "a whole read reports range {:?}", got.range);

    let plain = run.key("objects/basic/no-type");
    let meta = objects.put(&plain, Bytes::from_static(b"x"), None).await?;
    check_meta(&meta, &plain, 1, None)?;
    let empty = run.key("objects/basic/empty");
    let meta = objects.put(&empty, Bytes::new(), Some("text/plain")).await?;
    check_meta(&meta, &empty, 0, Some("text/plain"))?;
    let got =
        objects.get(&empty, None).await?.ok_or_else(|| Failure("an empty object reads as None".into()))?;
    ensure!(got.bytes.is_empty() && got.meta.size == 0, "an empty object read {:?}", got.bytes);

    for k in [&key, &plain, &empty] {
        objects.delete(k).await?;
        ensure!(objects.head(k).await?.is_none(), "head after delete of {k} is Some");
        ensure!(objects.get(k, None).await?.is_none(), "get after delete of {k} is Some");
    }
    Ok(())
}

async fn overwrite(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/overwrite");
    let first = objects.put(&key, Bytes::from_static(b"first version"), Some("text/plain")).await?;
    let second = objects.put(&key, Bytes::from_static(b"second"), None).await?;
    check_meta(&second, &key, 6, None)?;
    ensure!(first.http_etag != second.http_etag, "different contents share entity tag {}", first.http_etag);
    let got = objects.get(&key, None).await?.ok_or_else(|| Failure("get after overwrite is None".into()))?;
    ensure!(&got.bytes[..] == b"second", "read {:?} after an overwrite", got.bytes);
    ensure!(got.meta == second, "metadata {:?} after an overwrite, not {second:?}", got.meta);
    objects.delete(&key).await?;
    Ok(())
}

/// The ranges every check reads from a 10-byte object, with the span [`ObjectRange::span`] gives.
const RANGES: [(ObjectRange, (u64, u64)); 7] = [
    (ObjectRange::OffsetWithLength { offset: 2, length: 3 }, (2, 4)),
    (ObjectRange::OffsetWithLength { offset: 0, length: 1 }, (0, 0)),
    (ObjectRange::OffsetWithLength { offset: 8, length: 5 }, (8, 9)),
    (ObjectRange::From(7), (7, 9)),
    (ObjectRange::From(0), (0, 9)),
    (ObjectRange::Suffix(3), (7, 9)),
    (ObjectRange::Suffix(30), (0, 9)),
];

async fn ranges(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/ranges");
    let bytes = Bytes::from_static(b"0123456789");
    let put = objects.put(&key, bytes.clone(), Some("video/mp4")).await?;
    for (range, span) in RANGES {
        ensure!(range.span(10) == Some(span), "ObjectRange::span({range:?}) is not {span:?}");
        let got =
            objects.get(&key, Some(range)).await?.ok_or_else(|| Failure(format!("{range:?} read None")))?;
        let want = &bytes[span.0 as usize..=span.1 as usize];
        ensure!(got.bytes == want, "{range:?} read {:?}, not {:?}", got.bytes, want);
        ensure!(got.range == Some(span), "{range:?} reports range {:?}, not {span:?}", got.range);
        ensure!(got.meta == put, "{range:?}: metadata {:?} is not the whole object's {put:?}", got.meta);
    }
    objects.delete(&key).await?;
    Ok(())
}

/// A range that covers no byte ([`ObjectRange::span`] is `None`) must not read any: platforms
/// answer an error (R2: 416) or nothing.
async fn empty_ranges(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/empty-ranges");
    objects.put(&key, Bytes::from_static(b"0123456789"), None).await?;
    for range in [ObjectRange::From(10), ObjectRange::From(25)] {
        ensure!(range.span(10).is_none(), "ObjectRange::span({range:?}) covers bytes");
        if let Ok(Some(body)) = objects.get(&key, Some(range)).await {
            ensure!(body.bytes.is_empty(), "{range:?} of 10 bytes read {:?}", body.bytes);
        }
        if let Ok(Some(streamed)) = objects.get_stream(&key, Some(range)).await {
            let chunks: Vec<Bytes> = streamed.stream.try_collect().await.unwrap_or_default();
            ensure!(chunks.concat().is_empty(), "{range:?} of 10 bytes streamed {:?}", chunks.concat());
        }
    }
    objects.delete(&key).await?;
    Ok(())
}

async fn streams(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/stream");
    // Bigger than a chunk of every adapter we know (1 MiB natively, 64 KiB-ish on workerd).
    let bytes = Bytes::from(pattern(2 * 1024 * 1024 + 17, 3));
    let put = objects.put(&key, bytes.clone(), Some("video/mp4")).await?;
    let whole =
        objects.get_stream(&key, None).await?.ok_or_else(|| Failure("get_stream read None".into()))?;
    ensure!(whole.meta == put, "streamed metadata {:?}, not {put:?}", whole.meta);
    ensure!(
        whole.range.is_none() && whole.len() == bytes.len() as u64,
        "whole stream: range {:?}",
        whole.range
    );
    let chunks: Vec<Bytes> = whole.stream.try_collect().await?;
    let joined = chunks.concat();
    ensure!(joined.len() == bytes.len(), "streamed {} bytes of {}", joined.len(), bytes.len());
    ensure!(joined == bytes, "the streamed bytes differ from the stored ones");

    let size = bytes.len() as u64;
    let ranges = [
        (
            ObjectRange::OffsetWithLength { offset: 1024 * 1024 - 2, length: 4 },
            (1024 * 1024 - 2, 1024 * 1024 + 1),
        ),
        (ObjectRange::From(size - 5), (size - 5, size - 1)),
        (ObjectRange::Suffix(3), (size - 3, size - 1)),
        (ObjectRange::OffsetWithLength { offset: size - 2, length: 100 }, (size - 2, size - 1)),
    ];
    for (range, span) in ranges {
        let got = objects
            .get_stream(&key, Some(range))
            .await?
            .ok_or_else(|| Failure(format!("{range:?} streamed None")))?;
        ensure!(got.range == Some(span), "{range:?} streams range {:?}, not {span:?}", got.range);
        ensure!(got.len() == span.1 - span.0 + 1, "{range:?}: len() {}", got.len());
        ensure!(got.meta.size == size, "{range:?}: metadata size {} is not the object's", got.meta.size);
        let chunks: Vec<Bytes> = got.stream.try_collect().await?;
        let want = &bytes[span.0 as usize..=span.1 as usize];
        ensure!(chunks.concat() == want, "{range:?} streamed {:?}, not {want:?}", chunks.concat());
    }
    objects.delete(&key).await?;
    Ok(())
}

async fn list(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let prefix = run.key("objects/list/");
    let names = ["b", "a/2", "a/10", "c.m3u8", "a/1"];
    for name in names {
        objects.put(&format!("{prefix}{name}"), Bytes::from_static(b"."), None).await?;
    }
    // A sibling that shares the prefix without its slash.
    let sibling = run.key("objects/listed-not");
    objects.put(&sibling, Bytes::from_static(b"."), None).await?;

    let mut expected: Vec<String> = names.iter().map(|n| format!("{prefix}{n}")).collect();
    expected.sort();
    let listed = objects.list(&prefix).await?;
    ensure!(listed == expected, "list({prefix:?}) gave {listed:?}, not {expected:?}");
    let under_a = objects.list(&format!("{prefix}a/")).await?;
    ensure!(under_a == expected[..3], "list of a/ gave {under_a:?}");
    let partial = objects.list(&format!("{prefix}c.")).await?;
    ensure!(partial == [format!("{prefix}c.m3u8")], "a prefix ending mid-name gave {partial:?}");
    let nothing = objects.list(&run.key("objects/list-none/")).await?;
    ensure!(nothing.is_empty(), "an unused prefix listed {nothing:?}");

    objects.delete(&expected[0]).await?;
    let listed = objects.list(&prefix).await?;
    ensure!(listed == expected[1..], "after a delete, list gave {listed:?}");
    for key in expected.iter().skip(1).chain([&sibling]) {
        objects.delete(key).await?;
    }
    Ok(())
}

async fn multipart(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/multipart/source");
    let upload_id = objects.create_multipart(&key, Some("video/mp4")).await?;
    ensure!(!upload_id.is_empty(), "an empty upload id");
    let parts = [pattern(PART, 1), pattern(PART, 2), pattern(1000, 3)];
    let mut uploaded = Vec::new();
    // Out of order, and the last part stored twice: the second replaces the first.
    for number in [2u16, 1, 3] {
        let bytes = Bytes::from(parts[usize::from(number) - 1].clone());
        let part = objects.upload_part(&key, &upload_id, number, bytes).await?;
        ensure!(part.part_number == number, "part {number} came back numbered {}", part.part_number);
        ensure!(!part.etag.is_empty(), "part {number} has no entity tag");
        uploaded.push(part);
    }
    let replaced = objects.upload_part(&key, &upload_id, 3, Bytes::from(pattern(700, 4))).await?;
    uploaded.retain(|p| p.part_number != 3);
    uploaded.push(replaced);
    ensure!(objects.head(&key).await?.is_none(), "the object exists before its upload completed");

    let meta = objects.complete_multipart(&key, &upload_id, uploaded).await?;
    let expected = [parts[0].as_slice(), parts[1].as_slice(), &pattern(700, 4)].concat();
    check_meta(&meta, &key, expected.len() as u64, Some("video/mp4"))?;
    let got =
        objects.get(&key, None).await?.ok_or_else(|| Failure("the completed object reads None".into()))?;
    ensure!(got.bytes.len() == expected.len(), "the completed object has {} bytes", got.bytes.len());
    ensure!(got.bytes == expected, "the completed object's bytes are not parts 1, 2, 3 in order");
    let edge = ObjectRange::OffsetWithLength { offset: PART as u64 - 2, length: 4 };
    let across =
        objects.get(&key, Some(edge)).await?.ok_or_else(|| Failure("a ranged read reads None".into()))?;
    ensure!(
        across.bytes == expected[PART - 2..PART + 2],
        "a read across parts 1 and 2 gave {:?}",
        across.bytes
    );
    let listed = objects.list(&run.key("objects/multipart/")).await?;
    ensure!(listed == [key.clone()], "after completion, list gave {listed:?}");
    objects.delete(&key).await?;
    Ok(())
}

async fn single_part(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/multipart-one/source");
    let upload_id = objects.create_multipart(&key, None).await?;
    let part = objects.upload_part(&key, &upload_id, 1, Bytes::from(pattern(123, 5))).await?;
    let meta = objects.complete_multipart(&key, &upload_id, vec![part]).await?;
    check_meta(&meta, &key, 123, None)?;
    let got =
        objects.get(&key, None).await?.ok_or_else(|| Failure("the completed object reads None".into()))?;
    ensure!(got.bytes == pattern(123, 5), "a one-part upload read {} other bytes", got.bytes.len());
    objects.delete(&key).await?;
    Ok(())
}

async fn abort(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let key = run.key("objects/multipart-abort/source");
    let upload_id = objects.create_multipart(&key, Some("video/mp4")).await?;
    objects.upload_part(&key, &upload_id, 1, Bytes::from(pattern(100, 6))).await?;
    objects.abort_multipart(&key, &upload_id).await?;
    ensure!(objects.head(&key).await?.is_none(), "an aborted upload left an object");
    ensure!(
        objects.list(&run.key("objects/multipart-abort/")).await?.is_empty(),
        "an aborted upload is listed"
    );
    objects.abort_multipart(&key, &upload_id).await.map_err(|e| Failure(format!("aborting twice: {e}")))?;
    objects
        .abort_multipart(&key, "conformance-unknown-upload")
        .await
        .map_err(|e| Failure(format!("aborting an unknown upload: {e}")))?;
    Ok(())
}

async fn cleanup(objects: &dyn Objects, run: &Run) -> Result<(), Failure> {
    let prefix = run.key("");
    for key in objects.list(&prefix).await? {
        objects.delete(&key).await?;
    }
    let left = objects.list(&prefix).await?;
    ensure!(left.is_empty(), "objects left after cleanup: {left:?}");
    Ok(())
}
