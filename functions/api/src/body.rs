//! Request and response bodies: whole bytes, or a stream where buffering could exhaust memory.
//!
//! A Worker may receive bodies of up to 100 MB (Free/Pro plans) while its isolate has 128 MB of
//! memory, so the legacy one-request upload reads its multipart form as a stream and keeps one
//! storage part in memory, and the chunked uploads stream each chunk into storage parts once the
//! caller is known. Every other route takes bodies far below that (JSON is capped at 500 kB) and
//! reads them whole, as before.
//! In the other direction, media objects go out as the storage's stream (`media`): a plain GET of
//! a 100 MB original must not be read whole either.

use std::cell::RefCell;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use edgetube_ports::ObjectStream;
use futures::{Stream, StreamExt};

/// Why reading a streamed body failed (the client went away, the platform or storage refused it).
#[derive(Debug, thiserror::Error)]
#[error("reading the body failed: {0}")]
pub struct BodyError(pub String);

/// A body arriving in chunks.
///
/// `Send` because the multipart parser (`multer`) asks for it; a platform whose streams are not
/// `Send` (a Worker's JavaScript stream) wraps them, which is sound where one thread runs everything.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BodyError>> + Send>>;

/// Why a whole body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// More than the route accepts (413).
    #[error("the body is larger than the {limit} bytes this route accepts")]
    TooLarge {
        /// The route's limit.
        limit: u64,
    },
    /// The body broke off or could not be read (400).
    #[error(transparent)]
    Body(#[from] BodyError),
}

/// A request body as the platform hands it over, or a response body as the core hands it back.
pub enum Body {
    /// Every byte, already read.
    Full(Bytes),
    /// Bytes still to come.
    Stream(BodyStream),
}

impl Body {
    /// A body read from `stream` as it arrives.
    pub fn stream(stream: impl Stream<Item = Result<Bytes, BodyError>> + Send + 'static) -> Self {
        Self::Stream(Box::pin(stream))
    }

    /// A response body read from storage as the client takes it.
    pub fn object(stream: ObjectStream) -> Self {
        Self::stream(stream.map(|chunk| chunk.map_err(|e| BodyError(e.to_string()))))
    }

    /// Whether the bytes are still to come.
    pub fn is_stream(&self) -> bool {
        matches!(self, Self::Stream(_))
    }

    /// Reads the whole body, refusing one longer than `limit` bytes as soon as it passes it.
    pub async fn collect_limited(self, limit: usize) -> Result<Bytes, BodyError> {
        let too_long = || BodyError(format!("the body is longer than {limit} bytes"));
        match self {
            Self::Full(bytes) if bytes.len() > limit => Err(too_long()),
            Self::Full(bytes) => Ok(bytes),
            Self::Stream(mut stream) => {
                let mut whole = BytesMut::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if whole.len() + chunk.len() > limit {
                        return Err(too_long());
                    }
                    whole.extend_from_slice(&chunk);
                }
                Ok(whole.freeze())
            }
        }
    }

    /// Reads the whole body of a request whose route accepts at most `limit` bytes.
    ///
    /// `announced` (the `Content-Length`) must match what arrives, and sizes the buffer once,
    /// because growing it by doubling would briefly need three times a 64 MB resumable chunk. The
    /// buffer is reserved only when the first bytes arrive and never beyond `limit`, so a request
    /// that announces a large body and sends nothing reserves nothing.
    pub async fn collect(self, announced: Option<u64>, limit: u64) -> Result<Bytes, CollectError> {
        if announced.is_some_and(|announced| announced > limit) {
            return Err(CollectError::TooLarge { limit });
        }
        match self {
            Self::Full(bytes) if bytes.len() as u64 > limit => Err(CollectError::TooLarge { limit }),
            Self::Full(bytes) => Ok(bytes),
            Self::Stream(mut stream) => {
                let mut whole = BytesMut::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if (whole.len() + chunk.len()) as u64 > limit {
                        return Err(CollectError::TooLarge { limit });
                    }
                    if whole.capacity() == 0 {
                        let expected = announced.unwrap_or(0).max(chunk.len() as u64);
                        whole.reserve(usize::try_from(expected).unwrap_or(chunk.len()));
                    }
                    whole.extend_from_slice(&chunk);
                }
                // A Worker's stream ends quietly when the client goes away: a short body is cut.
                match announced {
                    Some(announced) if announced != whole.len() as u64 => Err(CollectError::Body(BodyError(
                        format!("the body ended after {} of {announced} bytes", whole.len()),
                    ))),
                    _ => Ok(whole.freeze()),
                }
            }
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self::Full(bytes)
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::Full(Bytes::new())
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Full(bytes.into())
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(bytes) => write!(f, "Body::Full({} bytes)", bytes.len()),
            Self::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

/// The unread body stream of a request whose `Request<Bytes>` body was left empty, for the
/// handler that reads it; taken at most once.
#[derive(Default)]
pub struct PendingBody(RefCell<Option<BodyStream>>);

impl PendingBody {
    /// Holds `stream` until a handler takes it.
    pub fn new(stream: BodyStream) -> Self {
        Self(RefCell::new(Some(stream)))
    }

    /// Whether a stream waits to be taken.
    pub fn is_pending(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// The stream, if it was not taken yet.
    pub fn take(&self) -> Option<BodyStream> {
        self.0.borrow_mut().take()
    }
}

/// Hands out one chunk per poll: after each chunk the next poll answers `Pending` (and asks to be
/// polled again at once).
///
/// `multer` reads its input for as long as it is ready into a buffer of its own, so a body that is
/// already all there (a runtime that buffered it, a test) would end up in memory whole; paced,
/// the parser holds about one chunk beyond what the handler has consumed.
pub struct Paced {
    inner: BodyStream,
    just_yielded: bool,
}

impl Paced {
    /// Paces `inner`.
    pub fn new(inner: BodyStream) -> Self {
        Self { inner, just_yielded: false }
    }
}

impl Stream for Paced {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.just_yielded {
            self.just_yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = self.inner.as_mut().poll_next(cx);
        self.just_yielded = matches!(next, Poll::Ready(Some(_)));
        next
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use futures::executor::block_on;

    use super::*;

    /// A form with one 100 kB file field, in 1000-byte chunks that are all ready at once; counts
    /// the chunks pulled.
    fn ready_form(pulled: &Arc<AtomicUsize>) -> BodyStream {
        let mut body = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n".to_vec();
        body.extend(vec![7u8; 100_000]);
        body.extend(b"\r\n--b--\r\n");
        let chunks: Vec<Result<Bytes, BodyError>> =
            body.chunks(1000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let pulled = pulled.clone();
        Box::pin(futures::stream::iter(chunks).inspect(move |_| {
            pulled.fetch_add(1, Ordering::SeqCst);
        }))
    }

    #[test]
    fn a_limited_collect_refuses_a_longer_stream() {
        let chunks =
            || futures::stream::iter(vec![Ok(Bytes::from_static(b"abc")), Ok(Bytes::from_static(b"de"))]);
        assert_eq!(block_on(Body::stream(chunks()).collect_limited(5)).unwrap(), "abcde");
        assert!(block_on(Body::stream(chunks()).collect_limited(4)).is_err());
        assert!(block_on(Body::Full(Bytes::from_static(b"abcde")).collect_limited(4)).is_err());
    }

    #[test]
    fn the_parser_pulls_a_paced_body_as_the_handler_reads_it() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let mut form = multer::Multipart::new(Paced::new(ready_form(&pulled)), "b");
        block_on(async {
            let mut field = form.next_field().await.unwrap().unwrap();
            assert!(field.chunk().await.unwrap().is_some());
            let ahead = pulled.load(Ordering::SeqCst);
            assert!(ahead <= 3, "{ahead} chunks pulled for the first");
            let mut total = 0;
            while let Some(chunk) = field.chunk().await.unwrap() {
                total += chunk.len();
            }
            assert!(total > 90_000);
        });
        // Unpaced, the parser buffers everything that is ready: what `Paced` prevents.
        let greedy = Arc::new(AtomicUsize::new(0));
        let mut form = multer::Multipart::new(ready_form(&greedy), "b");
        block_on(async {
            let mut field = form.next_field().await.unwrap().unwrap();
            field.chunk().await.unwrap();
        });
        assert!(greedy.load(Ordering::SeqCst) > 90);
    }
}
