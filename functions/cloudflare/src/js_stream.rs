//! JavaScript byte streams as the `Send` streams the core's bodies are made of.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use worker::send::SendWrapper;
use worker::ByteStream;

/// A request's or an R2 object's JavaScript stream, `Send` for the core (`multer` asks for it).
/// `SendWrapper` is sound here: an isolate runs this Worker on one thread, so the stream never
/// leaves it.
pub struct SendByteStream(SendWrapper<Pin<Box<ByteStream>>>);

impl SendByteStream {
    pub fn new(stream: ByteStream) -> Self {
        Self(SendWrapper::new(Box::pin(stream)))
    }
}

impl Stream for SendByteStream {
    type Item = worker::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx).map(|item| item.map(|r| r.map(Bytes::from)))
    }
}
