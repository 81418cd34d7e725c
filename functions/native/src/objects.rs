//! The object storage port on a directory, with R2's multipart rules enforced.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::encoding::hex;
use edgetube_ports::{
    ObjectBody, ObjectMeta, ObjectRange, ObjectStream, Objects, PortError, StreamedObject, UploadedPart,
};
use sha2::{Digest, Sha256};

/// Objects as files under a directory; the key is the relative path.
/// The content type is kept in a `<file>.content-type` sidecar.
#[derive(Debug, Clone)]
pub struct DirObjects {
    root: PathBuf,
}

const CONTENT_TYPE_SUFFIX: &str = ".content-type";
/// Unfinished multipart uploads live here, outside every key's path.
const MULTIPART_DIR: &str = ".multipart";
/// The largest chunk a streamed read holds.
const STREAM_CHUNK: usize = 1 << 20;
/// R2's smallest part but the last; enforced here so native tests catch what R2 would refuse.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

impl DirObjects {
    /// Objects stored under `root` (created on first write).
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, PortError> {
        if key.is_empty() || key.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
            return Err(PortError::invalid("objects", format!("unsafe key {key:?}")));
        }
        Ok(self.root.join(key))
    }

    fn meta(&self, key: &str, path: &Path, bytes: &[u8]) -> ObjectMeta {
        self.meta_of(key, path, bytes.len() as u64, Sha256::digest(bytes).into())
    }

    fn meta_of(&self, key: &str, path: &Path, size: u64, digest: [u8; 32]) -> ObjectMeta {
        let content_type = std::fs::read_to_string(sidecar(path)).ok();
        ObjectMeta {
            key: key.to_owned(),
            size,
            http_etag: format!("\"{}\"", hex(&digest[..16])),
            content_type,
        }
    }

    /// The metadata of the file at `path`, read one chunk at a time; `None` when it does not exist.
    fn meta_of_file(&self, key: &str, path: &Path) -> Result<Option<ObjectMeta>, PortError> {
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let (mut hasher, mut size, mut chunk) = (Sha256::new(), 0u64, vec![0; STREAM_CHUNK]);
        loop {
            let read = file.read(&mut chunk).map_err(io)?;
            if read == 0 {
                break;
            }
            hasher.update(&chunk[..read]);
            size += read as u64;
        }
        Ok(Some(self.meta_of(key, path, size, hasher.finalize().into())))
    }
}

fn safe_upload_id(upload_id: &str) -> Result<&str, PortError> {
    if upload_id.is_empty() || !upload_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(PortError::invalid("objects", format!("unknown upload id {upload_id:?}")));
    }
    Ok(upload_id)
}

fn sidecar(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(CONTENT_TYPE_SUFFIX);
    PathBuf::from(name)
}

fn io(e: std::io::Error) -> PortError {
    PortError::unavailable("objects", e.to_string())
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PortError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(e)),
    }
}

/// `reader`'s bytes in chunks of at most [`STREAM_CHUNK`], read as the stream is polled.
fn file_chunks(reader: impl Read + Send + 'static) -> ObjectStream {
    Box::pin(futures::stream::try_unfold(reader, |mut reader| async move {
        let mut chunk = vec![0; STREAM_CHUNK];
        let read = reader.read(&mut chunk).map_err(io)?;
        if read == 0 {
            return Ok(None);
        }
        chunk.truncate(read);
        Ok(Some((Bytes::from(chunk), reader)))
    }))
}

#[async_trait(?Send)]
impl Objects for DirObjects {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta, PortError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, &bytes).map_err(io)?;
        match content_type {
            Some(ct) => std::fs::write(sidecar(&path), ct).map_err(io)?,
            None => {
                let _ = std::fs::remove_file(sidecar(&path));
            }
        }
        Ok(self.meta(key, &path, &bytes))
    }

    async fn get(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<ObjectBody>, PortError> {
        let path = self.path(key)?;
        let Some(all) = read_optional(&path)? else { return Ok(None) };
        let meta = self.meta(key, &path, &all);
        let len = all.len() as u64;
        let (first, end) = match range {
            None => return Ok(Some(ObjectBody { meta, bytes: Bytes::from(all), range: None })),
            Some(ObjectRange::OffsetWithLength { offset, length }) => {
                (offset, offset.saturating_add(length).min(len))
            }
            Some(ObjectRange::From(offset)) => (offset, len),
            Some(ObjectRange::Suffix(n)) => (len.saturating_sub(n), len),
        };
        if first >= end {
            return Err(PortError::invalid("objects", format!("range outside the {len}-byte object {key}")));
        }
        let bytes = Bytes::copy_from_slice(&all[first as usize..end as usize]);
        Ok(Some(ObjectBody { meta, bytes, range: Some((first, end - 1)) }))
    }

    async fn get_stream(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<StreamedObject>, PortError> {
        let path = self.path(key)?;
        let Some(meta) = self.meta_of_file(key, &path)? else { return Ok(None) };
        let span = match range {
            None => None,
            Some(range) => Some(range.span(meta.size).ok_or_else(|| {
                PortError::invalid("objects", format!("range outside the {}-byte object {key}", meta.size))
            })?),
        };
        let (first, length) = span.map_or((0, meta.size), |(first, last)| (first, last - first + 1));
        let mut file = std::fs::File::open(&path).map_err(io)?;
        file.seek(SeekFrom::Start(first)).map_err(io)?;
        Ok(Some(StreamedObject { meta, stream: file_chunks(file.take(length)), range: span }))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, PortError> {
        let path = self.path(key)?;
        Ok(read_optional(&path)?.map(|bytes| self.meta(key, &path, &bytes)))
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        let path = self.path(key)?;
        for p in [sidecar(&path), path] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let mut keys = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            for entry in entries {
                let path = entry.map_err(io)?.path();
                if path.is_dir() {
                    if path != self.root.join(MULTIPART_DIR) {
                        stack.push(path);
                    }
                } else if let Ok(rel) = path.strip_prefix(&self.root) {
                    let key = rel.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/");
                    if key.starts_with(prefix) && !key.ends_with(CONTENT_TYPE_SUFFIX) {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    async fn create_multipart(&self, key: &str, content_type: Option<&str>) -> Result<String, PortError> {
        self.path(key)?;
        let upload_id = uuid::Uuid::new_v4().to_string();
        let dir = self.upload_dir(&upload_id)?;
        std::fs::create_dir_all(&dir).map_err(io)?;
        std::fs::write(dir.join("key"), key).map_err(io)?;
        std::fs::write(dir.join("content-type"), content_type.unwrap_or_default()).map_err(io)?;
        Ok(upload_id)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        bytes: Bytes,
    ) -> Result<UploadedPart, PortError> {
        let dir = self.open_upload(key, upload_id)?;
        if part_number == 0 || part_number > 10_000 {
            return Err(PortError::invalid("objects", format!("part number {part_number} out of 1..=10000")));
        }
        std::fs::write(dir.join(format!("part-{part_number:05}")), &bytes).map_err(io)?;
        Ok(UploadedPart { part_number, etag: hex(&Sha256::digest(&bytes)[..16]) })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        mut parts: Vec<UploadedPart>,
    ) -> Result<ObjectMeta, PortError> {
        let dir = self.open_upload(key, upload_id)?;
        parts.sort_by_key(|p| p.part_number);
        let mut joined = Vec::new();
        let mut first_size = None;
        for (index, part) in parts.iter().enumerate() {
            let bytes =
                read_optional(&dir.join(format!("part-{:05}", part.part_number)))?.ok_or_else(|| {
                    PortError::invalid("objects", format!("part {} was never uploaded", part.part_number))
                })?;
            if hex(&Sha256::digest(&bytes)[..16]) != part.etag {
                return Err(PortError::invalid(
                    "objects",
                    format!("part {} etag mismatch", part.part_number),
                ));
            }
            let size = bytes.len() as u64;
            let last = index + 1 == parts.len();
            let first = *first_size.get_or_insert(size);
            if (!last && (size < MIN_PART_SIZE || size != first)) || (last && size > first) {
                return Err(PortError::invalid(
                    "objects",
                    format!(
                        "part {} has {size} bytes: R2 wants equal parts of at least 5 MiB",
                        part.part_number
                    ),
                ));
            }
            joined.extend_from_slice(&bytes);
        }
        let content_type = std::fs::read_to_string(dir.join("content-type")).unwrap_or_default();
        let meta = self
            .put(key, Bytes::from(joined), Some(content_type.as_str()).filter(|ct| !ct.is_empty()))
            .await?;
        std::fs::remove_dir_all(&dir).map_err(io)?;
        Ok(meta)
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), PortError> {
        match self.open_upload(key, upload_id) {
            Ok(dir) => std::fs::remove_dir_all(dir).map_err(io),
            Err(_) => Ok(()),
        }
    }
}

impl DirObjects {
    fn upload_dir(&self, upload_id: &str) -> Result<PathBuf, PortError> {
        Ok(self.root.join(MULTIPART_DIR).join(safe_upload_id(upload_id)?))
    }

    /// The directory of a live upload of `key`.
    fn open_upload(&self, key: &str, upload_id: &str) -> Result<PathBuf, PortError> {
        let dir = self.upload_dir(upload_id)?;
        match std::fs::read_to_string(dir.join("key")) {
            Ok(stored) if stored == key => Ok(dir),
            _ => Err(PortError::invalid("objects", format!("no upload {upload_id} of {key}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn put_get_range_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let objects = DirObjects::new(dir.path());
        let meta = block_on(objects.put(
            "videos/a/master.m3u8",
            Bytes::from_static(b"0123456789"),
            Some("application/vnd.apple.mpegurl"),
        ))
        .unwrap();
        assert_eq!(meta.size, 10);
        let part = block_on(
            objects.get("videos/a/master.m3u8", Some(ObjectRange::OffsetWithLength { offset: 2, length: 3 })),
        )
        .unwrap()
        .unwrap();
        assert_eq!(&part.bytes[..], b"234");
        assert_eq!(part.range, Some((2, 4)));
        assert_eq!(part.meta.content_type.as_deref(), Some("application/vnd.apple.mpegurl"));
        let tail =
            block_on(objects.get("videos/a/master.m3u8", Some(ObjectRange::Suffix(2)))).unwrap().unwrap();
        assert_eq!(&tail.bytes[..], b"89");
        assert_eq!(block_on(objects.list("videos/")).unwrap(), vec!["videos/a/master.m3u8"]);
        block_on(objects.delete("videos/a/master.m3u8")).unwrap();
        assert!(block_on(objects.head("videos/a/master.m3u8")).unwrap().is_none());
        assert!(block_on(objects.get("../escape", None)).is_err());
    }

    #[test]
    fn a_streamed_read_comes_in_bounded_chunks_with_the_same_metadata() {
        use futures::TryStreamExt;

        let dir = tempfile::tempdir().unwrap();
        let objects = DirObjects::new(dir.path());
        let bytes: Vec<u8> = (0..STREAM_CHUNK * 2 + 5).map(|i| (i % 251) as u8).collect();
        let meta = block_on(objects.put("big", Bytes::from(bytes.clone()), Some("video/mp4"))).unwrap();
        let read = |range| block_on(objects.get_stream("big", range)).unwrap().unwrap();
        let collect = |stream| block_on(TryStreamExt::try_collect::<Vec<Bytes>>(stream)).unwrap();

        let whole = read(None);
        assert_eq!((&whole.meta, whole.range, whole.len()), (&meta, None, bytes.len() as u64));
        let chunks = collect(whole.stream);
        assert_eq!(chunks.iter().map(Bytes::len).collect::<Vec<_>>(), [STREAM_CHUNK, STREAM_CHUNK, 5]);
        assert!(chunks.concat() == bytes);

        let part = read(Some(ObjectRange::OffsetWithLength { offset: STREAM_CHUNK as u64 - 2, length: 4 }));
        assert_eq!(part.range, Some((STREAM_CHUNK as u64 - 2, STREAM_CHUNK as u64 + 1)));
        assert_eq!(collect(part.stream).concat(), &bytes[STREAM_CHUNK - 2..STREAM_CHUNK + 2]);
        let tail = read(Some(ObjectRange::Suffix(3)));
        assert_eq!(collect(tail.stream).concat(), &bytes[bytes.len() - 3..]);

        assert!(block_on(objects.get_stream("missing", None)).unwrap().is_none());
        assert!(block_on(objects.get_stream("big", Some(ObjectRange::From(bytes.len() as u64)))).is_err());
    }

    #[test]
    fn multipart_joins_equal_parts_and_refuses_what_r2_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let objects = DirObjects::new(dir.path());
        let size = MIN_PART_SIZE as usize;
        let id = block_on(objects.create_multipart("uploads/a/source", Some("video/mp4"))).unwrap();
        let one =
            block_on(objects.upload_part("uploads/a/source", &id, 1, Bytes::from(vec![1u8; size]))).unwrap();
        let two =
            block_on(objects.upload_part("uploads/a/source", &id, 2, Bytes::from(vec![2u8; 10]))).unwrap();
        assert_eq!(block_on(objects.list("")).unwrap(), Vec::<String>::new());
        let meta = block_on(objects.complete_multipart("uploads/a/source", &id, vec![two, one])).unwrap();
        assert_eq!(meta.size, MIN_PART_SIZE + 10);
        assert_eq!(meta.content_type.as_deref(), Some("video/mp4"));

        let id = block_on(objects.create_multipart("uploads/b/source", None)).unwrap();
        let small =
            block_on(objects.upload_part("uploads/b/source", &id, 1, Bytes::from(vec![0u8; 10]))).unwrap();
        let last =
            block_on(objects.upload_part("uploads/b/source", &id, 2, Bytes::from(vec![0u8; 5]))).unwrap();
        assert!(block_on(objects.complete_multipart("uploads/b/source", &id, vec![small, last])).is_err());
        block_on(objects.abort_multipart("uploads/b/source", &id)).unwrap();
        assert!(block_on(objects.upload_part("uploads/b/source", &id, 1, Bytes::new())).is_err());
    }
}
