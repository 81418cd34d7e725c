//! Chunked uploads over real SQLite and a directory that enforces R2's multipart rules.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use edgetube_media::uploads::{self, purpose, NewSession, UploadError, PART_SIZE};
use edgetube_native::NativePorts;
use futures::executor::block_on;

fn file(len: usize) -> Vec<u8> {
    // Not periodic at any part or chunk size, so a misplaced byte range changes the content.
    (0..len).map(|i| ((i * 7919) % 251) as u8 ^ (i >> 13) as u8).collect()
}

fn open(ports: &NativePorts, id: &str, total: u64) -> uploads::Session {
    block_on(uploads::open(
        &ports.ports(),
        &NewSession {
            id,
            purpose: purpose::RUNNER_FILE,
            user_id: None,
            runner_job_id: None,
            fingerprint: None,
            object_key: &format!("out/{id}"),
            content_type: Some("video/mp4"),
            total_size: total,
            metadata: None,
        },
    ))
    .unwrap()
}

/// Sends `data` in chunks of the given sizes (cycled), finishes, and reads the object back.
fn upload(ports: &NativePorts, id: &str, data: &[u8], sizes: &[usize]) -> Vec<u8> {
    let p = ports.ports();
    let mut session = open(ports, id, data.len() as u64);
    let mut offset = 0;
    for size in sizes.iter().cycle() {
        if offset >= data.len() {
            break;
        }
        let end = (offset + size).min(data.len());
        session = block_on(uploads::append(
            &p,
            &session,
            offset as u64,
            Bytes::copy_from_slice(&data[offset..end]),
        ))
        .unwrap();
        offset = end;
    }
    assert!(session.all_received());
    let meta = block_on(uploads::finish(&p, &session)).unwrap();
    assert_eq!(meta.size, data.len() as u64);
    block_on(p.objects.get(&format!("out/{id}"), None)).unwrap().unwrap().bytes.to_vec()
}

#[test]
fn any_chunk_sizes_make_the_same_object() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), 1_000).unwrap();
    let data = file(2 * PART_SIZE as usize + 3_000_001);
    let mib = 1024 * 1024;
    for (i, sizes) in [vec![mib], vec![3 * mib + 17, 5, 11 * mib], vec![PART_SIZE as usize], vec![data.len()]]
        .iter()
        .enumerate()
    {
        assert!(upload(&ports, &format!("u{i}"), &data, sizes) == data, "chunk sizes {sizes:?}");
    }
    // Small files skip multipart; nothing stays in staging.
    assert_eq!(upload(&ports, "small", &data[..1000], &[300]), data[..1000]);
    assert_eq!(upload(&ports, "empty", &[], &[1]), Vec::<u8>::new());
    let leftovers = block_on(ports.ports().objects.list("staging/")).unwrap();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn repeated_chunks_are_harmless_and_gaps_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), 1_000).unwrap();
    let p = ports.ports();
    let data = file(PART_SIZE as usize + 10);
    let session = open(&ports, "r", data.len() as u64);
    let chunk = |a: usize, b: usize| Bytes::copy_from_slice(&data[a..b]);
    let s1 = block_on(uploads::append(&p, &session, 0, chunk(0, 1000))).unwrap();
    assert_eq!(s1.received, 1000);
    // The same chunk again (a lost answer): accepted, nothing changes.
    let again = block_on(uploads::append(&p, &s1, 0, chunk(0, 1000))).unwrap();
    assert_eq!(again.received, 1000);
    // A gap.
    match block_on(uploads::append(&p, &s1, 2000, chunk(2000, 3000))) {
        Err(UploadError::RangeMismatch { first: 2000, received: 1000 }) => {}
        other => panic!("{other:?}"),
    }
    // A writer holding a stale view of the row loses the race.
    let s2 = block_on(uploads::append(&p, &s1, 1000, chunk(1000, 2000))).unwrap();
    assert!(matches!(
        block_on(uploads::append(&p, &s1, 1000, chunk(1000, 2500))),
        Err(UploadError::Concurrent)
    ));
    // Past the end.
    assert!(matches!(
        block_on(uploads::append(&p, &s2, 2000, Bytes::from(vec![0; data.len()]))),
        Err(UploadError::BadRange(_))
    ));
    let stored = block_on(uploads::find(p.sql, "r")).unwrap().unwrap();
    let done = block_on(uploads::append(&p, &stored, 2000, chunk(2000, data.len()))).unwrap();
    let meta = block_on(uploads::finish(&p, &done)).unwrap();
    // Finishing again (the client retries the last chunk) finds the object.
    assert_eq!(block_on(uploads::finish(&p, &done)).unwrap().size, meta.size);
    assert!(block_on(p.objects.get("out/r", None)).unwrap().unwrap().bytes == data);
}

#[test]
fn cancel_and_dangling_sweep_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ports = NativePorts::new(dir.path(), 1_000).unwrap();
    let p = ports.ports();
    let data = file(PART_SIZE as usize * 2);
    let s = open(&ports, "c", data.len() as u64);
    let s = block_on(uploads::append(&p, &s, 0, Bytes::copy_from_slice(&data[..PART_SIZE as usize + 5])))
        .unwrap();
    assert_eq!(block_on(p.objects.list("staging/c/")).unwrap().len(), 1);
    block_on(uploads::cancel(&p, &s)).unwrap();
    assert!(block_on(p.objects.list("")).unwrap().is_empty());
    assert!(block_on(uploads::find(p.sql, "c")).unwrap().is_none());

    let d = open(&ports, "d", 10);
    block_on(uploads::append(&p, &d, 0, Bytes::from_static(b"12345"))).unwrap();
    assert_eq!(block_on(uploads::remove_dangling(&p)).unwrap(), 0);
    ports.clock.advance(uploads::DANGLING_AFTER_MS + 1);
    assert_eq!(block_on(uploads::remove_dangling(&p)).unwrap(), 1);
    assert!(block_on(p.objects.list("")).unwrap().is_empty());
}
