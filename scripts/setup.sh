#!/usr/bin/env bash
# Installs what building, running and testing Edgetube needs, skipping what is already there.
# Works on a fresh Debian 12 with the Rust toolchain, Node 20 and apt.
source "$(dirname "$0")/lib.sh"

# shellcheck: tests/tests/deploy.rs lints the deploy script with it.
# chromium: the browser tests (tests/browser/, driven by npm playwright-core).
APT_PACKAGES=(pkg-config libssl-dev ffmpeg curl python3 python3-venv shellcheck chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

for target in wasm32-unknown-unknown wasm32-wasip2; do
  rustup target list --installed | grep -qx "$target" || { log "rustup: adding $target"; rustup target add "$target"; }
done
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

if ! worker-build --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
  log "cargo: installing worker-build $WORKER_BUILD_VERSION"
  cargo install worker-build --version "=$WORKER_BUILD_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  # Without --locked: the locked build of wasm-bindgen-cli misses a dependency on crates.io (several minutes).
  log "cargo: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi
# The S3 server of local Spin instances (scripts/run-spin-instance.sh): s3s-fs stores a bucket as a
# folder. 0.14.1 is the newest that builds with rustc 1.95 (0.15 on need 1.96).
S3S_FS_VERSION=0.14.1
if ! s3s-fs --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
  log "cargo: installing s3s-fs $S3S_FS_VERSION (local S3 for Spin instances)"
  cargo install s3s-fs --version "=$S3S_FS_VERSION" --features binary --locked
fi

# Schemathesis runs PeerTube's OpenAPI document against an instance (tests/tests/schemathesis.rs).
SCHEMATHESIS_VERSION=4.32.5
if ! "$ROOT/.venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "pip: installing schemathesis $SCHEMATHESIS_VERSION into .venv"
  python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

# botocore checks our SigV4 presigned URLs independently (functions/app/tests/direct_uploads.rs).
BOTOCORE_VERSION=1.43.11
if ! "$ROOT/.venv/bin/python3" -c "import botocore, sys; sys.exit(botocore.__version__ != '$BOTOCORE_VERSION')" 2>/dev/null; then
  log "pip: installing botocore $BOTOCORE_VERSION into .venv"
  "$ROOT/.venv/bin/pip" install -q "botocore==$BOTOCORE_VERSION"
fi

# feedparser, a real feed reader, reads our RSS, Atom and JSON feeds back (tests/tests/syndication.rs).
FEEDPARSER_VERSION=6.0.14
if ! "$ROOT/.venv/bin/python3" -c "import feedparser, sys; sys.exit(feedparser.__version__ != '$FEEDPARSER_VERSION')" 2>/dev/null; then
  log "pip: installing feedparser $FEEDPARSER_VERSION into .venv"
  "$ROOT/.venv/bin/pip" install -q "feedparser==$FEEDPARSER_VERSION"
fi

stamp="$ROOT/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
  log "npm: installing from package-lock.json"
  # --ignore-scripts: bittorrent-tracker's client pulls node-datachannel, whose install script builds
  # libdatachannel from GitHub (unreachable offline); the tests drive WebRTC from Chromium instead.
  # esbuild, workerd and sharp need no script: their platform binaries are optional dependencies.
  (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund)
fi
