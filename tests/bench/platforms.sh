#!/usr/bin/env bash
# The same requests on both shells, measured in one run (issue 13, "Measure").
#
# Starts one Worker instance (scripts/run-instance.sh: wrangler dev / workerd) and one Spin
# instance (scripts/run-spin-instance.sh: the component under the local harness
# edgetube-spin-host, media in s3s-fs) on free loopback ports with temporary state folders, seeds
# the same rows into both (VIDEOS published public videos, a remote actor with its key as the
# inbox caches it, one HLS master playlist in each one's storage), then measures:
#   1. per request, N sequential requests after WARMUP, sent to the two instances alternately:
#      GET /api/v1/config, GET /api/v1/videos?count=15, a signed inbox POST (a draft-cavage
#      signed `Like` of a seeded video, a new activity id each time) and GET of the HLS master
#      playlist; client wall time (median, p90; Python http.client, a new connection each) and
#      CPU per request: the delta of utime+stime in /proc of the instance's processes over the
#      N requests, divided by N. That is process CPU, the runtime's own overhead included:
#      neither wrangler dev nor the harness reports CPU per invocation.
#   2. RSA-2048 inside each shell through /__bench/crypto (edgetube-bench, the same code in
#      both): sign, verify, the inbox's whole verification and a delivery's signing; Spin (the
#      pure-Rust `rsa` crate under wasmtime) against the Worker's WebCrypto and the Worker's
#      pure-Rust `rsa`, RUNS x CRYPTO_N operations each, median per operation.
# Prints markdown tables with the Spin / Worker ratios of this run and the load average before
# and after. Benchmarks are not tests: this is not part of `make test`.
#
# Run: bash tests/bench/platforms.sh   (5-10 minutes; needs the worker bundle
#      (scripts/build-worker.sh), the Spin component (cargo build -p edgetube-spin --target
#      wasm32-wasip2 --release), the harness (cargo build -p edgetube-spin-host), s3s-fs
#      (scripts/setup.sh), python3 and openssl)
# Knobs: N (200), WARMUP (20), VIDEOS (50), RUNS (3), CRYPTO_N (20).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=${N:-200}
WARMUP=${WARMUP:-20}
VIDEOS=${VIDEOS:-50}
RUNS=${RUNS:-3}
CRYPTO_N=${CRYPTO_N:-20}
PYTHON=python3
VIDEO_UUID=00000000-0000-4000-8000-000000000001
log() { printf '==> %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ -f "$ROOT/functions/cloudflare/build/index.js" ] || die "no worker bundle: bash scripts/build-worker.sh"
[ -f "$ROOT/target/wasm32-wasip2/release/edgetube_spin.wasm" ] \
  || die "no Spin component: cargo build -p edgetube-spin --target wasm32-wasip2 --release"
[ -x "$ROOT/target/debug/edgetube-spin-host" ] || die "no Spin harness: cargo build -p edgetube-spin-host"
command -v openssl > /dev/null || die "no openssl"
export PATH="$ROOT/node_modules/.bin:$PATH"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
work=$(mktemp -d)
cf_state="$work/worker"
spin_state="$work/spin"
cf_port=$(free_port)
spin_port=$(free_port)
cf_pid=""
spin_pid=""

# Stops one instance's process group (started with setsid: its leader's PID is the group's id).
stop_group() {
  local group=$1
  [ -n "$group" ] || return 0
  kill -- -"$group" 2>/dev/null || true
  wait "$group" 2>/dev/null || true
  # workerd outlives wrangler by a few seconds: wait for the whole group (at most 10 s), then KILL.
  for _ in $(seq 1 50); do kill -0 -- -"$group" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- -"$group" 2>/dev/null || true
}
cleanup() {
  local status=$?
  stop_group "$cf_pid"
  stop_group "$spin_pid"
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# No API rate limit in the way of 200 sequential requests; on Spin, no scheduler ticks during the
# run (each would be a component invocation on the measured process).
export EDGETUBE_VARS="API_RATE_LIMIT:100000000/10"
log "starting a Worker instance on 127.0.0.1:$cf_port and a Spin instance on 127.0.0.1:$spin_port"
setsid bash "$ROOT/scripts/run-instance.sh" "$cf_port" "$cf_state" > "$work/worker.log" 2>&1 &
cf_pid=$!
EDGETUBE_TICK_SECONDS=3600 setsid bash "$ROOT/scripts/run-spin-instance.sh" "$spin_port" "$spin_state" \
  > "$work/spin.log" 2>&1 &
spin_pid=$!

wait_for() {
  local name=$1 port=$2 group=$3 logfile=$4
  for _ in $(seq 1 240); do
    curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$port/api/v1/config" && return 0
    kill -0 "$group" 2>/dev/null || { tail -n 40 "$logfile" >&2; die "the $name instance exited"; }
    sleep 1
  done
  tail -n 40 "$logfile" >&2
  die "the $name instance did not answer in 240 s"
}
wait_for Worker "$cf_port" "$cf_pid" "$work/worker.log"
wait_for Spin "$spin_port" "$spin_pid" "$work/spin.log"

# --- the same rows in both -------------------------------------------------------------------
log "seeding $VIDEOS videos, a remote actor and an HLS master playlist into both"
"$PYTHON" "$ROOT/tests/bench/platforms_measure.py" keygen "$work"
"$PYTHON" "$ROOT/tests/bench/platforms_measure.py" seed "$work" "$VIDEOS" "$(date +%s%3N)" > "$work/seed.sql"
"$PYTHON" "$ROOT/tests/bench/platforms_measure.py" playlist > "$work/master.m3u8"
key="hls/$VIDEO_UUID/$VIDEO_UUID-master.m3u8"
(cd "$ROOT" && wrangler d1 execute DB --local --persist-to "$cf_state" --config "$ROOT/wrangler.toml" \
  --file "$work/seed.sql" --yes > "$work/seed.log" 2>&1) || { tail -n 20 "$work/seed.log" >&2; die "seeding D1 failed"; }
(cd "$ROOT" && wrangler r2 object put "edgetube-media/$key" --local --persist-to "$cf_state" \
  --config "$ROOT/wrangler.toml" --file "$work/master.m3u8" --content-type application/vnd.apple.mpegurl \
  > "$work/r2.log" 2>&1) || { tail -n 20 "$work/r2.log" >&2; die "putting the playlist into R2 failed"; }
"$PYTHON" - "$spin_state/default.db" "$work/seed.sql" <<'PY' || die "seeding the Spin database failed"
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=10)
connection.executescript(open(sys.argv[2]).read())
connection.commit()
PY
# s3s-fs keeps each object as a file under <root>/<bucket>/<key> (its ETag is the file's MD5;
# the media route names the content type from the file name).
mkdir -p "$spin_state/s3/media/hls/$VIDEO_UUID"
cp "$work/master.m3u8" "$spin_state/s3/media/$key"

for port in "$cf_port" "$spin_port"; do
  total=$(curl -sf "http://127.0.0.1:$port/api/v1/videos?count=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  [ "$total" = "$VIDEOS" ] || die "127.0.0.1:$port lists $total videos, expected $VIDEOS"
done

# --- 1. per request ------------------------------------------------------------------------
log "load before: $load_before; $N requests of each kind per instance after $WARMUP of warm-up"
cat > "$work/measure.json" <<JSON
{"n": $N, "warmup": $WARMUP, "videos": $VIDEOS, "key": "$work/peer.pem", "settle_seconds": 3, "results": "$work/results.json",
 "worker": {"port": $cf_port, "group": $cf_pid}, "spin": {"port": $spin_port, "group": $spin_pid}}
JSON
"$PYTHON" "$ROOT/tests/bench/platforms_measure.py" measure "$work/measure.json" > "$work/requests.md" \
  || { tail -n 30 "$work/worker.log" "$work/spin.log" >&2; die "the per-request measurement failed"; }

# The signed Likes were applied, not only acknowledged: one remote actor's Likes count once.
for port in "$cf_port" "$spin_port"; do
  likes=$(curl -sf "http://127.0.0.1:$port/api/v1/videos/$VIDEO_UUID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["likes"])')
  [ "$likes" = 1 ] || die "127.0.0.1:$port: the video has $likes likes after the signed Likes, expected 1"
done

# --- 2. RSA-2048 inside each shell ---------------------------------------------------------
# per_op PORT IMPL OP: the median over RUNS of elapsed_ms_inside / CRYPTO_N.
per_op() {
  local port=$1 impl=$2 op=$3 values=()
  for _ in $(seq 1 "$RUNS"); do
    curl -sS -f --max-time 600 -o "$work/crypto.json" \
      "http://127.0.0.1:$port/__bench/crypto?impl=$impl&op=$op&n=$CRYPTO_N" || die "$port $impl/$op failed"
    values+=("$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b["elapsed_ms_inside"]/int(sys.argv[2]))' "$work/crypto.json" "$CRYPTO_N")")
  done
  printf '%s\n' "${values[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
log "RSA-2048 inside each shell: $RUNS x $CRYPTO_N operations per case"
{
  echo "### RSA-2048 inside each shell (/__bench/crypto, $RUNS x $CRYPTO_N operations, median ms per operation)"
  echo
  echo "| operation | Worker WebCrypto | Worker pure Rust \`rsa\` | Spin pure Rust \`rsa\` (wasmtime) | Spin / Worker WebCrypto | Spin / Worker Rust |"
  echo "|---|---:|---:|---:|---:|---:|"
  for op in sign verify inbox delivery; do
    web=$(per_op "$cf_port" webcrypto "$op")
    rust=$(per_op "$cf_port" rust "$op")
    spin=$(per_op "$spin_port" port "$op")
    case $op in
      sign) label="sign (PKCS#8 import + RSA-2048 SHA-256)" ;;
      verify) label="verify (SPKI import + RSA-2048 SHA-256)" ;;
      inbox) label="inbox: verify a signed 9 kB POST (plan + RSA)" ;;
      delivery) label="delivery: sign one POST (Digest + RSA)" ;;
    esac
    echo "| $label | $web | $rust | $spin | $(ratio "$spin" "$web") | $(ratio "$spin" "$rust") |"
  done
} > "$work/crypto.md"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat "$work/requests.md"
echo
cat "$work/crypto.md"
echo
echo "Load average before: $load_before; after: $load_after. N=$N, WARMUP=$WARMUP, VIDEOS=$VIDEOS."
