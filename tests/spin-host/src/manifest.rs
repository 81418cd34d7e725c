//! The parts of `spin.toml` (manifest version 2) this harness honours: the HTTP component's
//! source, its outbound hosts, stores and databases, and the application's variables with the
//! component's templates; the `[[trigger.cron]]` entries of Spin's cron trigger plugin (schedule
//! and component, with the same keys); and, for components that only serve files (Spin's
//! `spin-fileserver`, fetched by URL), their routes and `files` mounts, which the harness serves
//! itself without the fileserver's wasm. Whatever else Spin reads is ignored here (README: where
//! it differs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct Raw {
    spin_manifest_version: u32,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
    #[serde(default)]
    trigger: RawTriggers,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawRoute>,
    #[serde(default)]
    cron: Vec<RawCron>,
}

#[derive(Deserialize)]
struct RawRoute {
    route: String,
    component: String,
}

/// The cron trigger plugin's keys (it denies unknown ones too).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCron {
    component: String,
    cron_expression: String,
}

#[derive(Deserialize)]
struct RawFiles {
    source: String,
    destination: String,
}

#[derive(Deserialize)]
struct RawVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
struct RawComponent {
    /// A local path (a code component) or `{url, digest}` (a prebuilt one, e.g. the fileserver).
    source: toml::Value,
    #[serde(default)]
    files: Vec<RawFiles>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

/// One application variable: its default, and whether it must be set.
#[derive(Debug, Clone)]
pub struct Variable {
    pub default: Option<String>,
    pub required: bool,
}

/// A code component and what it may use.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its id in the manifest (`[component.<id>]`).
    pub id: String,
    pub source: PathBuf,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    /// The component's variables: name to template (`"{{ app_variable }}"` or literal text).
    pub variables: BTreeMap<String, String>,
}

/// One `[[trigger.cron]]`: a component and its six-field schedule (seconds first).
#[derive(Debug, Clone)]
pub struct CronTrigger {
    pub component: Component,
    pub cron_expression: String,
}

/// The application: its HTTP component, its cron triggers, its variables and file mounts.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The code component the HTTP trigger routes to.
    pub http: Component,
    pub cron: Vec<CronTrigger>,
    pub app_variables: BTreeMap<String, Variable>,
    /// Routes served from files: `(path prefix, folder)`, e.g. `("/assets/", "web/public/assets")`.
    pub file_mounts: Vec<(String, PathBuf)>,
}

impl Manifest {
    /// Reads `spin.toml`; components' sources are relative to the manifest's folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let raw: Raw = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if raw.spin_manifest_version != 2 {
            bail!("{}: only spin_manifest_version = 2 is supported", path.display());
        }
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut http = None;
        let mut cron = Vec::new();
        let mut file_mounts = Vec::new();
        for (id, component) in raw.component {
            let routes: Vec<&RawRoute> = raw.trigger.http.iter().filter(|r| r.component == id).collect();
            let schedules: Vec<&RawCron> = raw.trigger.cron.iter().filter(|c| c.component == id).collect();
            if let Some(source) = component.source.as_str() {
                let code = Component {
                    id: id.clone(),
                    source: base.join(source),
                    allowed_outbound_hosts: component.allowed_outbound_hosts,
                    key_value_stores: component.key_value_stores,
                    sqlite_databases: component.sqlite_databases,
                    variables: component.variables,
                };
                match (routes.is_empty(), schedules.is_empty()) {
                    (false, true) => {
                        if http.replace(code).is_some() {
                            bail!("{}: this harness runs one HTTP code component", path.display());
                        }
                    }
                    (true, false) => cron.extend(schedules.into_iter().map(|c| CronTrigger {
                        component: code.clone(),
                        cron_expression: c.cron_expression.clone(),
                    })),
                    (false, false) => {
                        bail!("{}: component {id} has both HTTP and cron triggers", path.display())
                    }
                    (true, true) => bail!("{}: component {id} has no trigger", path.display()),
                }
                continue;
            }
            // A prebuilt file server: its routes serve its `files` mounted at "/".
            let Some(files) = component.files.first() else {
                bail!("{}: component {id} has neither a local source nor files", path.display());
            };
            if files.destination != "/" {
                bail!("{}: component {id}: only files mounted at \"/\" are served", path.display());
            }
            for route in routes {
                let Some(prefix) = route.route.strip_suffix("...") else {
                    bail!("{}: route {} of {id} must end in /...", path.display(), route.route);
                };
                file_mounts.push((prefix.to_owned(), base.join(&files.source)));
            }
        }
        let Some(http) = http else { bail!("{}: no HTTP code component", path.display()) };
        Ok(Self {
            http,
            cron,
            app_variables: raw
                .variables
                .into_iter()
                .map(|(name, v)| (name, Variable { default: v.default, required: v.required }))
                .collect(),
            file_mounts,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Manifest;

    #[test]
    fn the_repository_manifest_has_an_http_component_and_two_cron_triggers() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml");
        let manifest = Manifest::load(&path).unwrap();
        assert_eq!(manifest.http.id, "edgetube");
        let cron: Vec<(&str, &str)> =
            manifest.cron.iter().map(|c| (c.component.id.as_str(), c.cron_expression.as_str())).collect();
        assert_eq!(cron, [("housekeeping", "0 */10 * * * *"), ("tick", "0 * * * * *")]);
        for trigger in &manifest.cron {
            assert_eq!(trigger.component.allowed_outbound_hosts, ["http://edgetube.spin.internal"]);
            assert_eq!(trigger.component.variables["tick_token"], "{{ tick_token }}");
        }
        assert_eq!(manifest.file_mounts.len(), 1);
    }
}
