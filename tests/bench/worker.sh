#!/usr/bin/env bash
# Worker size and RSA-2048 cost inside the Worker (issue: Foundation).
#
# Measures:
#   1. the size of the worker bundle: index_bg.wasm raw and gzip -9, and the JS shim (index.js);
#   2. per-operation time of RSA-2048 sign and keygen inside one local instance (wrangler dev /
#      workerd), through WebCrypto (crypto.subtle, one importKey per signature) and through the
#      pure-Rust `rsa` crate, using the instance's /__bench/crypto endpoint. Each case runs 3 times;
#      the median per-op figure (elapsed_ms_inside / n) is reported, with min and max. The client's
#      wall time per request (curl %{time_total}, which also covers the untimed setup key and HTTP)
#      is reported alongside as a cross-check.
# Prints a markdown table with rust/webcrypto ratios (baseline measured in the same run) and how
# many signatures fit in the Free plan's 10 ms CPU budget per request.
# Exits non-zero if a request fails or returns an unexpected output_len.
#
# Run: bash tests/bench/worker.sh        (about a minute; needs the bundle from scripts/build-worker.sh,
#                                         which it builds if missing)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/functions/cloudflare/build"
RUNS=3

log() { printf '==> %s\n' "$*" >&2; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

if [ ! -f "$BUILD/index.js" ] || [ ! -f "$BUILD/index_bg.wasm" ]; then
  log "no worker bundle: building it (scripts/build-worker.sh)"
  bash "$ROOT/scripts/build-worker.sh"
fi

# --- 1. sizes ---------------------------------------------------------------------------------
wasm_raw=$(wc -c < "$BUILD/index_bg.wasm")
wasm_gz=$(gzip -9 -c "$BUILD/index_bg.wasm" | wc -c)
js_raw=$(wc -c < "$BUILD/index.js")
js_gz=$(gzip -9 -c "$BUILD/index.js" | wc -c)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 2. one local instance --------------------------------------------------------------------
# shellcheck source=tests/bench/instance.sh
source "$ROOT/tests/bench/instance.sh"
start_instance 90

# One request: prints "impl op n elapsed_ms_inside output_len time_total_s", fails on any error.
# A signature is 256 bytes, and so is a Rust key's modulus (key.size()); for WebCrypto keygen the
# endpoint reports the length of the exported PKCS#8 DER, which for RSA-2048 is 1215-1220 bytes.
bench() {
  local impl=$1 op=$2 n=$3 wall
  wall=$(curl -sS -f --max-time 300 -o "$work/body.json" -w '%{time_total}' \
    "$base/__bench/crypto?impl=$impl&op=$op&n=$n") || { tail -n 20 "$work/instance.log" >&2; log "request $impl/$op/n=$n failed"; return 1; }
  python3 - "$impl" "$op" "$n" "$wall" "$work/body.json" <<'EOF'
import json, sys
impl, op, n, wall, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
raw = open(path).read()
try:
    body = json.loads(raw)
except ValueError:
    sys.exit(f"{impl}/{op}: not JSON: {raw[:200]!r}")
out = body.get("output_len")
if impl == "webcrypto" and op == "keygen":
    ok = isinstance(out, int) and 1215 <= out <= 1220
else:
    ok = out == 256
if not ok or body.get("impl") != impl or body.get("op") != op or body.get("n") != n:
    sys.exit(f"{impl}/{op}: unexpected answer {raw[:200]!r}")
print(impl, op, n, body["elapsed_ms_inside"], out, wall)
EOF
}

# Warm-up: the first requests of each path run markedly slower (first WebCrypto batch ~2x).
log "warm-up"
bench webcrypto sign 50 > /dev/null
bench webcrypto keygen 2 > /dev/null
bench rust sign 5 > /dev/null

results="$work/results.txt"
: > "$results"
for case in "webcrypto sign 200" "rust sign 20" "webcrypto keygen 10" "rust keygen 3"; do
  read -r impl op n <<< "$case"
  for run in $(seq 1 "$RUNS"); do
    line=$(bench "$impl" "$op" "$n")
    log "$impl $op n=$n run $run/$RUNS: $line"
    echo "$line" >> "$results"
  done
done

# --- 3. report --------------------------------------------------------------------------------
wrangler_version=$("$ROOT/node_modules/.bin/wrangler" --version 2>/dev/null | tail -n 1 || echo "?")
echo
echo "Machine: $(nproc) cores, wrangler $wrangler_version (local workerd); load average before the run: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Worker size"
echo
echo "| file | raw | gzip -9 |"
echo "| --- | ---: | ---: |"
echo "| index_bg.wasm | $wasm_raw B ($(kib "$wasm_raw") KiB) | $wasm_gz B ($(kib "$wasm_gz") KiB) |"
echo "| index.js (JS shim) | $js_raw B ($(kib "$js_raw") KiB) | $js_gz B ($(kib "$js_gz") KiB) |"
echo
python3 - "$results" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
cases = {}
for impl, op, n, inside, out, wall in rows:
    cases.setdefault((impl, op), []).append((int(n), int(inside), float(wall)))

def stats(impl, op):
    runs = cases[(impl, op)]
    per_op = [inside / n for n, inside, _ in runs]
    wall = [w * 1000 / n for n, _, w in runs]
    return runs[0][0], len(runs), statistics.median(per_op), min(per_op), max(per_op), statistics.median(wall)

def ms(x):
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"

names = {"webcrypto": "WebCrypto", "rust": "Rust `rsa`"}
s = {k: stats(*k) for k in cases}
print("## RSA-2048 in the Worker (per operation, elapsed_ms_inside / n)")
print()
print("| operation | impl | n x runs | median ms/op | min-max ms/op | client wall ms/op (median) | ops in 10 ms CPU |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
for op in ("sign", "keygen"):
    for impl in ("webcrypto", "rust"):
        n, runs, med, lo, hi, wall = s[(impl, op)]
        fit = f"{int(10 // med)}" if med > 0 else "n/a (< 1 ms resolution)"
        if med >= 10:
            fit = f"0 (one op = {med / 10:.1f}x the budget)" if med < 100 else f"0 (one op = {med / 10:.0f}x the budget)"
        print(f"| {op} | {names[impl]} | {n} x {runs} | {ms(med)} | {ms(lo)}-{ms(hi)} | {ms(wall)} | {fit} |")
print()
print("| ratio (baseline measured in the same run) | rust / webcrypto |")
print("| --- | ---: |")
for op in ("sign", "keygen"):
    w, r = s[("webcrypto", op)][2], s[("rust", op)][2]
    print(f"| {op} | {r / w:.1f}x |" if w > 0 else f"| {op} | n/a |")
print()
ws, rs = s[("webcrypto", "sign")][2], s[("rust", "sign")][2]
print(f"Free plan budget (10 ms CPU per request): about {int(10 // ws)} WebCrypto signatures "
      f"or {int(10 // rs)} Rust signatures fit in one request; one Rust keygen takes "
      f"{s[('rust', 'keygen')][2] / 10:.0f}x the budget (median), one WebCrypto keygen "
      f"{s[('webcrypto', 'keygen')][2] / 10:.1f}x.")
EOF
