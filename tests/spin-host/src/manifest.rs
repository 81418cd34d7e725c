//! The parts of `spin.toml` (manifest version 2) this harness honours: the HTTP component's
//! source, its outbound hosts, stores and databases, and the application's variables with the
//! component's templates. Whatever else Spin reads is ignored here (README: where it differs).

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
}

#[derive(Deserialize)]
struct RawVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
struct RawComponent {
    source: String,
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
}

impl Manifest {
    /// Reads `spin.toml`; the component's source is relative to the manifest's folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let raw: Raw = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if raw.spin_manifest_version != 2 {
            bail!("{}: only spin_manifest_version = 2 is supported", path.display());
        }
        let mut components = raw.component.into_iter();
        let Some((_, component)) = components.next() else { bail!("{}: no component", path.display()) };
        if components.next().is_some() {
            bail!("{}: this harness serves one component", path.display());
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Self {
            source: base.join(component.source),
            allowed_outbound_hosts: component.allowed_outbound_hosts,
            key_value_stores: component.key_value_stores,
            sqlite_databases: component.sqlite_databases,
            app_variables: raw
                .variables
                .into_iter()
                .map(|(name, v)| (name, Variable { default: v.default, required: v.required }))
                .collect(),
            component_variables: component.variables,
        })
    }
}
