//! Moving files through the instance: the input by ranged `POST`s, results by chunked `PUT`s.
//! Where the instance has R2 credentials it hands out a presigned storage URL for the input
//! instead, read by ranged `GET`s that carry no runner or job token.
//!
//! Both survive interruptions without starting over. A download appends each range to the file
//! and, after a network error or a 5xx, asks again from the bytes it has. An upload sends chunks
//! in order with `Content-Range`; after an error it asks what the instance stored
//! (`Content-Range: bytes */<total>`) and goes on from there, because a chunk whose answer was
//! lost may well have been stored. Retries are bounded per chunk: a stuck transfer fails the job
//! (which the instance retries, possibly on another runner) instead of hanging it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::instance_client::{problem_detail, JobAuth};

pub const MIB: u64 = 1024 * 1024;
/// The protocol's largest range and chunk.
pub const MAX_CHUNK_SIZE: u64 = 32 * MIB;
pub const DEFAULT_CHUNK_SIZE: u64 = 8 * MIB;

/// How transfers cut files and retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferSettings {
    /// Bytes per download range and upload chunk, at most [`MAX_CHUNK_SIZE`].
    pub chunk_size: u64,
    /// Attempts per chunk before giving up.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one (up to 16 times).
    pub first_backoff: Duration,
}

impl Default for TransferSettings {
    fn default() -> Self {
        TransferSettings {
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_attempts: 5,
            first_backoff: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("the instance does not know this runner (401)")]
    UnknownRunner,
    #[error("the job is no longer this runner's (the instance answered {status})")]
    JobGone { status: u16 },
    #[error("gave up on {url} after {attempts} failed attempts in a row; the last: {last}")]
    GaveUp { url: String, attempts: u32, last: String },
    #[error("the instance refused {url} ({status}): {detail}")]
    Refused { url: String, status: u16, detail: String },
    #[error("the instance broke the transfer protocol on {url}: {reason}")]
    Protocol { url: String, reason: String },
    #[error("{} is empty: the protocol cannot carry a 0-byte file", path.display())]
    EmptyFile { path: PathBuf },
    #[error("the input is announced as 0 bytes: there is nothing to transcode")]
    EmptyInput,
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl TransferError {
    /// Whether the runner must stop working on the job.
    pub fn ends_the_job(&self) -> bool {
        matches!(self, TransferError::JobGone { .. } | TransferError::UnknownRunner)
    }
}

/// What one attempt came to: worth another try, or final.
enum Attempt {
    Retry(String),
    Fail(TransferError),
}

impl From<TransferError> for Attempt {
    fn from(error: TransferError) -> Self {
        Attempt::Fail(error)
    }
}

/// Counts failures in a row and waits between them.
pub(crate) struct Retries<'a> {
    pub(crate) settings: &'a TransferSettings,
    pub(crate) url: &'a str,
    pub(crate) failures: u32,
}

impl Retries<'_> {
    pub(crate) async fn failed(&mut self, reason: String) -> Result<(), TransferError> {
        self.failures += 1;
        if self.failures >= self.settings.max_attempts {
            return Err(TransferError::GaveUp {
                url: self.url.to_owned(),
                attempts: self.failures,
                last: reason,
            });
        }
        let wait = self.settings.first_backoff * 2u32.pow((self.failures - 1).min(16));
        tracing::warn!(url = self.url, attempt = self.failures, ?wait, reason, "transfer failed, retrying");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn succeeded(&mut self) {
        self.failures = 0;
    }
}

/// Downloads the job's input to `dest` (created or truncated), `size` bytes as announced in the
/// payload. `on_progress` gets the bytes stored so far and the total.
pub async fn download(
    http: &reqwest::Client,
    url: &str,
    auth: &JobAuth,
    size: u64,
    dest: &Path,
    settings: &TransferSettings,
    on_progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<u64, TransferError> {
    if size == 0 {
        return Err(TransferError::EmptyInput);
    }
    let io = |action| move |source| TransferError::Io { action, path: dest.to_owned(), source };
    let mut file = tokio::fs::File::create(dest).await.map_err(io("create"))?;
    let source = Source::of(url);
    let mut download = Download { file: &mut file, dest, stored: 0, total: size };
    let mut retries = Retries { settings, url: source.shown(), failures: 0 };
    while download.stored < download.total {
        let first = download.stored;
        let last = (first + settings.chunk_size.clamp(1, MAX_CHUNK_SIZE)).min(download.total) - 1;
        match download.fetch_range(http, &source, auth, first, last).await {
            Ok(()) => retries.succeeded(),
            Err(Attempt::Retry(reason)) => retries.failed(reason).await?,
            Err(Attempt::Fail(error)) => return Err(error),
        }
        on_progress(download.stored, download.total);
    }
    download.file.flush().await.map_err(io("write"))?;
    Ok(download.stored)
}

/// Where the input comes from.
enum Source<'a> {
    /// The instance's runner API, authorized by the job's tokens.
    Instance(&'a str),
    /// A presigned storage URL, authorized by its own query; the tokens must not go there.
    Presigned {
        url: &'a str,
        /// The URL without its query, for logs and errors: the signature lets anyone read the file
        /// until it expires.
        shown: &'a str,
    },
}

impl<'a> Source<'a> {
    fn of(url: &'a str) -> Self {
        match url.split_once('?') {
            Some((shown, query)) if query.split('&').any(|p| p.starts_with("X-Amz-Signature=")) => {
                Source::Presigned { url, shown }
            }
            _ => Source::Instance(url),
        }
    }

    fn shown(&self) -> &'a str {
        match self {
            Source::Instance(url) => url,
            Source::Presigned { shown, .. } => shown,
        }
    }
}

struct Download<'a> {
    file: &'a mut tokio::fs::File,
    dest: &'a Path,
    /// Bytes written so far: where the next range starts, also after an interruption.
    stored: u64,
    total: u64,
}

impl Download<'_> {
    async fn fetch_range(
        &mut self,
        http: &reqwest::Client,
        source: &Source<'_>,
        auth: &JobAuth,
        first: u64,
        last: u64,
    ) -> Result<(), Attempt> {
        let range = format!("bytes={first}-{last}");
        let request = match source {
            Source::Instance(url) => http.post(*url).header(RANGE, range).json(&auth.tokens_body()),
            Source::Presigned { url, .. } => http.get(*url).header(RANGE, range),
        };
        let url = source.shown();
        // `without_url`: reqwest names the URL in its errors, and a presigned URL's query is its
        // signature; `shown` names the source instead.
        let response =
            request.send().await.map_err(|e| Attempt::Retry(crate::error_chain(&e.without_url())))?;
        let (expected_end, whole_file) = match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let header = response.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok());
                let Some((start, end, total)) = header.and_then(parse_content_range) else {
                    return Err(
                        protocol(url, format!("206 without a usable Content-Range: {header:?}")).into()
                    );
                };
                if start != first || end < start {
                    return Err(
                        protocol(url, format!("asked for bytes {first}-{last}, got {start}-{end}")).into()
                    );
                }
                if let Some(total) = total {
                    self.total = total;
                }
                (end + 1, false)
            }
            // An origin that ignores Range sends the whole file: keep it rather than fail.
            StatusCode::OK => {
                self.restart().await?;
                (response.content_length().unwrap_or(self.total), true)
            }
            status => {
                return Err(match source {
                    Source::Instance(_) => status_attempt(url, status, response).await,
                    Source::Presigned { .. } => storage_attempt(url, status, response).await,
                })
            }
        };
        self.append_body(response).await?;
        if self.stored < expected_end {
            return Err(Attempt::Retry(format!("the body ended at byte {} of {expected_end}", self.stored)));
        }
        if whole_file {
            self.total = self.stored;
        }
        if self.stored > expected_end || self.stored > self.total {
            return Err(protocol(url, format!("received {} bytes, more than asked for", self.stored)).into());
        }
        Ok(())
    }

    async fn restart(&mut self) -> Result<(), Attempt> {
        let dest = self.dest;
        let io = |source| TransferError::Io { action: "rewind", path: dest.to_owned(), source };
        self.file.set_len(0).await.map_err(io)?;
        self.file.seek(std::io::SeekFrom::Start(0)).await.map_err(io)?;
        self.stored = 0;
        Ok(())
    }

    /// Writes the body as it arrives, so bytes received before a failure are kept.
    async fn append_body(&mut self, mut response: reqwest::Response) -> Result<(), Attempt> {
        loop {
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    self.file.write_all(&bytes).await.map_err(|source| TransferError::Io {
                        action: "write",
                        path: self.dest.to_owned(),
                        source,
                    })?;
                    self.stored += bytes.len() as u64;
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(Attempt::Retry(crate::error_chain(&e.without_url()))),
            }
        }
    }
}

/// What the instance answered for an uploaded file once complete (`201 {key, size}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoredFile {
    pub key: String,
    pub size: u64,
}

/// Where an upload stands on the instance.
#[derive(Debug)]
enum Stored {
    /// The next byte the instance expects.
    Partial(u64),
    Complete(StoredFile),
    /// 409 to a chunk: not the byte the instance expected (or the job is gone; asking tells).
    OutOfOrder,
}

/// Uploads `path` to `url` (`<uploadUrl>/<kind>/<fileName>`) in chunks; `on_progress` gets the
/// bytes the instance has confirmed.
pub async fn upload(
    http: &reqwest::Client,
    url: &str,
    auth: &JobAuth,
    path: &Path,
    content_type: &str,
    settings: &TransferSettings,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<StoredFile, TransferError> {
    let io = |action| move |source| TransferError::Io { action, path: path.to_owned(), source };
    let mut file = tokio::fs::File::open(path).await.map_err(io("open"))?;
    let total = file.metadata().await.map_err(io("read the size of"))?.len();
    if total == 0 {
        return Err(TransferError::EmptyFile { path: path.to_owned() });
    }
    let upload = Upload { http, url, auth, content_type, total };
    let mut retries = Retries { settings, url, failures: 0 };
    let mut next = 0;
    let mut ask_first = false;
    loop {
        if ask_first {
            match upload.ask_stored().await {
                Ok(Stored::Complete(stored)) => return upload.check(stored),
                Ok(Stored::Partial(stored)) => {
                    next = stored;
                    ask_first = false;
                }
                Ok(Stored::OutOfOrder) => {
                    retries.failed("the instance refused the status query".into()).await?;
                    continue;
                }
                Err(Attempt::Retry(reason)) => {
                    retries.failed(reason).await?;
                    continue;
                }
                Err(Attempt::Fail(error)) => return Err(error),
            }
        }
        if next >= total {
            // Every byte is stored but the file is not complete: asking again may tell.
            retries
                .failed(format!("the instance holds all {total} bytes but did not complete the file"))
                .await?;
            ask_first = true;
            continue;
        }
        let last = (next + settings.chunk_size.clamp(1, MAX_CHUNK_SIZE)).min(total) - 1;
        let chunk = read_chunk(&mut file, next, last).await.map_err(io("read"))?;
        match upload.put_chunk(next, last, chunk).await {
            Ok(Stored::Complete(stored)) => return upload.check(stored),
            Ok(Stored::Partial(stored)) => {
                if stored > next {
                    retries.succeeded();
                } else {
                    retries.failed(format!("bytes {next}-{last} were not stored")).await?;
                }
                next = stored;
                on_progress(next);
            }
            Ok(Stored::OutOfOrder) => {
                retries.failed(format!("the instance did not expect byte {next}")).await?;
                ask_first = true;
            }
            Err(Attempt::Retry(reason)) => {
                retries.failed(reason).await?;
                ask_first = true;
            }
            Err(Attempt::Fail(error)) => return Err(error),
        }
    }
}

async fn read_chunk(file: &mut tokio::fs::File, first: u64, last: u64) -> std::io::Result<Vec<u8>> {
    let mut chunk = vec![0; (last - first + 1) as usize];
    file.seek(std::io::SeekFrom::Start(first)).await?;
    file.read_exact(&mut chunk).await?;
    Ok(chunk)
}

struct Upload<'a> {
    http: &'a reqwest::Client,
    url: &'a str,
    auth: &'a JobAuth,
    content_type: &'a str,
    total: u64,
}

impl Upload<'_> {
    async fn put_chunk(&self, first: u64, last: u64, chunk: Vec<u8>) -> Result<Stored, Attempt> {
        self.put(format!("bytes {first}-{last}/{}", self.total), chunk, true).await
    }

    async fn ask_stored(&self) -> Result<Stored, Attempt> {
        self.put(format!("bytes */{}", self.total), Vec::new(), false).await
    }

    async fn put(&self, content_range: String, body: Vec<u8>, is_chunk: bool) -> Result<Stored, Attempt> {
        let response = self
            .http
            .put(self.url)
            .header("X-Runner-Token", &self.auth.runner_token)
            .header("X-Job-Token", &self.auth.job_token)
            .header(CONTENT_TYPE, self.content_type)
            .header(CONTENT_RANGE, content_range)
            .body(body)
            .send()
            .await
            .map_err(|e| Attempt::Retry(crate::error_chain(&e)))?;
        match response.status() {
            StatusCode::PERMANENT_REDIRECT => {
                let range = response.headers().get(RANGE).and_then(|v| v.to_str().ok());
                match range {
                    None => Ok(Stored::Partial(0)),
                    Some(range) => parse_stored_range(range).map(Stored::Partial).ok_or_else(|| {
                        protocol(self.url, format!("308 with an unusable Range: {range:?}")).into()
                    }),
                }
            }
            StatusCode::CREATED => {
                let text = response.text().await.map_err(|e| Attempt::Retry(crate::error_chain(&e)))?;
                serde_json::from_str(&text)
                    .map(Stored::Complete)
                    .map_err(|e| protocol(self.url, format!("201 without {{key, size}}: {e}")).into())
            }
            // An empty query cannot be out of order, so a 409 to it means the job is gone.
            StatusCode::CONFLICT if is_chunk => Ok(Stored::OutOfOrder),
            status => Err(status_attempt(self.url, status, response).await),
        }
    }

    fn check(&self, stored: StoredFile) -> Result<StoredFile, TransferError> {
        if stored.size != self.total {
            return Err(protocol(self.url, format!("stored {} bytes of {}", stored.size, self.total)));
        }
        Ok(stored)
    }
}

/// Sorts an unsuccessful answer: network trouble and 5xx are retried, the rest is final.
async fn status_attempt(url: &str, status: StatusCode, response: reqwest::Response) -> Attempt {
    let detail = problem_detail(&response.text().await.unwrap_or_default());
    match status.as_u16() {
        401 => Attempt::Fail(TransferError::UnknownRunner),
        status @ (404 | 409) => Attempt::Fail(TransferError::JobGone { status }),
        status @ 500.. => Attempt::Retry(format!("the instance answered {status}: {detail}")),
        status => Attempt::Fail(TransferError::Refused { url: url.to_owned(), status, detail }),
    }
}

/// Sorts storage's unsuccessful answer to a presigned read: only 5xx is worth another try (an
/// expired or refused signature is 403, which a new job acceptance renews).
async fn storage_attempt(url: &str, status: StatusCode, response: reqwest::Response) -> Attempt {
    let body = response.text().await.unwrap_or_default();
    let detail = body.chars().take(300).collect::<String>();
    match status.as_u16() {
        status @ 500.. => Attempt::Retry(format!("storage answered {status}: {detail}")),
        status => Attempt::Fail(TransferError::Refused { url: url.to_owned(), status, detail }),
    }
}

fn protocol(url: &str, reason: String) -> TransferError {
    TransferError::Protocol { url: url.to_owned(), reason }
}

/// `bytes <first>-<last>/<total>` (total may be `*`) → `(first, last, total)`.
pub fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        total => Some(total.parse().ok()?),
    };
    Some((first.trim().parse().ok()?, last.trim().parse().ok()?, total))
}

/// A 308's `Range: bytes=0-<last>` → the next byte expected (`last + 1`).
pub fn parse_stored_range(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?;
    let rest = rest.strip_prefix('=').or_else(|| rest.strip_prefix(' '))?;
    let (first, last) = rest.trim().split_once('-')?;
    let (first, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    // Uploads are stored from the start; anything else is not a resumable prefix.
    (first == 0 && last >= first).then_some(last + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, Some(1000))));
        assert_eq!(parse_content_range("bytes 100-199/*"), Some((100, 199, None)));
        assert_eq!(parse_content_range("bytes */1000"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn stored_ranges() {
        assert_eq!(parse_stored_range("bytes=0-8388607"), Some(8 * MIB));
        assert_eq!(parse_stored_range("bytes=0-0"), Some(1));
        assert_eq!(parse_stored_range("bytes=5-9"), None);
        assert_eq!(parse_stored_range("0-9"), None);
    }
}
