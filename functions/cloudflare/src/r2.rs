//! The object storage port on an R2 bucket binding: objects, ranges, streams and multipart uploads.

use async_trait::async_trait;
use bytes::Bytes;
use edgetube_ports::{ObjectBody, ObjectMeta, ObjectRange, Objects, PortError, StreamedObject, UploadedPart};
use futures::StreamExt;
use worker::{Bucket, Data, HttpMetadata, Object, Range};

use crate::js_stream::SendByteStream;

/// The objects port on R2.
pub struct R2Objects {
    bucket: Bucket,
}

impl R2Objects {
    pub fn new(bucket: Bucket) -> Self {
        Self { bucket }
    }
}

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError::unavailable("objects", e.to_string())
}

fn meta(object: &Object) -> ObjectMeta {
    ObjectMeta {
        key: object.key(),
        size: object.size(),
        http_etag: object.http_etag(),
        content_type: object.http_metadata().content_type,
    }
}

/// R2 panics on offsets above 2^53; refuse them as input errors instead.
fn checked(value: u64) -> Result<u64, PortError> {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    if value > MAX_SAFE {
        return Err(PortError::invalid("objects", format!("offset {value} is above 2^53")));
    }
    Ok(value)
}

impl R2Objects {
    async fn get_object(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<Object>, PortError> {
        let mut get = self.bucket.get(key);
        if let Some(range) = range {
            get = get.range(match range {
                ObjectRange::OffsetWithLength { offset, length } => {
                    Range::OffsetWithLength { offset: checked(offset)?, length: checked(length)? }
                }
                ObjectRange::From(offset) => Range::OffsetToEnd { offset: checked(offset)? },
                ObjectRange::Suffix(suffix) => Range::Suffix { suffix: checked(suffix)? },
            });
        }
        get.execute().await.map_err(unavailable)
    }
}

#[async_trait(?Send)]
impl Objects for R2Objects {
    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta, PortError> {
        let metadata =
            HttpMetadata { content_type: content_type.map(str::to_owned), ..HttpMetadata::default() };
        let object = self
            .bucket
            .put(key, Data::Bytes(bytes.to_vec()))
            .http_metadata(metadata)
            .execute()
            .await
            .map_err(unavailable)?
            .ok_or_else(|| PortError::conflict("objects", format!("put of {key} was not applied")))?;
        Ok(meta(&object))
    }

    async fn get(&self, key: &str, range: Option<ObjectRange>) -> Result<Option<ObjectBody>, PortError> {
        let Some(object) = self.get_object(key, range).await? else { return Ok(None) };
        let meta = meta(&object);
        let bytes = match object.body() {
            Some(body) => Bytes::from(body.bytes().await.map_err(unavailable)?),
            None => Bytes::new(),
        };
        // The first byte comes from the request, not `Object::range()`: that getter panics in
        // workers-rs 0.8.7 when the runtime leaves `range` unset (wrangler dev's R2 does).
        let range = range.map(|range| {
            let first = match range {
                ObjectRange::OffsetWithLength { offset, .. } | ObjectRange::From(offset) => offset,
                ObjectRange::Suffix(suffix) => meta.size.saturating_sub(suffix),
            };
            (first, first + (bytes.len() as u64).saturating_sub(1))
        });
        Ok(Some(ObjectBody { meta, bytes, range }))
    }

    async fn get_stream(
        &self,
        key: &str,
        range: Option<ObjectRange>,
    ) -> Result<Option<StreamedObject>, PortError> {
        let Some(object) = self.get_object(key, range).await? else { return Ok(None) };
        let meta = meta(&object);
        // As in `get`, the span comes from the request: `Object::range()` may panic.
        let range = match range {
            None => None,
            Some(range) => Some(range.span(meta.size).ok_or_else(|| {
                PortError::invalid("objects", format!("range outside the {}-byte object {key}", meta.size))
            })?),
        };
        let stream = match object.body() {
            Some(body) => {
                let chunks = SendByteStream::new(body.stream().map_err(unavailable)?);
                chunks.map(|chunk| chunk.map_err(unavailable)).boxed()
            }
            None => futures::stream::empty().boxed(),
        };
        Ok(Some(StreamedObject { meta, stream, range }))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, PortError> {
        Ok(self.bucket.head(key).await.map_err(unavailable)?.as_ref().map(meta))
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.bucket.delete(key).await.map_err(unavailable)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        // Bounded: 1,000 keys a page, at most 100 pages (far beyond one video's objects).
        for _ in 0..100 {
            let mut list = self.bucket.list().prefix(prefix);
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await.map_err(unavailable)?;
            keys.extend(page.objects().iter().map(Object::key));
            match page.cursor() {
                Some(next) if page.truncated() => cursor = Some(next),
                _ => break,
            }
        }
        Ok(keys)
    }

    async fn create_multipart(&self, key: &str, content_type: Option<&str>) -> Result<String, PortError> {
        let metadata =
            HttpMetadata { content_type: content_type.map(str::to_owned), ..HttpMetadata::default() };
        let upload = self
            .bucket
            .create_multipart_upload(key)
            .http_metadata(metadata)
            .execute()
            .await
            .map_err(unavailable)?;
        Ok(upload.upload_id().await)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u16,
        bytes: Bytes,
    ) -> Result<UploadedPart, PortError> {
        let upload = self.bucket.resume_multipart_upload(key, upload_id).map_err(unavailable)?;
        let part = upload.upload_part(part_number, bytes.to_vec()).await.map_err(unavailable)?;
        Ok(UploadedPart { part_number: part.part_number(), etag: part.etag() })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        mut parts: Vec<UploadedPart>,
    ) -> Result<ObjectMeta, PortError> {
        parts.sort_by_key(|p| p.part_number);
        let upload = self.bucket.resume_multipart_upload(key, upload_id).map_err(unavailable)?;
        let object = upload
            .complete(parts.into_iter().map(|p| worker::UploadedPart::new(p.part_number, p.etag)))
            .await
            .map_err(unavailable)?;
        Ok(meta(&object))
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), PortError> {
        let upload = self.bucket.resume_multipart_upload(key, upload_id).map_err(unavailable)?;
        // R2 refuses to abort an upload it no longer knows; that is the state we wanted anyway.
        let _ = upload.abort().await;
        Ok(())
    }
}
