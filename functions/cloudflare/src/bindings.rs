//! Binding names, as declared in `wrangler.toml`.

/// D1 database (`[[d1_databases]] binding`).
pub const DB: &str = "DB";
/// KV namespace (`[[kv_namespaces]] binding`).
pub const KV: &str = "KV";
/// R2 bucket for originals and renditions (`[[r2_buckets]] binding`).
pub const MEDIA: &str = "MEDIA";
/// Queue producer for background jobs (`[[queues.producers]] binding`).
pub const JOBS: &str = "JOBS";
/// Durable Object namespace of `rate_limiter::RateLimiterObject` (`[[durable_objects.bindings]] name`).
pub const RATE_LIMITER: &str = "RATE_LIMITER";
/// Durable Object namespace of `views::ViewCounterObject`.
pub const VIEW_COUNTER: &str = "VIEW_COUNTER";
/// Durable Object namespace of `runner_wake::RunnerWakeObject`, where idle runners wait for jobs.
pub const RUNNER_WAKE: &str = "RUNNER_WAKE";
/// Durable Object namespace of `tracker::TrackerObject` (one object per video).
pub const TRACKER: &str = "TRACKER";
/// Durable Object namespace of `runner_fleet::RunnerFleetObject`, which starts runners on demand.
pub const RUNNER_FLEET: &str = "RUNNER_FLEET";
/// Durable Object namespace of `runner_fleet::RunnerContainerObject`: one object per runner
/// slot, each owning one container of the runner image (`[[containers]]` `class_name`).
pub const RUNNER_CONTAINER: &str = "RUNNER_CONTAINER";
