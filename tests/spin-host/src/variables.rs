//! `fermyon:spin/variables`: application variables resolved as Spin's environment provider does
//! (`SPIN_VARIABLE_<NAME>`), then from a `NAME=value` file, then the manifest's default; the
//! each component sees its own variables, each a template of application variables.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::bindings::fermyon::spin::variables::{Error, Host};
use crate::manifest::{Component, Manifest};
use crate::state::HostState;

/// The component's variables, resolved once at start (Spin resolves them per read, from the
/// same sources; a restart picks up changes here).
#[derive(Debug, Clone, Default)]
pub struct Resolved(BTreeMap<String, String>);

/// Reads `NAME=value` lines (`#` comments, blank lines allowed).
fn read_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            bail!("{}:{}: expected NAME=value", path.display(), n + 1);
        };
        out.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    Ok(out)
}

/// Expands `{{ name }}` in `template` with the application variables.
fn expand(template: &str, app: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else { bail!("unclosed template {template:?}") };
        let name = rest[start + 2..start + end].trim();
        let Some(value) = app.get(name) else { bail!("template {template:?} names no variable {name}") };
        out.push_str(value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Resolved {
    /// The application's variables: `SPIN_VARIABLE_<NAME>`, then the file, then the default.
    pub fn application(manifest: &Manifest, file: Option<&Path>) -> Result<BTreeMap<String, String>> {
        let from_file = file.map(read_file).transpose()?.unwrap_or_default();
        let mut app = BTreeMap::new();
        for (name, variable) in &manifest.app_variables {
            let from_env = std::env::var(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())).ok();
            let value =
                from_env.or_else(|| from_file.get(name).cloned()).or_else(|| variable.default.clone());
            match value {
                Some(value) => {
                    app.insert(name.clone(), value);
                }
                None if variable.required => {
                    bail!("required variable {name} is not set (SPIN_VARIABLE_{})", name.to_ascii_uppercase())
                }
                None => {}
            }
        }
        Ok(app)
    }

    /// One component's variables, its templates expanded with the application's.
    pub fn component(component: &Component, app: &BTreeMap<String, String>) -> Result<Self> {
        let mut resolved = BTreeMap::new();
        for (name, template) in &component.variables {
            let value = expand(template, app).with_context(|| format!("component {}", component.id))?;
            resolved.insert(name.clone(), value);
        }
        Ok(Self(resolved))
    }
}

impl Host for HostState {
    fn get(&mut self, name: String) -> Result<String, Error> {
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && name.starts_with(|c: char| c.is_ascii_lowercase());
        if !valid {
            return Err(Error::InvalidName(name));
        }
        self.spin.variables.0.get(&name).cloned().ok_or(Error::Undefined(name))
    }
}
