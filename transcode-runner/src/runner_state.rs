//! `runner.json` in the state directory: the runner token this runner registered with.
//!
//! Kept so that a restarted runner is the same runner to the instance instead of a new entry in
//! the administrator's list each time. The token is a secret: the file is written owner-only and
//! replaced atomically, so a crash never leaves half a token behind.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const STATE_FILE: &str = "runner.json";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunnerState {
    /// The instance origin the token belongs to; a token is worthless anywhere else.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_id: Option<u64>,
    pub runner_token: String,
    pub name: String,
}

impl std::fmt::Debug for RunnerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerState")
            .field("url", &self.url)
            .field("runner_id", &self.runner_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a runner state file", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// The stored state, or `None` when there is none yet.
pub fn load(state_dir: &Path) -> Result<Option<RunnerState>, StateError> {
    let path = state_dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateError::Io { action: "read", path, source }),
    };
    serde_json::from_str(&text).map(Some).map_err(|source| StateError::Invalid { path, source })
}

/// Stores `state`, creating the directory if needed.
pub fn save(state_dir: &Path, state: &RunnerState) -> Result<(), StateError> {
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| StateError::Io { action, path, source }
    };
    std::fs::create_dir_all(state_dir).map_err(io("create", state_dir))?;
    let path = state_dir.join(STATE_FILE);
    let partial = state_dir.join(format!(".{STATE_FILE}.partial"));
    let json = serde_json::to_string_pretty(state).unwrap_or_default() + "\n";
    write_private(&partial, json.as_bytes()).map_err(io("write", &partial))?;
    std::fs::rename(&partial, &path).map_err(io("replace", &path))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_a_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state_dir = dir.path().join("state");
        assert!(load(&state_dir).expect("no state yet").is_none());
        let state = RunnerState {
            url: "http://127.0.0.1:9000".into(),
            runner_id: Some(3),
            runner_token: "ptrt-secret".into(),
            name: "box".into(),
        };
        save(&state_dir, &state).expect("saves");
        assert_eq!(load(&state_dir).expect("loads"), Some(state.clone()));
        assert!(!format!("{state:?}").contains("ptrt-secret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(state_dir.join(STATE_FILE)).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(STATE_FILE), "{").expect("writes");
        assert!(matches!(load(dir.path()), Err(StateError::Invalid { .. })));
    }
}
