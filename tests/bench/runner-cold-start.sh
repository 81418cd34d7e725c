#!/usr/bin/env bash
# Job start latency with a cold runner (runners that exist only while there is work): runs the
# end-to-end test tests/tests/runner_launcher.rs RUNS times (default 3) and collects what it
# measures for its first upload, with no runner alive: the launcher's start of the runner and
# the job's acceptance (`startedAt`), each after the instant the upload answered. Each run is a
# fresh instance under wrangler dev, the real fleet object, `transcode-runner launcher` and a
# release runner. Needs the worker bundle and the release runner (scripts/test.sh builds both).
# Prints a markdown table.
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
runs="${RUNS:-3}"
export PATH="$ROOT/node_modules/.bin:$PATH"
echo "| run | runner started after the upload answered (ms) | job accepted after (ms) |"
echo "|---:|---:|---:|"
for run in $(seq 1 "$runs"); do
  line="$(cargo test -q -p edgetube-e2e --test runner_launcher -- --nocapture 2>&1 | grep '^cold start:' || true)"
  [ -n "$line" ] || { echo "run $run: the test did not report a cold start" >&2; exit 1; }
  started="$(sed -n 's/.*runner started \([0-9]*\) ms.*/\1/p' <<<"$line")"
  accepted="$(sed -n 's/.*job accepted \([0-9]*\) ms.*/\1/p' <<<"$line")"
  echo "| $run | $started | $accepted |"
done
