#!/usr/bin/env bash
# Page weight and time to first frame of the watch page, cold (a new browser profile) and warm
# (the same page again), in Debian's Chromium against one local instance with a published video
# (the 5 s fixture, transcoded by the real runner). Prints a table; BENCHMARKS.md has the results.
#   bash tests/bench/pages.sh            (RUNS=5 by default)
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
fixtures="${EDGETUBE_FIXTURES:-$ROOT/../shared/fixtures}"
log() { echo "pages.sh: $*" >&2; }
source "$ROOT/tests/bench/instance.sh"

[ -f functions/cloudflare/build/index.js ] || bash scripts/build-worker.sh
cargo build --release -p transcode-runner >/dev/null 2>&1
target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
start_instance 120
token=$(sed -n 's/^RUNNER_REGISTRATION_TOKEN=//p' "$state/.dev.vars")
password=$(sed -n 's/^ADMIN_PASSWORD=//p' "$state/.dev.vars")
setsid "$target_dir/release/transcode-runner" run --url "$base" --registration-token "$token" \
  --name bench-runner --state-dir "$work/runner" > "$work/runner.log" 2>&1 &
runner=$!
trap 'kill -- -"$runner" 2>/dev/null || true; cleanup' EXIT
node tests/bench/pages.mjs "$base" "$password" "$fixtures/video/big-buck-bunny-720p-5s.mp4" "${RUNS:-5}"
