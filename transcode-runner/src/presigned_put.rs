//! Result files written straight to storage: one presigned `PUT` per file, where the instance has
//! R2 credentials and says so (`output.presignedUploads` in the job payload).
//!
//! For each file the runner asks the instance for a URL (`<uploadUrl>-url`, with its tokens) and
//! sends the whole file to it, streamed from disk, with no runner or job token: the URL authorizes
//! itself, so it stays out of logs and errors like a token. A refused or failed `PUT` (403 once the
//! URL expired, a 5xx, a cut connection) is retried with a fresh URL, a bounded number of times.
//! An instance that hands out no URL (501) sends the caller back to the API upload path in
//! [`crate::transfer`]. A 404 is not that: it is the instance's "unknown job", which ends the work.

use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use reqwest::header::CONTENT_LENGTH;
use tokio::io::{AsyncRead, ReadBuf};

use crate::instance_client::{ClientError, InstanceClient, JobAuth, UploadUrlRequest};
use crate::transfer::{Retries, TransferError, TransferSettings};

/// Bytes read from disk per body frame.
const FRAME: usize = 256 * 1024;

/// Uploads `path` as `<kind>/<name>` through presigned `PUT`s; returns its size, or `None` when
/// the instance offers no presigned upload and the caller must use the API path.
pub async fn upload(
    client: &InstanceClient,
    auth: &JobAuth,
    kind: &str,
    name: &str,
    path: &Path,
    settings: &TransferSettings,
) -> Result<Option<u64>, TransferError> {
    let io = |action| move |source| TransferError::Io { action, path: path.to_owned(), source };
    let size = tokio::fs::metadata(path).await.map_err(io("read the size of"))?.len();
    if size == 0 {
        return Err(TransferError::EmptyFile { path: path.to_owned() });
    }
    let shown = format!("presigned PUT of {kind}/{name}");
    let mut retries = Retries { settings, url: &shown, failures: 0 };
    let asked = UploadUrlRequest { kind: kind.to_owned(), name: name.to_owned(), size };
    loop {
        let target = match client.upload_url(auth, &asked).await {
            Ok(Some(target)) => target,
            Ok(None) => return Ok(None),
            Err(error) if error.is_retryable() => {
                retries.failed(crate::error_chain(&error)).await?;
                continue;
            }
            Err(error) => return Err(client_error(&shown, error)),
        };
        let file = tokio::fs::File::open(path).await.map_err(io("open"))?;
        let mut request = client
            .http()
            .put(&target.url)
            // S3 takes no chunked `PUT`: the length goes first.
            .header(CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap(FileBody { file, remaining: size, buffer: vec![0; FRAME] }));
        for (name, value) in &target.headers {
            request = request.header(name, value);
        }
        // `without_url`: reqwest's message names the URL, whose query is the signature.
        let status = match request.send().await {
            Ok(response) => response.status(),
            Err(error) => {
                retries.failed(crate::error_chain(&error.without_url())).await?;
                continue;
            }
        };
        match status.as_u16() {
            200..=299 => return Ok(Some(size)),
            // Expired (or otherwise refused) signatures and storage trouble: a new URL may do.
            403 | 408 | 429 | 500.. => retries.failed(format!("storage answered {status}")).await?,
            status => {
                return Err(TransferError::Refused {
                    url: shown,
                    status,
                    detail: "storage refused the file".into(),
                })
            }
        }
    }
}

fn client_error(shown: &str, error: ClientError) -> TransferError {
    match error {
        ClientError::UnknownRunner => TransferError::UnknownRunner,
        ClientError::JobGone { status } => TransferError::JobGone { status },
        ClientError::Refused { status, detail, .. } | ClientError::Server { status, detail, .. } => {
            TransferError::Refused { url: shown.to_owned(), status, detail }
        }
        other => TransferError::Protocol { url: shown.to_owned(), reason: crate::error_chain(&other) },
    }
}

/// A file as a request body, read frame by frame, so a 5 GiB rendition never sits in memory.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buffer: Vec<u8>,
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let want = usize::try_from(this.remaining).unwrap_or(FRAME).min(FRAME);
        let mut read = ReadBuf::new(&mut this.buffer[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(error))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {} bytes before its announced size", this.remaining),
            )))),
            Poll::Ready(Ok(())) => {
                let frame = Bytes::copy_from_slice(read.filled());
                this.remaining -= frame.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(frame))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
