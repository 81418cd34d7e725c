//! Outbound HTTP: the [`HttpClient`] port and the limits every adapter enforces the same way.

use std::future::Future;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use crate::PortError;

/// How much of a response [`HttpClient::send`] reads, and for how long.
///
/// Federation fetches documents from servers nobody vetted: one that answers with an endless
/// body, or trickles a byte a minute, must cost a bounded amount of memory (a Worker has 128 MB
/// for everything) and time. Passed per call because documents and media differ by orders of
/// magnitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The most bytes of body accepted; one more fails the call.
    pub max_body_bytes: u64,
    /// The most milliseconds from sending the request to the body's last byte.
    pub timeout_ms: u64,
}

impl HttpLimits {
    /// For ActivityPub and discovery documents (actors, activities, WebFinger, NodeInfo).
    ///
    /// 1 MiB: real documents are a few kB (a collection page of 10 items stays well under 100 kB)
    /// and PeerTube's own requests default to a 1 MB body limit, so nothing it would accept is
    /// refused here. 10 s: a healthy server answers in well under a second; the rest of the budget
    /// is for a cold or distant one, while a request handler that waits on a fetch keeps its
    /// client waiting no longer than that.
    pub const DOCUMENT: Self = Self { max_body_bytes: 1 << 20, timeout_ms: 10_000 };

    /// Explicit limits, for callers whose bodies are not documents (remote images, media).
    pub const fn new(max_body_bytes: u64, timeout_ms: u64) -> Self {
        Self { max_body_bytes, timeout_ms }
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self::DOCUMENT
    }
}

/// Requests to other servers: federation deliveries and fetches.
///
/// Transport failures and a call that outlives [`HttpLimits::timeout_ms`] are
/// [`PortError::Unavailable`] (trying again later may work); a body larger than
/// [`HttpLimits::max_body_bytes`] is [`PortError::LimitExceeded`] (it will not). Any HTTP status,
/// including 4xx and 5xx, is a successful call whose response the caller inspects.
///
/// Every adapter enforces `limits` with [`read_body`] and [`within`], so the rules are the same
/// on every platform.
#[async_trait(?Send)]
pub trait HttpClient {
    /// Sends `request` and reads the whole response body, within `limits`.
    async fn send(
        &self,
        request: http::Request<Bytes>,
        limits: HttpLimits,
    ) -> Result<http::Response<Bytes>, PortError>;
}

fn too_large(limits: HttpLimits) -> PortError {
    PortError::limit_exceeded("http", format!("response body over {} bytes", limits.max_body_bytes))
}

/// Reads a response body of `headers` from `chunks`, refusing it past `limits.max_body_bytes`.
///
/// A `Content-Length` above the cap is refused before a byte is read; otherwise the chunks are
/// read until one would take the total past the cap, and the stream is dropped there (so an
/// endless body costs at most the cap plus one chunk). The caller bounds the time with [`within`].
pub async fn read_body<S, B>(
    headers: &http::HeaderMap,
    chunks: S,
    limits: HttpLimits,
) -> Result<Bytes, PortError>
where
    S: Stream<Item = Result<B, PortError>>,
    B: AsRef<[u8]>,
{
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_body_bytes) {
        return Err(too_large(limits));
    }
    // Reserve what the server announced, never more than the cap.
    let capacity = declared.unwrap_or(0).min(limits.max_body_bytes);
    let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        let chunk = chunk.as_ref();
        if (body.len() as u64).saturating_add(chunk.len() as u64) > limits.max_body_bytes {
            return Err(too_large(limits));
        }
        body.extend_from_slice(chunk);
    }
    Ok(body.freeze())
}

/// Runs `work` unless `deadline` completes first, in which case the call is
/// [`PortError::Unavailable`] and `work` is dropped unfinished.
///
/// `deadline` is the platform's timer for `limits.timeout_ms` (a `worker::Delay`, a tokio sleep),
/// so the race itself is the same everywhere and testable without waiting.
pub async fn within<T>(
    work: impl Future<Output = Result<T, PortError>>,
    deadline: impl Future<Output = ()>,
    limits: HttpLimits,
) -> Result<T, PortError> {
    let work = std::pin::pin!(work);
    let deadline = std::pin::pin!(deadline);
    match futures::future::select(work, deadline).await {
        futures::future::Either::Left((result, _)) => result,
        futures::future::Either::Right(((), _)) => Err(PortError::unavailable(
            "http",
            format!("no complete response within {} ms", limits.timeout_ms),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use futures::executor::block_on;
    use futures::stream;

    use super::*;

    const CAP: HttpLimits = HttpLimits::new(10, 1000);

    fn chunks(sizes: &[usize]) -> impl Stream<Item = Result<Vec<u8>, PortError>> {
        stream::iter(sizes.iter().map(|&n| Ok(vec![7u8; n])).collect::<Vec<_>>())
    }

    fn length(n: u64) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, n.into());
        headers
    }

    #[test]
    fn a_body_of_exactly_the_cap_is_read_whole() {
        let body = block_on(read_body(&http::HeaderMap::new(), chunks(&[3, 0, 7]), CAP)).unwrap();
        assert_eq!(body, vec![7u8; 10]);
        let body = block_on(read_body(&length(10), chunks(&[10]), CAP)).unwrap();
        assert_eq!(body.len(), 10);
    }

    #[test]
    fn one_byte_past_the_cap_fails() {
        let error = block_on(read_body(&http::HeaderMap::new(), chunks(&[4, 4, 3]), CAP)).unwrap_err();
        assert!(matches!(error, PortError::LimitExceeded { port: "http", .. }), "{error}");
    }

    #[test]
    fn a_declared_length_over_the_cap_is_refused_before_reading() {
        // A stream that would fail the test if polled.
        let untouched = stream::poll_fn(|_| -> std::task::Poll<Option<Result<Vec<u8>, PortError>>> {
            panic!("the body was read")
        });
        let error = block_on(read_body(&length(11), untouched, CAP)).unwrap_err();
        assert!(matches!(error, PortError::LimitExceeded { .. }), "{error}");
    }

    #[test]
    fn a_body_that_never_ends_is_cut_at_the_cap() {
        let mut polled = 0;
        let endless = stream::repeat_with(|| {
            polled += 1;
            Ok::<_, PortError>(vec![1u8; 3])
        });
        let error = block_on(read_body(&http::HeaderMap::new(), endless, CAP)).unwrap_err();
        assert!(matches!(error, PortError::LimitExceeded { .. }), "{error}");
        // 3 + 3 + 3 fit, the fourth chunk would not: reading stopped there.
        assert_eq!(polled, 4);
    }

    #[test]
    fn a_body_that_lies_about_its_length_is_still_cut() {
        let error = block_on(read_body(&length(5), chunks(&[6, 6]), CAP)).unwrap_err();
        assert!(matches!(error, PortError::LimitExceeded { .. }), "{error}");
    }

    #[test]
    fn transport_errors_in_the_body_pass_through() {
        let broken = stream::iter(vec![Ok(vec![1u8]), Err(PortError::unavailable("http", "reset"))]);
        let error = block_on(read_body(&http::HeaderMap::new(), broken, CAP)).unwrap_err();
        assert!(matches!(error, PortError::Unavailable { .. }), "{error}");
    }

    #[test]
    fn the_deadline_cuts_work_that_never_finishes() {
        let never = futures::future::pending::<Result<(), PortError>>();
        let error = block_on(within(never, futures::future::ready(()), CAP)).unwrap_err();
        assert!(matches!(error, PortError::Unavailable { port: "http", .. }), "{error}");
        assert!(error.to_string().contains("1000 ms"), "{error}");
    }

    #[test]
    fn work_done_before_the_deadline_is_returned() {
        let done = futures::future::ready(Ok::<_, PortError>(5));
        assert_eq!(block_on(within(done, futures::future::pending(), CAP)).unwrap(), 5);
        // Work that fails on its own keeps its own error.
        let failed = futures::future::ready(Err::<(), _>(PortError::invalid("http", "bad url")));
        let error = block_on(within(failed, futures::future::pending(), CAP)).unwrap_err();
        assert!(matches!(error, PortError::Invalid { .. }), "{error}");
    }
}
