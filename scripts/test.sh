#!/usr/bin/env bash
# `make test`: the whole suite, as CI runs it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh

log "format"
cargo fmt --all -- --check
log "clippy (host crates, then the worker for wasm32, then the Spin component for wasm32-wasip2)"
cargo clippy --workspace --exclude edgetube-cloudflare --exclude edgetube-spin --all-targets -- -D warnings
cargo clippy -p edgetube-cloudflare --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p edgetube-spin --target wasm32-wasip2 -- -D warnings
# wasm32-unknown-unknown is covered by the worker bundle below, which compiles the whole core for it.
log "the portable core builds for wasm32-wasip2 (Spin)"
CORE=(-p edgetube-ports -p edgetube-ports-conformance -p edgetube-sigv4 -p edgetube-domain -p edgetube-media -p edgetube-activitypub -p edgetube-federation -p edgetube-manifest -p edgetube-runner-protocol -p edgetube-tracker -p edgetube-problem -p edgetube-api -p edgetube-app)
cargo build "${CORE[@]}" --target wasm32-wasip2
bash scripts/build-worker.sh
log "the Spin component and the local Spin harness the end-to-end tests run"
cargo build -p edgetube-spin --target wasm32-wasip2 --release
cargo build -p edgetube-spin-host
log "the transcode runner the end-to-end tests run (release: it hashes every segment)"
cargo build --release -p transcode-runner
log "unit and end-to-end tests"
cargo test --workspace --exclude edgetube-cloudflare --exclude edgetube-spin
log "the same end-to-end suites against the Spin component (EDGETUBE_E2E_PLATFORM=spin)"
EDGETUBE_E2E_PLATFORM=spin cargo test -p edgetube-e2e --test conformance --test foundation --test api
log "a Worker (A, with the runner) and a Spin instance (B) federating"
EDGETUBE_E2E_PEER_PLATFORM=spin cargo test -p edgetube-e2e --test federation
log "the cost model's arithmetic (scripts/cost_model.py)"
python3 -m unittest scripts/test_cost_model.py
