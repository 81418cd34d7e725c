pub mod fake_bucket;
pub mod fake_instance;
