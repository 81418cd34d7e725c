#!/usr/bin/env bash
# Federation's per-request crypto inside the Worker (issue: Federation).
#
# Measures, in one local instance (wrangler dev / workerd) through /__bench/crypto:
#   - inbox: what the inbox does per signed POST before storing it: the whole draft-cavage
#     verification plan (header parsing, rules, the Digest of a 9 kB body, the signing string)
#     and the RSA-2048 check, through WebCrypto and through the pure-Rust `rsa` crate;
#   - delivery: preparing and signing one delivery (Date, Digest, signing string, RSA-2048 sign);
#   - ed25519 sign and verify (ed25519-dalek, pure Rust everywhere: FEP-8b32 proofs).
# Each case runs RUNS times with N operations; the median per-op time is reported with the ratio to
# the WebCrypto figure measured in the same run.
#
# Run: bash tests/bench/federation.sh    (about a minute; needs scripts/build-worker.sh's bundle)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=${RUNS:-3}
N=${N:-50}
log() { printf '==> %s\n' "$*" >&2; }

[ -f "$ROOT/functions/cloudflare/build/index.js" ] || bash "$ROOT/scripts/build-worker.sh"
export PATH="$ROOT/node_modules/.bin:$PATH"
# shellcheck source=tests/bench/instance.sh
source "$ROOT/tests/bench/instance.sh"
start_instance 90

# per_op IMPL OP: the median over RUNS of elapsed_ms_inside / N.
per_op() {
  local impl=$1 op=$2 values=()
  for _ in $(seq 1 "$RUNS"); do
    curl -sS -f --max-time 300 -o "$work/body.json" "$base/__bench/crypto?impl=$impl&op=$op&n=$N" \
      || { tail -n 20 "$work/instance.log" >&2; log "$impl/$op failed"; exit 1; }
    values+=("$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b["elapsed_ms_inside"]/int(sys.argv[2]))' "$work/body.json" "$N")")
  done
  printf '%s\n' "${values[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
inbox_web=$(per_op webcrypto inbox)
inbox_rust=$(per_op rust inbox)
delivery_web=$(per_op webcrypto delivery)
delivery_rust=$(per_op rust delivery)
ed_sign=$(per_op rust ed25519-sign)
ed_verify=$(per_op rust ed25519-verify)
log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
cat <<TABLE
| operation (per request, inside the Worker) | WebCrypto (ms) | pure Rust (ms) | Rust / WebCrypto |
|---|---:|---:|---:|
| inbox: verify a signed 9 kB POST (plan + RSA-2048) | $inbox_web | $inbox_rust | $(ratio "$inbox_rust" "$inbox_web") |
| delivery: sign one POST (Digest + RSA-2048) | $delivery_web | $delivery_rust | $(ratio "$delivery_rust" "$delivery_web") |
| ed25519 sign (FEP-8b32 proof) | — | $ed_sign | — |
| ed25519 verify | — | $ed_verify | — |

Runs: $RUNS x $N operations each; median per operation. Local workerd's clock advances during
computation (deployed Workers' does not), which is what makes these measurable here.
TABLE
