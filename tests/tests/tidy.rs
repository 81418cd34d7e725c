//! Tidiness the code map promises, checked on every `make test`: the portable core stays free of
//! platform crates, and every source file says what it is for in a `//!` doc.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use edgetube_e2e::repo_root;
use serde_json::Value;

/// Crates that tie code to one platform or runtime.
const PLATFORM_CRATES: &[&str] = &["worker", "wasm-bindgen", "web-sys", "spin-sdk", "tokio"];

/// Crates under `functions/` allowed to depend on them: the platform shells.
const SHELLS: &[&str] = &["edgetube-cloudflare", "edgetube-spin", "edgetube-spin-cron"];

/// `cargo metadata` of the workspace.
fn metadata() -> Result<Value> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(repo_root())
        .output()
        .context("running cargo metadata")?;
    ensure!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    Ok(serde_json::from_slice(&output.stdout)?)
}

#[test]
fn the_core_depends_on_no_platform_crate() -> Result<()> {
    let metadata = metadata()?;
    let root = repo_root().join("functions").canonicalize()?;
    let packages = metadata["packages"].as_array().context("packages")?;
    let name_of: BTreeMap<&str, &str> =
        packages.iter().filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?))).collect();
    let core: BTreeSet<&str> = packages
        .iter()
        .filter(|p| p["manifest_path"].as_str().is_some_and(|m| Path::new(m).starts_with(&root)))
        .filter_map(|p| p["name"].as_str())
        .filter(|name| !SHELLS.contains(name))
        .collect();
    ensure!(core.len() >= 7, "found only {core:?} under functions/");
    // Normal and build dependencies of every package, by name (dev-dependencies are the tests').
    let mut uses: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"].as_array().context("resolve")? {
        let from = name_of.get(node["id"].as_str().unwrap_or_default()).copied().unwrap_or_default();
        for dep in node["deps"].as_array().into_iter().flatten() {
            let shipped =
                dep["dep_kinds"].as_array().into_iter().flatten().any(|k| k["kind"].as_str() != Some("dev"));
            if let (true, Some(to)) = (shipped, dep["pkg"].as_str().and_then(|id| name_of.get(id))) {
                uses.entry(from).or_default().insert(to);
            }
        }
    }
    let mut offences = Vec::new();
    for krate in &core {
        // Everything the crate builds with, directly or through other crates.
        let mut seen = BTreeSet::new();
        let mut stack = vec![*krate];
        while let Some(next) = stack.pop() {
            for dep in uses.get(next).into_iter().flatten() {
                if seen.insert(*dep) {
                    stack.push(dep);
                }
            }
        }
        for platform in PLATFORM_CRATES {
            // wasm-bindgen may come in under a dependency's wasm32 support (random numbers from
            // the JavaScript host); the core itself must not name it.
            let direct = uses.get(krate).is_some_and(|d| d.contains(platform));
            let reached = seen.contains(platform) && *platform != "wasm-bindgen";
            if direct || reached {
                offences.push(format!("{krate} depends on {platform}"));
            }
        }
    }
    ensure!(offences.is_empty(), "the portable core must stay platform-free:\n{}", offences.join("\n"));
    Ok(())
}

#[test]
fn every_source_file_starts_with_its_purpose() -> Result<()> {
    let output = Command::new("git")
        .args(["ls-files", "--cached", "--others", "--exclude-standard", "*.rs"])
        .current_dir(repo_root())
        .output()
        .context("running git ls-files")?;
    ensure!(output.status.success(), "git ls-files failed");
    let files = String::from_utf8(output.stdout)?;
    let mut undocumented = Vec::new();
    let mut count = 0;
    for file in files.lines().filter(|f| !f.starts_with("fuzz/target/")) {
        let Ok(text) = std::fs::read_to_string(repo_root().join(file)) else { continue };
        count += 1;
        let first = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default();
        if !first.starts_with("//!") {
            undocumented.push(file.to_owned());
        }
    }
    ensure!(count > 100, "found only {count} Rust files");
    ensure!(
        undocumented.is_empty(),
        "these files do not start with a `//!` doc saying what they are for:\n{}",
        undocumented.join("\n")
    );
    Ok(())
}
