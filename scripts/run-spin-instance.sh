#!/usr/bin/env bash
# Runs one local Edgetube instance on Spin's interfaces: the Spin component under the local
# harness edgetube-spin-host (tests/spin-host), on 127.0.0.1:$1 with its state in $2 (SQLite and
# key-value files), media in a local S3 server (s3s-fs, over $2/s3), and spin.toml's cron
# components (functions/spin-cron) run by the harness as Spin's cron trigger plugin runs them, but
# sooner: the `tick` component (outbox drain) every EDGETUBE_TICK_SECONDS (1) seconds, the
# `housekeeping` one every EDGETUBE_HOUSEKEEPING_TICKS (600) of those.
# Same interface as run-instance.sh: $2/.dev.vars keeps the instance's secrets across restarts,
# EDGETUBE_ADMIN_PASSWORD sets the admin password of a new state folder, EDGETUBE_VARS adds
# variables as space-separated NAME:VALUE pairs. All processes share this script's process group.
# Needs the components (cargo build -p edgetube-spin --target wasm32-wasip2 --release, and the
# same for -p edgetube-spin-cron), the host (cargo build -p edgetube-spin-host) and s3s-fs
# (scripts/setup.sh).
source "$(dirname "$0")/lib.sh"
port="${1:?usage: run-spin-instance.sh PORT STATE_DIR}"
state="${2:?usage: run-spin-instance.sh PORT STATE_DIR}"
mkdir -p "$state/s3/media"
state="$(cd "$state" && pwd)"

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -f "$state/.dev.vars" ]; then
  umask 077
  {
    echo "KEY_ENCRYPTION_SECRET=$(random_hex 32)"
    echo "ADMIN_PASSWORD=${EDGETUBE_ADMIN_PASSWORD:-$(random_hex 12)}"
  } > "$state/.dev.vars"
fi
grep -q '^RUNNER_REGISTRATION_TOKEN=' "$state/.dev.vars" || echo "RUNNER_REGISTRATION_TOKEN=ptrrt-$(random_hex 16)" >> "$state/.dev.vars"
grep -q '^TICK_TOKEN=' "$state/.dev.vars" || echo "TICK_TOKEN=$(random_hex 16)" >> "$state/.dev.vars"
grep -q '^S3_SECRET_ACCESS_KEY=' "$state/.dev.vars" || echo "S3_SECRET_ACCESS_KEY=$(random_hex 16)" >> "$state/.dev.vars"
grep -q '^S3_PORT=' "$state/.dev.vars" || echo "S3_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" >> "$state/.dev.vars"

component="$ROOT/target/wasm32-wasip2/release/edgetube_spin.wasm"
cron_component="$ROOT/target/wasm32-wasip2/release/edgetube_spin_cron.wasm"
host="${EDGETUBE_SPIN_HOST:-$ROOT/target/debug/edgetube-spin-host}"
[ -f "$component" ] || { echo "no Spin component: cargo build -p edgetube-spin --target wasm32-wasip2 --release" >&2; exit 1; }
[ -f "$cron_component" ] || { echo "no Spin cron component: cargo build -p edgetube-spin-cron --target wasm32-wasip2 --release" >&2; exit 1; }
[ -x "$host" ] || { echo "no Spin host: cargo build -p edgetube-spin-host" >&2; exit 1; }
command -v s3s-fs >/dev/null || { echo "no s3s-fs: run scripts/setup.sh" >&2; exit 1; }

value() { sed -n "s/^$1=//p" "$state/.dev.vars" | head -n1; }
s3_port="$(value S3_PORT)"
s3_key=edgetube
s3_secret="$(value S3_SECRET_ACCESS_KEY)"

s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key "$s3_key" --secret-key "$s3_secret" "$state/s3" &
for _ in $(seq 1 100); do
  (echo > "/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
  sleep 0.1
done

export SPIN_VARIABLE_PUBLIC_ORIGIN="http://127.0.0.1:$port"
export SPIN_VARIABLE_ALLOW_HTTP=true SPIN_VARIABLE_BENCH_ENDPOINTS=true SPIN_VARIABLE_EMULATE_STORAGE_EVENTS=true
export SPIN_VARIABLE_S3_ENDPOINT="http://127.0.0.1:$s3_port" SPIN_VARIABLE_S3_BUCKET=media
export SPIN_VARIABLE_S3_ACCESS_KEY_ID="$s3_key" SPIN_VARIABLE_S3_SECRET_ACCESS_KEY="$s3_secret"
export SPIN_VARIABLE_KEY_ENCRYPTION_SECRET="$(value KEY_ENCRYPTION_SECRET)"
export SPIN_VARIABLE_ADMIN_PASSWORD="$(value ADMIN_PASSWORD)"
export SPIN_VARIABLE_RUNNER_REGISTRATION_TOKEN="$(value RUNNER_REGISTRATION_TOKEN)"
export SPIN_VARIABLE_TICK_TOKEN="$(value TICK_TOKEN)"
for pair in ${EDGETUBE_VARS:-}; do
  export "SPIN_VARIABLE_${pair%%:*}=${pair#*:}"
done

cd "$ROOT"
# wrangler's level names: "log" is info here.
level="${EDGETUBE_LOG_LEVEL:-info}"
[ "$level" = log ] && level=info
tick_seconds="${EDGETUBE_TICK_SECONDS:-1}"
RUST_LOG="$level" exec "$host" --manifest "$ROOT/spin.toml" --listen "127.0.0.1:$port" \
  --state-dir "$state" --request-log "$state/requests.log" --cron-every-seconds "$tick_seconds" \
  --cron-every-seconds "housekeeping=$((tick_seconds * ${EDGETUBE_HOUSEKEEPING_TICKS:-600}))"
