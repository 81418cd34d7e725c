#!/usr/bin/env bash
# `make test`: the whole suite, as CI runs it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# A CI run builds once from nothing: incremental caches would only cost time and gigabytes of disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
bash scripts/setup.sh

log "format"
cargo fmt --all -- --check
# The Spin cron component (edgetube-spin-cron) also builds on the host, where its unit tests run.
log "clippy (host crates, then the worker for wasm32, then the Spin components for wasm32-wasip2)"
cargo clippy --workspace --exclude edgetube-cloudflare --exclude edgetube-spin --all-targets -- -D warnings
cargo clippy -p edgetube-cloudflare --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p edgetube-spin -p edgetube-spin-cron --target wasm32-wasip2 -- -D warnings
# The portable core is built for both edge targets by the shells' own builds, not a second time:
# the worker bundle compiles it for wasm32-unknown-unknown, the Spin component for wasm32-wasip2.
bash scripts/build-worker.sh
log "the Spin components (the app, its cron tick) and the local Spin harness the end-to-end tests run"
cargo build -p edgetube-spin -p edgetube-spin-cron --target wasm32-wasip2 --release
log "the portable core builds for wasm32-wasip2: every core crate the Spin component does not use"
spin_deps="$(cargo tree -p edgetube-spin --target wasm32-wasip2 -e normal --prefix none | cut -d' ' -f1 | sort -u)"
unused=()
for manifest in functions/*/Cargo.toml; do
  name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1)"
  case "$name" in edgetube-cloudflare | edgetube-spin | edgetube-spin-cron | edgetube-native) continue ;; esac
  grep -qx "$name" <<<"$spin_deps" || unused+=(-p "$name")
done
[ "${#unused[@]}" -eq 0 ] || cargo build "${unused[@]}" --target wasm32-wasip2
cargo build -p edgetube-spin-host
log "unit and end-to-end tests"
# This also builds target/debug/transcode-runner, the runner the end-to-end tests start.
cargo test --workspace --exclude edgetube-cloudflare --exclude edgetube-spin --no-run
[ -x "${CARGO_TARGET_DIR:-target}/debug/transcode-runner" ] || { log "the test build made no debug/transcode-runner"; exit 1; }
# The pipeline suite spends most of its 10 minutes waiting (runner_wake counts an idle runner's
# requests for 600 s), so it runs beside the other suites rather than before or after them, on
# both shells at once: the Worker's runner waits on a socket, the Spin component's on held
# requests. The other Spin runs follow the Spin pipeline in the same background job, inside the
# time the Worker's suites take anyway; the Worker's pipeline is followed by the P2P suite (three
# viewers playing a minute of video in real time), for the same reason.
pipeline_log="$(mktemp)"
(
  pipeline_status=0
  cargo test -p edgetube-e2e --test pipeline || pipeline_status=$?
  log "viewers sharing segments (the P2P suite, after the Worker's pipeline)"
  cargo test -p edgetube-e2e --test p2p || pipeline_status=$?
  exit "$pipeline_status"
) >"$pipeline_log" 2>&1 &
pipeline=$!
spin_log="$(mktemp)"
(
  spin_status=0
  log "the pipeline suite on the Spin component (EDGETUBE_E2E_PLATFORM=spin)"
  EDGETUBE_E2E_PLATFORM=spin cargo test -p edgetube-e2e --test pipeline || spin_status=$?
  log "the same end-to-end suites against the Spin component (EDGETUBE_E2E_PLATFORM=spin)"
  EDGETUBE_E2E_PLATFORM=spin cargo test -p edgetube-e2e --test conformance --test foundation --test api \
    || spin_status=$?
  log "a Worker (A, with the runner) and a Spin instance (B) federating"
  EDGETUBE_E2E_PEER_PLATFORM=spin cargo test -p edgetube-e2e --test federation || spin_status=$?
  exit "$spin_status"
) >"$spin_log" 2>&1 &
spin_runs=$!
others=()
for file in tests/tests/*.rs; do
  name="$(basename "$file" .rs)"
  case "$name" in pipeline | p2p) ;; *) others+=(--test "$name") ;; esac
done
status=0
cargo test --workspace --exclude edgetube-cloudflare --exclude edgetube-spin --exclude edgetube-e2e || status=$?
cargo test -p edgetube-e2e --lib "${others[@]}" || status=$?
wait "$pipeline" || status=$?
log "the pipeline and P2P suites on the Worker (run in parallel with the others)"
cat "$pipeline_log"
wait "$spin_runs" || status=$?
log "the Spin runs (in parallel too): the pipeline, conformance, foundation and API suites, federation with a Worker"
cat "$spin_log"
rm -f "$pipeline_log" "$spin_log"
[ "$status" -eq 0 ] || { log "tests failed"; exit "$status"; }
log "the cost model's arithmetic (scripts/cost_model.py)"
python3 -m unittest scripts/test_cost_model.py
