//! The instance configuration from the Worker's variables and secrets.
//!
//! The core reads generic names ([`InstanceConfig::VARIABLES`]); Cloudflare deployments speak
//! R2's, so this shell translates them: `R2_ACCOUNT_ID` (or `R2_S3_ENDPOINT`), `R2_BUCKET_NAME`,
//! `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY` become the `S3_*` settings with R2's region, and
//! `EMULATE_R2_NOTIFICATIONS` becomes `EMULATE_STORAGE_EVENTS`.

use std::collections::BTreeMap;

use edgetube_domain::{ConfigError, InstanceConfig};
use edgetube_sigv4::r2;
use worker::Env;

/// R2's names and the generic name each stands for.
const R2_NAMES: [(&str, &str); 5] = [
    ("R2_S3_ENDPOINT", "S3_ENDPOINT"),
    ("R2_BUCKET_NAME", "S3_BUCKET"),
    ("R2_ACCESS_KEY_ID", "S3_ACCESS_KEY_ID"),
    ("R2_SECRET_ACCESS_KEY", "S3_SECRET_ACCESS_KEY"),
    ("EMULATE_R2_NOTIFICATIONS", "EMULATE_STORAGE_EVENTS"),
];

/// The instance configuration from the Worker's environment (`[vars]`, and secrets from
/// `.dev.vars` locally or `wrangler secret put` deployed).
pub fn instance_config(env: &Env) -> Result<InstanceConfig, ConfigError> {
    let read = |name: &str| {
        let value = env.secret(name).or_else(|_| env.var(name)).ok()?.to_string();
        (!value.is_empty()).then_some(value)
    };
    let mut vars: BTreeMap<String, String> =
        InstanceConfig::VARIABLES.iter().filter_map(|name| Some(((*name).to_owned(), read(name)?))).collect();
    let mut uses_r2 = false;
    for (r2_name, generic) in R2_NAMES {
        if let Some(value) = read(r2_name) {
            uses_r2 |= generic.starts_with("S3_");
            vars.entry(generic.to_owned()).or_insert(value);
        }
    }
    if let Some(account) = read("R2_ACCOUNT_ID") {
        uses_r2 = true;
        if !vars.contains_key("S3_ENDPOINT") {
            let endpoint = r2::endpoint(&account)
                .map_err(|e| ConfigError::Invalid { name: "R2_ACCOUNT_ID", reason: e.to_string() })?;
            vars.insert("S3_ENDPOINT".to_owned(), endpoint.to_string());
        }
    }
    if uses_r2 {
        vars.entry("S3_REGION".to_owned()).or_insert_with(|| r2::REGION.to_owned());
    }
    InstanceConfig::from_vars(&vars)
}
