# Shared by the scripts: paths and the pinned tool versions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
WORKER_BUILD_VERSION=0.8.7
# worker-build refuses a wasm-bindgen CLI other than the one in Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3}' "$ROOT/Cargo.lock")"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
# Each step says how long the run has taken so far (from the first script that sourced this file,
# across the scripts it calls), so a slow `make test` shows where its time goes.
export EDGETUBE_STARTED_AT="${EDGETUBE_STARTED_AT:-$(date +%s)}"
log() {
  local elapsed=$(($(date +%s) - EDGETUBE_STARTED_AT))
  printf '\033[1m==> [%dm%02ds] %s\033[0m\n' $((elapsed / 60)) $((elapsed % 60)) "$*" >&2
}
