#!/usr/bin/env bash
# Builds the Cloudflare Worker bundle (functions/cloudflare/build/) without reaching GitHub:
# wasm-bindgen comes from scripts/setup.sh and wasm-opt is skipped.
source "$(dirname "$0")/lib.sh"
bash "$(dirname "$0")/build-web.sh"
log "building the worker bundle"
cd "$ROOT/functions/cloudflare"
worker-build --release --no-opt
