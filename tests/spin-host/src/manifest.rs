//! The parts of `spin.toml` (manifest version 2) this harness honours: the HTTP component's
//! source, its outbound hosts, stores and databases, and the application's variables with the
//! component's templates; and, for components that only serve files (Spin's `spin-fileserver`,
//! fetched by URL), their routes and `files` mounts, which the harness serves itself without the
//! fileserver's wasm. Whatever else Spin reads is ignored here (README: where it differs).

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
}

#[derive(Deserialize)]
struct RawRoute {
    route: String,
    component: String,
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
    /// A local path (the code component) or `{url, digest}` (a prebuilt one, e.g. the fileserver).
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

/// The component to serve and what it may use.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub source: PathBuf,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub app_variables: BTreeMap<String, Variable>,
    /// The component's variables: name to template (`"{{ app_variable }}"` or literal text).
    pub component_variables: BTreeMap<String, String>,
    /// Routes served from files: `(path prefix, folder)`, e.g. `("/assets/", "web/public/assets")`.
    pub file_mounts: Vec<(String, PathBuf)>,
}

impl Manifest {
    /// Reads `spin.toml`; the component's source is relative to the manifest's folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let raw: Raw = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if raw.spin_manifest_version != 2 {
            bail!("{}: only spin_manifest_version = 2 is supported", path.display());
        }
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut code = None;
        let mut file_mounts = Vec::new();
        for (name, component) in raw.component {
            if let Some(source) = component.source.as_str().map(str::to_owned) {
                if code.replace((source, component)).is_some() {
                    bail!("{}: this harness runs one code component", path.display());
                }
                continue;
            }
            // A prebuilt file server: its routes serve its `files` mounted at "/".
            let Some(files) = component.files.first() else {
                bail!("{}: component {name} has neither a local source nor files", path.display());
            };
            if files.destination != "/" {
                bail!("{}: component {name}: only files mounted at \"/\" are served", path.display());
            }
            for route in raw.trigger.http.iter().filter(|r| r.component == name) {
                let Some(prefix) = route.route.strip_suffix("...") else {
                    bail!("{}: route {} of {name} must end in /...", path.display(), route.route);
                };
                file_mounts.push((prefix.to_owned(), base.join(&files.source)));
            }
        }
        let Some((source, component)) = code else { bail!("{}: no component", path.display()) };
        Ok(Self {
            source: base.join(source),
            allowed_outbound_hosts: component.allowed_outbound_hosts,
            key_value_stores: component.key_value_stores,
            sqlite_databases: component.sqlite_databases,
            app_variables: raw
                .variables
                .into_iter()
                .map(|(name, v)| (name, Variable { default: v.default, required: v.required }))
                .collect(),
            component_variables: component.variables,
            file_mounts,
        })
    }
}
