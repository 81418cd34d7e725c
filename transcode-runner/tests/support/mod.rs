//! Fakes the runner's tests talk to: an instance and a bucket on loopback.

pub mod fake_bucket;
pub mod fake_instance;
