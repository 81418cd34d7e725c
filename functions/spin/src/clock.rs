//! The clock port on WASI's wall clock.

use edgetube_ports::Clock;

/// `SystemTime` reads `wasi:clocks/wall-clock` on `wasm32-wasip2`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    }
}
