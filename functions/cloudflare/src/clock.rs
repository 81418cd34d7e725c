//! The clock port on the Worker: `Date.now()`, since `SystemTime` panics on wasm32.

use edgetube_ports::Clock;

/// `Date.now()`: `SystemTime::now()` panics on `wasm32-unknown-unknown`.
pub struct WorkersClock;

impl Clock for WorkersClock {
    fn now_millis(&self) -> i64 {
        worker::Date::now().as_millis() as i64
    }
}
