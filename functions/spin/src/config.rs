//! The instance configuration from Spin variables.
//!
//! Spin variable names are lower case (`[variables]` in `spin.toml`, set from the environment as
//! `SPIN_VARIABLE_<NAME>` or by a provider such as Vault), so each of
//! [`InstanceConfig::VARIABLES`] is read under its lower-case name. The shell's own variables:
//! `tick_token` (the bearer of `POST /_edgetube/tick`) and `bench_endpoints`.

use std::collections::BTreeMap;

use edgetube_domain::InstanceConfig;

/// One variable; `None` when undefined or empty.
pub fn var(name: &str) -> Option<String> {
    let value = spin_sdk::variables::get(&name.to_ascii_lowercase()).ok()?;
    (!value.is_empty()).then_some(value)
}

/// The instance configuration, or why it is unusable.
pub fn instance_config() -> Result<InstanceConfig, String> {
    let mut vars: BTreeMap<String, String> =
        InstanceConfig::VARIABLES.iter().filter_map(|name| Some(((*name).to_owned(), var(name)?))).collect();
    // Spin cannot hold the tracker's WebSockets (WASI HTTP has no upgrade) and has no Durable
    // Objects: unless told otherwise, videos name no tracker and players fetch over HTTP.
    vars.entry("TRACKER_ENABLED".to_owned()).or_insert_with(|| "false".to_owned());
    let config = InstanceConfig::from_vars(&vars).map_err(|e| e.to_string())?;
    if config.media.direct_upload.is_none() {
        // Spin has no object store of its own: media lives in an S3-compatible bucket.
        return Err("Spin stores media in S3: set s3_endpoint, s3_bucket, s3_access_key_id and \
                    s3_secret_access_key"
            .to_owned());
    }
    Ok(config)
}

/// Whether the local-only endpoints (conformance, `/__bench/crypto`) are on.
pub fn bench_endpoints() -> bool {
    var("bench_endpoints").is_some_and(|v| v == "true")
}
