//! The clock port.

/// Wall-clock time.
///
/// A port because `SystemTime::now()` panics on `wasm32-unknown-unknown`, and because tests need a
/// clock they can set.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
}
