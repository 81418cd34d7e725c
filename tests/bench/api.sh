#!/usr/bin/env bash
# REST API benchmarks: password KDF, per-request cost, load (issue: PeerTube-compatible REST API).
#
# Measures, in one local instance (wrangler dev / workerd) started by this script:
#   1. the CPU of the password KDF: PBKDF2-HMAC-SHA256 at the password hashes' 100,000
#      iterations, through WebCrypto (crypto.subtle) and through the pure-Rust `pbkdf2` crate
#      compiled to wasm (the baseline), using /__bench/crypto?op=pbkdf2. 3 runs of n=5 hashes per
#      implementation; the median per-hash time (elapsed_ms_inside / n) is reported with min-max,
#      the ratio rust/webcrypto, and how it compares with the Workers Free plan's 10 ms CPU per
#      request and the Paid plan's 30 s default;
#   2. the client-side wall time (curl %{time_total}) of POST /api/v1/users/token (median of 20
#      sequential logins) and of GET /api/v1/videos?count=15 with a bearer token (median of 200
#      sequential requests), against the baseline GET /api/v1/config (anonymous, no D1; median of
#      200) measured in the same run. Anonymous GET /api/v1/videos?count=15 is shown as well, to
#      separate the token check from the listing;
#   3. wrk (-t1, 20 s, --latency) against GET /api/v1/videos?count=15 (anonymous, 1,000 seeded
#      published public videos) and the baseline GET /api/v1/config, at -c8 and at -c32:
#      requests/s and p50/p99 latency, with ratios against the baseline.
# Every /api/ request also passes the API rate limiter (one Durable Object round trip), baseline
# included; both limits are raised so that no request is refused.
# Alongside the wall times, the CPU time the instance's processes used during each measured block
# (utime+stime from /proc of its process group) is divided by the requests made: a figure that
# other load on the machine inflates much less than wall time does. It is split into the runtime
# workerd (the worker, D1's SQLite and the Durable Objects) and wrangler's local proxy (the workerd
# that listens on PORT, plus wrangler's node process), which has no counterpart on Cloudflare.
# For the KDF, the CPU of the RSA key each /__bench call makes first is measured separately
# (webcrypto sign n=1 calls) and subtracted.
# Prints markdown tables. Exits non-zero if any request answers non-2xx (or with an unexpected
# body), or if wrk reports non-2xx/3xx responses or socket errors.
#
# Run: bash tests/bench/api.sh        (about 3 minutes; needs wrk (apt-get install wrk), python3,
#                                      and the bundle from scripts/build-worker.sh, which it builds
#                                      if missing)
# Knobs: WRK_DURATION (default 20s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/functions/cloudflare/build"
WRANGLER="$ROOT/node_modules/.bin/wrangler"
WRK_DURATION="${WRK_DURATION:-20s}"
KDF_RUNS=3
KDF_N=5
KDF_SETUP_CALLS=10
LOGINS=20
GETS=200
SEEDED=1000

log() { printf '==> %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

command -v wrk > /dev/null || die "wrk not found: apt-get install -y wrk"
command -v python3 > /dev/null || die "python3 not found"
if [ ! -f "$BUILD/index.js" ] || [ ! -f "$BUILD/index_bg.wasm" ]; then
  log "no worker bundle: building it (scripts/build-worker.sh)"
  bash "$ROOT/scripts/build-worker.sh"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- one local instance -----------------------------------------------------------------------
export EDGETUBE_VARS="API_RATE_LIMIT:100000000/10 LOGIN_RATE_LIMIT:100000000/10${EDGETUBE_VARS:+ $EDGETUBE_VARS}"
# shellcheck source=tests/bench/instance.sh
source "$ROOT/tests/bench/instance.sh"
start_instance 120
admin_password=$(sed -n 's/^ADMIN_PASSWORD=//p' "$state/.dev.vars")
[ -n "$admin_password" ] || die "no ADMIN_PASSWORD in $state/.dev.vars"

fail_request() { tail -n 20 "$work/instance.log" >&2; die "$*"; }

# The workerd process that listens on $port: wrangler's local proxy in front of the runtime.
proxy_pid=$(python3 "$ROOT/tests/bench/procs.py" listening-pid "$pid" "$port")
[ -n "$proxy_pid" ] || die "cannot find the process listening on $port"

# CPU clock ticks used so far by the instance's process group:
# "runtime_workerd_ticks proxy_ticks" (proxy = the workerd on $port + wrangler's node and the rest).
cpu_ticks() {
  python3 - "$pid" "$proxy_pid" <<'EOF'
import os, sys
group, proxy, runtime, other = int(sys.argv[1]), sys.argv[2], 0, 0
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    if int(fields[2]) == group:
        ticks = int(fields[11]) + int(fields[12])
        if comm == "workerd" and p != proxy:
            runtime += ticks
        else:
            other += ticks
print(runtime, other)
EOF
}
# Records "label requests runtime_ticks proxy_ticks" for the block since the matching cpu_start.
cpu_start() { cpu_before=$(cpu_ticks); }
cpu_stop() {
  local after w0 o0 w1 o1
  after=$(cpu_ticks)
  read -r w0 o0 <<< "$cpu_before"
  read -r w1 o1 <<< "$after"
  echo "$1 $2 $((w1 - w0)) $((o1 - o0))" >> "$work/cpu.txt"
}
: > "$work/cpu.txt"

# --- 1. PBKDF2 inside the Worker --------------------------------------------------------------
# One request: prints "impl n elapsed_ms_inside time_total_s"; fails unless a 32-byte key came out.
kdf() {
  local impl=$1 n=$2 wall
  wall=$(curl -sS -f --max-time 300 -o "$work/kdf.json" -w '%{time_total}' \
    "$base/__bench/crypto?impl=$impl&op=pbkdf2&n=$n") || fail_request "pbkdf2 $impl n=$n failed"
  python3 - "$impl" "$n" "$wall" "$work/kdf.json" <<'EOF'
import json, sys
impl, n, wall, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
raw = open(path).read()
try:
    body = json.loads(raw)
except ValueError:
    sys.exit(f"pbkdf2 {impl}: not JSON: {raw[:200]!r}")
if body.get("impl") != impl or body.get("op") != "pbkdf2" or body.get("n") != n or body.get("output_len") != 32:
    sys.exit(f"pbkdf2 {impl}: unexpected answer {raw[:200]!r}")
print(impl, n, body["elapsed_ms_inside"], wall)
EOF
}

log "PBKDF2 warm-up"
kdf webcrypto 1 > /dev/null
kdf rust 1 > /dev/null
# The setup each call makes (one RSA-2048 key through WebCrypto), measured as webcrypto sign n=1
# calls (one RSA signature on top, ~1 ms), to net it out of the KDF's CPU figure.
log "RSA setup cost: $KDF_SETUP_CALLS calls"
cpu_start
for _ in $(seq 1 "$KDF_SETUP_CALLS"); do
  curl -sS -f --max-time 60 -o /dev/null "$base/__bench/crypto?impl=webcrypto&op=sign&n=1" \
    || fail_request "setup-cost call failed"
done
cpu_stop kdf_setup "$KDF_SETUP_CALLS"
: > "$work/kdf.txt"
for impl in webcrypto rust; do
  cpu_start
  for run in $(seq 1 "$KDF_RUNS"); do
    line=$(kdf "$impl" "$KDF_N")
    log "pbkdf2 $impl n=$KDF_N run $run/$KDF_RUNS: $line"
    echo "$line" >> "$work/kdf.txt"
  done
  cpu_stop "kdf_$impl" "$KDF_RUNS"
done

# --- 2. sequential request cost ---------------------------------------------------------------
# Appends "label status time_total_s" per request to $work/seq.txt; fails on a non-2xx answer.
# Extra arguments go to curl. The body of the last request stays in $work/body.json.
timed() {
  local label=$1 count=$2 url=$3; shift 3
  local i out code
  for i in $(seq 1 "$count"); do
    out=$(curl -sS --max-time 60 -o "$work/body.json" -w '%{http_code} %{time_total}' "$@" "$url") \
      || fail_request "$label: curl failed"
    code=${out%% *}
    case "$code" in 2??) ;; *) cat "$work/body.json" >&2; echo >&2; fail_request "$label: HTTP $code" ;; esac
    [ "$label" = warmup ] || echo "$label $out" >> "$work/seq.txt"
  done
}

client=$(curl -sS -f "$base/api/v1/oauth-clients/local") || fail_request "GET /oauth-clients/local failed"
client_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<< "$client")
client_secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<< "$client")
login_args=(-X POST --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$client_secret"
  --data-urlencode grant_type=password --data-urlencode username=root --data-urlencode "password=$admin_password")

: > "$work/seq.txt"
log "warm-up (config, login, videos)"
timed warmup 10 "$base/api/v1/config"
timed warmup 2 "$base/api/v1/users/token" "${login_args[@]}"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$work/body.json")
[ -n "$token" ] || die "no access_token"
timed warmup 10 "$base/api/v1/videos?count=15" -H "Authorization: Bearer $token"

# Seed the videos before measuring the listing, so that section 2 and section 3 list the same
# 1,000 rows. root_channel exists since the first request.
log "seeding $SEEDED videos"
PYTHONPATH="$ROOT/tests/bench" python3 - "$SEEDED" > "$state/seed.sql" <<'EOF'
import sys
from peertube_ids import short_uuid
for i in range(1, int(sys.argv[1]) + 1):
    uuid = f"00000000-0000-4000-8000-{i:012x}"
    t = 1795000000000 + i * 1000
    print(f"INSERT INTO videos (uuid, short_uuid, channel_id, name, description, category, licence, language, "
          f"privacy, state, duration, views, published_at, created_at, updated_at, thumbnail_key, preview_key) "
          f"SELECT '{uuid}', '{short_uuid(uuid)}', id, 'Seeded video {i}', 'A seeded description', 1, 1, 'en', "
          f"1, 1, 60, 0, {t}, {t}, {t}, 'videos/{uuid}/thumb.jpg', 'videos/{uuid}/preview.jpg' "
          f"FROM actors WHERE host IS NULL AND username = 'root_channel';")
    print(f"INSERT INTO videos_fts (rowid, name, description, tags) "
          f"SELECT id, name, description, '' FROM videos WHERE uuid = '{uuid}';")
EOF
(cd "$ROOT" && "$WRANGLER" d1 execute DB --local --persist-to "$state" --config "$ROOT/wrangler.toml" \
  --file "$state/seed.sql" --yes > "$work/seed.log" 2>&1) || { cat "$work/seed.log" >&2; die "seeding failed"; }

check_listing() {
  python3 - "$1" "$SEEDED" <<'EOF' || die "unexpected video listing"
import json, sys
body = json.load(open(sys.argv[1]))
if body.get("total") != int(sys.argv[2]) or len(body.get("data", [])) != 15:
    sys.exit(f"total={body.get('total')} data={len(body.get('data', []))}")
EOF
}
curl -sS -f -o "$work/list.json" "$base/api/v1/videos?count=15" || fail_request "GET /videos failed"
check_listing "$work/list.json"
timed warmup 10 "$base/api/v1/videos?count=15" -H "Authorization: Bearer $token"
check_listing "$work/body.json"

log "sequential: $GETS x GET /config, $GETS x GET /videos (bearer), $GETS x GET /videos (anonymous), $LOGINS x POST /users/token"
cpu_start; timed config "$GETS" "$base/api/v1/config"; cpu_stop config "$GETS"
cpu_start; timed videos_auth "$GETS" "$base/api/v1/videos?count=15" -H "Authorization: Bearer $token"
cpu_stop videos_auth "$GETS"
check_listing "$work/body.json"
cpu_start; timed videos_anon "$GETS" "$base/api/v1/videos?count=15"; cpu_stop videos_anon "$GETS"
cpu_start; timed token "$LOGINS" "$base/api/v1/users/token" "${login_args[@]}"; cpu_stop token "$LOGINS"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["access_token"]' "$work/body.json" \
  || die "login answered without access_token"

# --- 3. wrk -----------------------------------------------------------------------------------
# Appends "label connections requests_per_s p50 p99" (latencies in ms) to $work/wrk.txt; fails on
# non-2xx/3xx responses or socket errors. The raw output goes to stderr.
load() {
  local label=$1 c=$2 url=$3
  log "wrk -t1 -c$c -d$WRK_DURATION $url"
  cpu_start
  wrk -t1 -c"$c" -d"$WRK_DURATION" --timeout 10s --latency "$url" > "$work/wrk.out" 2>&1 \
    || { cat "$work/wrk.out" >&2; die "wrk failed"; }
  cpu_stop "wrk_${label}_$c" "$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.out")"
  sed 's/^/    /' "$work/wrk.out" >&2
  python3 - "$label" "$c" "$work/wrk.out" >> "$work/wrk.txt" <<'EOF'
import re, sys
label, c, text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
if re.search(r"Non-2xx or 3xx responses", text):
    sys.exit(f"wrk {label} -c{c}: non-2xx/3xx responses")
if re.search(r"Socket errors", text):
    sys.exit(f"wrk {label} -c{c}: socket errors")
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
total = re.search(r"(\d+) requests in", text)
if not rps or set(pct) != {"50", "99"} or not total or int(total.group(1)) == 0:
    sys.exit(f"wrk {label} -c{c}: cannot parse output")
print(label, c, rps.group(1), pct["50"], pct["99"], total.group(1))
EOF
}

: > "$work/wrk.txt"
for c in 8 32; do
  load config "$c" "$base/api/v1/config"
  load videos "$c" "$base/api/v1/videos?count=15"
done
# The listing still answers the seeded rows after the load.
curl -sS -f -o "$work/list.json" "$base/api/v1/videos?count=15" || fail_request "GET /videos failed after wrk"
check_listing "$work/list.json"

# --- report -----------------------------------------------------------------------------------
wrangler_version=$("$WRANGLER" --version 2>/dev/null | tail -n 1 || echo "?")
echo
echo "Machine: $(nproc) cores, wrangler $wrangler_version (local workerd); load average before the run: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$work/kdf.txt" "$work/seq.txt" "$work/wrk.txt" "$WRK_DURATION" "$work/cpu.txt" <<'EOF'
import os, statistics, sys
kdf_path, seq_path, wrk_path, duration, cpu_path = sys.argv[1:6]
tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
cpu = {}
for label, requests, workerd, other in (l.split() for l in open(cpu_path)):
    cpu[label] = (int(workerd) * tick_ms / int(requests), int(other) * tick_ms / int(requests))

def ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"

# 1. PBKDF2
kdf = {}
for impl, n, inside, wall in (l.split() for l in open(kdf_path)):
    kdf.setdefault(impl, []).append((int(n), int(inside), float(wall)))
print("## Password KDF: PBKDF2-HMAC-SHA256, 100,000 iterations, inside the Worker")
print()
print("| impl | n x runs | median ms/hash (inside) | min-max ms/hash | client wall ms/hash (median) | runtime workerd CPU ms/hash, net of the RSA setup | vs Free plan 10 ms CPU (median inside) | vs Paid plan 30 s CPU |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
med, net_cpu = {}, {}
names = {"webcrypto": "WebCrypto (crypto.subtle)", "rust": "pure-Rust `pbkdf2` (wasm), baseline"}
for impl in ("webcrypto", "rust"):
    runs = kdf[impl]
    per = [inside / n for n, inside, _ in runs]
    wall = [w * 1000 / n for n, _, w in runs]
    med[impl] = statistics.median(per)
    m = med[impl]
    # cpu[...] is per call here: 3 calls, each = setup + n hashes.
    net = (cpu["kdf_" + impl][0] - cpu["kdf_setup"][0]) / runs[0][0]
    net_cpu[impl] = net
    print(f"| {names[impl]} | {runs[0][0]} x {len(runs)} | {ms(m)} | {ms(min(per))}-{ms(max(per))} | "
          f"{ms(statistics.median(wall))} | {ms(net)} | {m / 10:.1f}x the budget | {m / 30000 * 100:.2f} % |")
print()
w, r = med["webcrypto"], med["rust"]
print(f"Ratio rust / webcrypto (same run): {r / w:.1f}x on the in-isolate time, "
      f"{net_cpu['rust'] / net_cpu['webcrypto']:.1f}x on the runtime's CPU time. "
      f"RSA setup per call (runtime workerd CPU): {ms(cpu['kdf_setup'][0])} ms.")
print()
print("(median ms/hash is elapsed_ms_inside / n, Date.now() inside the isolate, which local workerd advances "
      "with the wall clock, so other load on the machine inflates it; the CPU column is /proc accounting of the "
      "runtime workerd over the 3 calls, minus 3 times the measured RSA setup, divided by the hashes. The client "
      "wall time also includes the untimed RSA key each call makes, and HTTP.)")
print()

# 2. sequential requests
seq = {}
for label, code, wall in (l.split() for l in open(seq_path)):
    seq.setdefault(label, []).append(float(wall) * 1000)
rows = [
    ("config", "GET /api/v1/config (anonymous, no D1), baseline"),
    ("videos_auth", "GET /api/v1/videos?count=15 (bearer token)"),
    ("videos_anon", "GET /api/v1/videos?count=15 (anonymous)"),
    ("token", "POST /api/v1/users/token (password grant)"),
]
base = statistics.median(seq["config"])
print("## Per-request cost, sequential (client wall time, curl time_total)")
print()
print("| request | n | median ms | p10-p90 ms | min ms | vs baseline | runtime workerd CPU ms/req | local proxy (workerd+node) CPU ms/req |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key, name in rows:
    v = sorted(seq[key])
    q = statistics.quantiles(v, n=10)
    m = statistics.median(v)
    ratio = "1.0x" if key == "config" else f"{m / base:.1f}x"
    cw, co = cpu[key]
    print(f"| {name} | {len(v)} | {ms(m)} | {ms(q[0])}-{ms(q[-1])} | {ms(v[0])} | {ratio} | {ms(cw)} | {ms(co)} |")
print()
auth, anon = statistics.median(seq["videos_auth"]), statistics.median(seq["videos_anon"])
tok = statistics.median(seq["token"])
print(f"Token check (bearer minus anonymous listing): {auth - anon:+.1f} ms wall, "
      f"{cpu['videos_auth'][0] - cpu['videos_anon'][0]:+.1f} ms runtime CPU. Login minus one WebCrypto PBKDF2 "
      f"hash: {tok - w:.1f} ms wall (minus the in-isolate median), "
      f"{cpu['token'][0] - net_cpu['webcrypto']:.1f} ms runtime CPU (minus the net CPU per hash).")
print()
print("Local wall time includes workerd's in-process D1 (SQLite) and Durable Object (API rate limiter) "
      "round trips and the HTTP hop through wrangler's local proxy, so it is an upper bound on the CPU a "
      "request would be billed on Workers. The CPU columns are process accounting (/proc utime+stime of the "
      "instance's process group during the block, divided by the requests, 10 ms tick granularity spread over "
      "the block): the runtime workerd runs the worker, D1's SQLite and the Durable Objects; the local proxy "
      "(the workerd listening on the port, and wrangler's node process) has no counterpart on Cloudflare.")
print()

# 3. wrk
res = {}
for label, c, rps, p50, p99, total in (l.split() for l in open(wrk_path)):
    res[(label, int(c))] = (float(rps), float(p50), float(p99), int(total))
print(f"## Load: wrk -t1 -d{duration} --latency (anonymous, {1000} seeded published public videos)")
print()
print("| request | connections | requests | requests/s | p50 ms | p99 ms | req/s vs baseline | p50 vs baseline | runtime workerd CPU ms/req | local proxy (workerd+node) CPU ms/req |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for c in (8, 32):
    b = res[("config", c)]
    for label, name in (("config", "GET /api/v1/config, baseline"), ("videos", "GET /api/v1/videos?count=15")):
        rps, p50, p99, total = res[(label, c)]
        rr = "1.00" if label == "config" else f"{rps / b[0]:.2f}"
        pr = "1.0x" if label == "config" else f"{p50 / b[1]:.1f}x"
        cw, co = cpu[f"wrk_{label}_{c}"]
        print(f"| {name} | {c} | {total} | {rps:.0f} | {ms(p50)} | {ms(p99)} | {rr} | {pr} | {ms(cw)} | {ms(co)} |")
print()
print("No non-2xx/3xx responses and no socket errors (the script fails otherwise).")
EOF
