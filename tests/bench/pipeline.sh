#!/usr/bin/env bash
# Time to playable: from "upload complete" (the upload's HTTP answer) to the first playable
# rendition (the video published, its master listing one rendition) and to the full ladder
# (the job completed), through the whole pipeline: a local instance under wrangler dev, the
# emulated R2 event, the queue consumer, one `transcode-runner run` (release build) with ffmpeg.
#
# Input: the 5 s fixture looped to 60 s and scaled to 1080p (the same input as
# tests/bench/transcode.sh). For each runner mode in MODES (default "true false": the runner's
# `--lowest-first` on, its default, then off), a fresh runner takes RUNS uploads (default 3) of
# that file, one after the other, each timed separately; both modes share one instance and run.
# The baseline in the same run is the runner's own encode time for the job (from its log), so
# the overhead of the pipeline around ffmpeg shows.
# Prints a markdown table. Exits non-zero if a job does not complete.
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
runs="${RUNS:-3}"
modes="${MODES:-true false}"
fixtures="${EDGETUBE_FIXTURES:-$ROOT/../shared/fixtures}"
work="$(mktemp -d)"
instance_pid=""
runner_pid=""
cleanup() {
  [ -n "$runner_pid" ] && kill -TERM -- "-$runner_pid" 2>/dev/null
  [ -n "$instance_pid" ] && kill -TERM -- "-$instance_pid" 2>/dev/null
  sleep 1
  [ -n "$runner_pid" ] && kill -KILL -- "-$runner_pid" 2>/dev/null
  [ -n "$instance_pid" ] && kill -KILL -- "-$instance_pid" 2>/dev/null
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

[ -f functions/cloudflare/build/index.js ] || bash scripts/build-worker.sh
cargo build --release -p transcode-runner >/dev/null 2>&1
target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

input="$work/bbb-1080p-60s.mp4"
ffmpeg -v error -stream_loop 11 -i "$fixtures/video/big-buck-bunny-720p-5s.mp4" -t 60 \
  -vf scale=-2:1080 -c:v libx264 -preset veryfast -crf 16 -c:a aac "$input"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
origin="http://127.0.0.1:$port"
EDGETUBE_VARS="API_RATE_LIMIT:100000/10" EDGETUBE_ADMIN_PASSWORD=bench-password setsid bash scripts/run-instance.sh "$port" "$work/state" >"$work/wrangler.log" 2>&1 &
instance_pid=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null "$origin/api/v1/config" && break; sleep 1; done
registration="$(sed -n 's/^RUNNER_REGISTRATION_TOKEN=//p' "$work/state/.dev.vars")"
start_runner() {
  setsid "$target_dir/release/transcode-runner" run --url "$origin" --registration-token "$registration" \
    --state-dir "$work/runner-$1" --name "bench-$1" --lowest-first "$1" >"$work/runner-$1.log" 2>&1 &
  runner_pid=$!
}
stop_runner() {
  kill -TERM -- "-$runner_pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$runner_pid" 2>/dev/null || break; sleep 0.5; done
  runner_pid=""
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
client="$(curl -sf "$origin/api/v1/oauth-clients/local")"
token="$(curl -sf "$origin/api/v1/users/token" -d "client_id=$(echo "$client" | json 'd["client_id"]')" \
  -d "client_secret=$(echo "$client" | json 'd["client_secret"]')" -d grant_type=password \
  -d username=root -d password=bench-password | json 'd["access_token"]')"
channel="$(curl -sf -H "Authorization: Bearer $token" "$origin/api/v1/users/me" | json 'd["videoChannels"][0]["id"]')"
now() { python3 -c 'import time; print(time.time())'; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $(du -h "$input" | cut -f1) 1080p 60 s; runs: $runs"
echo
echo "| lowest-first | run | upload (s) | first playable rendition (s) | full ladder (s) | runner encode step (s) | load before |"
echo "|---|---|---:|---:|---:|---:|---:|"
for mode in $modes; do
start_runner "$mode"
log="$work/runner-$mode.log"
for run in $(seq 1 "$runs"); do
  load="$(cut -d' ' -f1 /proc/loadavg)"
  started="$(now)"
  uuid="$(curl -sf -H "Authorization: Bearer $token" -F "name=Bench $mode $run" -F "channelId=$channel" -F privacy=1 \
    -F "videofile=@$input" "$origin/api/v1/videos/upload" | json 'd["video"]["uuid"]')"
  uploaded="$(now)"
  first=""
  # Bounded: at most 20 minutes per run, polling every 500 ms.
  for _ in $(seq 1 2400); do
    details="$(curl -sf -H "Authorization: Bearer $token" "$origin/api/v1/videos/$uuid")"
    files="$(echo "$details" | json 'len(d["streamingPlaylists"][0]["files"]) if d["streamingPlaylists"] else 0')"
    if [ -z "$first" ] && [ "$files" -ge 1 ]; then first="$(now)"; fi
    state="$(curl -sf -H "Authorization: Bearer $token" "$origin/api/v1/runners/jobs?count=100" \
      | json "next((j['state']['id'] for j in d['data'] if j['payload']['videoUUID']=='$uuid'), 0)")"
    [ "$state" = 4 ] && { echo "job failed" >&2; tail -20 "$log" >&2; exit 1; }
    [ "$state" = 3 ] && break
    sleep 0.5
  done
  [ "$state" = 3 ] || { echo "job did not complete" >&2; exit 1; }
  done_at="$(now)"
  encode="$(grep -o 'encode_seconds[^,}]*' "$log" | tail -1 | grep -o '[0-9.]*' || echo n/a)"
  python3 -c "print(f'| $mode | $run | {$uploaded-$started:.1f} | {$first-$uploaded:.1f} | {$done_at-$uploaded:.1f} | $encode | $load |')"
done
stop_runner
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
