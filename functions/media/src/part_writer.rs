//! One object written from a stream of unknown length, as the legacy one-request upload needs:
//! the bytes are cut into R2's equal multipart parts of [`PART_SIZE`] as they arrive, so memory
//! holds at most one part whatever the object's size.
//!
//! Unlike `uploads`, nothing here survives the request: no row, no staging objects. The caller
//! either [`finish`](PartWriter::finish)es (after writing whatever must exist before the object
//! does) or [`abort`](PartWriter::abort)s, which leaves nothing behind; a failed `finish` can
//! still be aborted.

use bytes::{Bytes, BytesMut};
use edgetube_ports::{ObjectMeta, PortError, Ports, UploadedPart};

use crate::uploads::PART_SIZE;

/// R2's (and S3's) limit on the parts of one upload.
const MAX_PARTS: usize = 10_000;

/// Writes `key` part by part.
pub struct PartWriter<'p> {
    ports: &'p Ports<'p>,
    key: String,
    content_type: Option<String>,
    buffer: BytesMut,
    multipart_id: Option<String>,
    parts: Vec<UploadedPart>,
    size: u64,
}

/// The stored object.
#[derive(Debug, Clone)]
pub struct Written {
    /// Its metadata.
    pub meta: ObjectMeta,
    /// Whether it was completed from parts (R2 reports `CompleteMultipartUpload`), or stored in
    /// one put because it is smaller than a part.
    pub multipart: bool,
}

impl<'p> PartWriter<'p> {
    /// A writer of `key`; nothing is stored before a whole part has arrived.
    pub fn new(ports: &'p Ports<'p>, key: impl Into<String>, content_type: Option<String>) -> Self {
        Self {
            ports,
            key: key.into(),
            content_type,
            buffer: BytesMut::new(),
            multipart_id: None,
            parts: Vec::new(),
            size: 0,
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends `bytes`, uploading every part they complete.
    pub async fn write(&mut self, mut bytes: Bytes) -> Result<(), PortError> {
        self.size += bytes.len() as u64;
        let part_size = PART_SIZE as usize;
        while !bytes.is_empty() {
            if self.buffer.is_empty() && bytes.len() >= part_size {
                // A whole part in the chunk itself: no copy.
                let part = bytes.split_to(part_size);
                self.upload(part).await?;
                continue;
            }
            if self.buffer.capacity() == 0 {
                self.buffer.reserve(part_size);
            }
            let n = (part_size - self.buffer.len()).min(bytes.len());
            self.buffer.extend_from_slice(&bytes.split_to(n));
            if self.buffer.len() == part_size {
                let part = self.buffer.split().freeze();
                self.upload(part).await?;
            }
        }
        Ok(())
    }

    async fn upload(&mut self, part: Bytes) -> Result<(), PortError> {
        let id = match &self.multipart_id {
            Some(id) => id.clone(),
            None => {
                let id = self.ports.objects.create_multipart(&self.key, self.content_type.as_deref()).await?;
                self.multipart_id = Some(id.clone());
                id
            }
        };
        let number = u16::try_from(self.parts.len() + 1)
            .ok()
            .filter(|n| usize::from(*n) <= MAX_PARTS)
            .ok_or_else(|| PortError::invalid("objects", format!("more than {MAX_PARTS} parts")))?;
        let uploaded = self.ports.objects.upload_part(&self.key, &id, number, part).await?;
        self.parts.push(uploaded);
        Ok(())
    }

    /// Stores the object: the rest as the last (shorter) part and the upload completed, or, for
    /// an object smaller than one part, a single put.
    pub async fn finish(&mut self) -> Result<Written, PortError> {
        let rest = self.buffer.split().freeze();
        let Some(id) = self.multipart_id.clone() else {
            let meta = self.ports.objects.put(&self.key, rest, self.content_type.as_deref()).await?;
            return Ok(Written { meta, multipart: false });
        };
        if !rest.is_empty() {
            self.upload(rest).await?;
        }
        let meta = self.ports.objects.complete_multipart(&self.key, &id, self.parts.clone()).await?;
        Ok(Written { meta, multipart: true })
    }

    /// Drops the parts stored so far.
    pub async fn abort(&self) -> Result<(), PortError> {
        match &self.multipart_id {
            Some(id) => self.ports.objects.abort_multipart(&self.key, id).await,
            None => Ok(()),
        }
    }
}
