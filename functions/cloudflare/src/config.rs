//! The instance configuration from the Worker's variables and secrets.

use std::collections::BTreeMap;

use edgetube_domain::{ConfigError, InstanceConfig};
use worker::Env;

/// Variables from `[vars]` and secrets (`.dev.vars` locally, `wrangler secret put` deployed).
const NAMES: [&str; 24] = [
    "PUBLIC_ORIGIN",
    "ALLOW_HTTP",
    "INSTANCE_NAME",
    "INSTANCE_SHORT_DESCRIPTION",
    "INSTANCE_DESCRIPTION",
    "ADMIN_PASSWORD",
    "ADMIN_EMAIL",
    "KEY_ENCRYPTION_SECRET",
    "SIGNUP_OPEN",
    "SIGNUP_POLICY",
    "API_RATE_LIMIT",
    "LOGIN_RATE_LIMIT",
    "TRANSCODING_RESOLUTIONS",
    "RUNNER_REGISTRATION_TOKEN",
    "RUNNER_JOB_STALE_SECONDS",
    "RUNNER_JOB_MAX_FAILURES",
    "EMULATE_R2_NOTIFICATIONS",
    "LEGACY_UPLOAD_MAX_BYTES",
    "R2_ACCOUNT_ID",
    "R2_S3_ENDPOINT",
    "R2_BUCKET_NAME",
    "R2_ACCESS_KEY_ID",
    "R2_SECRET_ACCESS_KEY",
    "DIRECT_UPLOAD_URL_TTL_SECONDS",
];

/// The instance configuration from the Worker's environment.
pub fn instance_config(env: &Env) -> Result<InstanceConfig, ConfigError> {
    let vars: BTreeMap<String, String> = NAMES
        .iter()
        .filter_map(|name| {
            let value = env.secret(name).or_else(|_| env.var(name)).ok()?.to_string();
            Some(((*name).to_owned(), value))
        })
        .collect();
    InstanceConfig::from_vars(&vars)
}
