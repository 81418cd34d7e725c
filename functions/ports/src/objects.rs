//! The object storage port: objects, ranges, streams and multipart uploads, R2's model.

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

use crate::PortError;

/// Part of an object to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectRange {
    /// `length` bytes from `offset`.
    OffsetWithLength {
        /// First byte.
        offset: u64,
        /// How many bytes.
        length: u64,
    },
    /// From `offset` to the end.
    From(u64),
    /// The last `n` bytes.
    Suffix(u64),
}

impl ObjectRange {
    /// The bytes this range covers in an object of `size` bytes, as `(first, last)` inclusive;
    /// `None` when it covers none.
    pub fn span(self, size: u64) -> Option<(u64, u64)> {
        let (first, end) = match self {
            Self::OffsetWithLength { offset, length } => (offset, offset.saturating_add(length).min(size)),
            Self::From(offset) => (offset, size),
            Self::Suffix(n) => (size.saturating_sub(n), size),
        };
        (first < end).then(|| (first, end - 1))
    }
}

/// What storage knows about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The object's key.
    pub key: String,
    /// Total size in bytes.
    pub size: u64,
    /// The storage's entity tag, quoted as it goes into an `ETag` header.
    pub http_etag: String,
    /// The `Content-Type` stored with the object, if any.
    pub content_type: Option<String>,
}

/// An object's metadata and (part of) its bytes.
#[derive(Debug, Clone)]
pub struct ObjectBody {
    /// The whole object's metadata (`size` is the total, not the range's).
    pub meta: ObjectMeta,
    /// The requested bytes.
    pub bytes: Bytes,
    /// The range that `bytes` covers, as `(first, last)` inclusive; `None` for the whole object.
    pub range: Option<(u64, u64)>,
}

/// An object's bytes as they are read, never all in memory at once.
///
/// `Send` because the response bodies that carry it are (see `edgetube_api::Body`); a platform whose
/// streams are not `Send` wraps them, which is sound where one thread runs everything.
pub type ObjectStream = Pin<Box<dyn Stream<Item = Result<Bytes, PortError>> + Send>>;

/// An object's metadata and (part of) its bytes, still to be read.
pub struct StreamedObject {
    /// The whole object's metadata (`size` is the total, not the range's).
    pub meta: ObjectMeta,
    /// The requested bytes.
    pub stream: ObjectStream,
    /// The range that `stream` covers, as `(first, last)` inclusive; `None` for the whole object.
    pub range: Option<(u64, u64)>,
}

impl StreamedObject {
    /// How many bytes `stream` yields.
    pub fn len(&self) -> u64 {
        match self.range {
            Some((first, last)) => last - first + 1,
            None => self.meta.size,
        }
    }

    /// Whether `stream` yields nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for StreamedObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamedObject").field("meta", &self.meta).field("range", &self.range).finish()
    }
}

/// A part stored by [`Objects::upload_part`], as [`Objects::complete_multipart`] needs it back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UploadedPart {
    /// 1-based part number.
    pub part_number: u16,
    /// The part's entity tag.
    pub etag: String,
}

/// Object storage: R2 on Workers, S3 elsewhere, a directory in native tests.
///
/// Writes of one key are last-writer-wins; a read after a completed write sees it.
#[async_trait(?Send)]
pub trait Objects {
    /// Stores `bytes` under `key`, replacing any object there.
    async fn put(&self, key: &str, bytes: Bytes, content_type: Option<&str>)
        -> Result<ObjectMeta, PortError>;

    /// Reads an object, or part of it; `Ok(None)` when the key does not exist.
    async fn get(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<ObjectBody>, PortError>;

    /// Reads an object, or part of it, as a stream of bounded chunks; `Ok(None)` when the key does
    /// not exist. For bodies that may be large (media served to clients): a Worker's isolate has
    /// 128 MB of memory.
    async fn get_stream(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<StreamedObject>, PortError>;

    /// The object's metadata; `Ok(None)` when the key does not exist.
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, PortError>;

    /// Removes an object; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), PortError>;

    /// Keys that start with `prefix`, in lexical order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError>;

    /// Starts a multipart upload of `key` and returns its upload id.
    ///
    /// R2's rules are the weakest: every part but the last is at least 5 MiB and all of them have
    /// the same size; the last is not larger. At most 10,000 parts.
    async fn create_multipart(&self, key: &str, content_type: Option<&str>) -> Result<String, PortError>;

    /// Stores part `part_number` (1-based) of an upload; storing a number again replaces it.
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        bytes: Bytes,
    ) -> Result<UploadedPart, PortError>;

    /// Joins the parts, in `part_number` order, into the object `key`.
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<UploadedPart>,
    ) -> Result<ObjectMeta, PortError>;

    /// Drops an unfinished upload and its parts; aborting an unknown upload is not an error.
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), PortError>;
}

#[cfg(test)]
mod tests {
    use super::ObjectRange;

    #[test]
    fn spans_are_clamped_to_the_object() {
        let cases = [
            (ObjectRange::OffsetWithLength { offset: 2, length: 3 }, Some((2, 4))),
            (ObjectRange::OffsetWithLength { offset: 8, length: 5 }, Some((8, 9))),
            (ObjectRange::From(7), Some((7, 9))),
            (ObjectRange::Suffix(3), Some((7, 9))),
            (ObjectRange::Suffix(30), Some((0, 9))),
            (ObjectRange::From(10), None),
            (ObjectRange::OffsetWithLength { offset: 4, length: 0 }, None),
        ];
        for (range, span) in cases {
            assert_eq!(range.span(10), span, "{range:?}");
        }
    }
}
