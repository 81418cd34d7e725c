#!/usr/bin/env bash
# Measures the cost model's per-operation counts on one local instance (wrangler dev, the real
# transcode-runner, real ffmpeg) and writes them to tests/bench/cost-counts.json (OUT to change);
# then prints the monthly bills from scripts/cost_model.py.
#
# Phases (tests/bench/cost_measure.py): one Cron Trigger run (x3); 30 s with nothing running;
# one idle runner connected for IDLE_SECONDS (default 120); one upload of the 5 s fixture looped
# to DURATION seconds (default 60) and scaled to 1080p, transcoded and published by a runner under
# /usr/bin/time -v; one viewer watching that video to the end (video JSON, master and one
# rendition playlist at VIEW_RESOLUTION (default 720), every segment, a views POST every 5 s).
# The instance counts billable operations itself when BENCH_ENDPOINTS is true
# (functions/cloudflare/src/metered.rs, GET /__bench/counts).
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
duration="${DURATION:-60}"
idle_seconds="${IDLE_SECONDS:-120}"
out="${OUT:-$ROOT/tests/bench/cost-counts.json}"
fixtures="${EDGETUBE_FIXTURES:-$ROOT/../shared/fixtures}"
log() { echo "cost.sh: $*" >&2; }

source "$ROOT/tests/bench/instance.sh"

[ -f functions/cloudflare/build/index.js ] || bash scripts/build-worker.sh
cargo build --release -p transcode-runner >/dev/null 2>&1
target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

input="$work/bbb-1080p-${duration}s.mp4"
loops=$(( (duration + 4) / 5 ))
ffmpeg -v error -stream_loop "$loops" -i "$fixtures/video/big-buck-bunny-720p-5s.mp4" -t "$duration" \
  -vf scale=-2:1080 -c:v libx264 -preset veryfast -crf 16 -c:a aac "$input"

# Rate limits high enough that the simulated player's requests are not refused.
export EDGETUBE_VARS="API_RATE_LIMIT:100000/10 ${EDGETUBE_VARS:-}"
start_instance 120

python3 "$ROOT/tests/bench/cost_measure.py" --base "$base" --state "$state" --group "$pid" \
  --runner "$target_dir/release/transcode-runner" --input "$input" --input-seconds "$duration" \
  --idle-seconds "$idle_seconds" --view-resolution "${VIEW_RESOLUTION:-720}" --work "$work" --out "$out"
python3 "$ROOT/scripts/cost_model.py" "$out"
