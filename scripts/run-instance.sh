#!/usr/bin/env bash
# Runs one local Edgetube instance on 127.0.0.1:$1 with its state in $2 (D1, KV, R2 under
# wrangler dev's local persistence). Prepares the state folder on first use: a random
# key-encryption secret and the admin password in $2/.dev.vars, kept across restarts so the
# instance keeps its identity, and the registration token of its local runner. Then replaces
# itself with `wrangler dev`. Locally R2 sends no event notifications, so the worker sends them
# itself (EMULATE_R2_NOTIFICATIONS).
# Needs the bundle from scripts/build-worker.sh. EDGETUBE_ADMIN_PASSWORD sets the admin password
# of a new state folder; EDGETUBE_VARS adds worker variables, space-separated NAME:VALUE pairs
# (e.g. "API_RATE_LIMIT:5000/10 SIGNUP_OPEN:true"). Runners on demand are off locally
# (RUNNER_MAX_INSTANCES:0; wrangler dev runs no containers here) unless EDGETUBE_VARS sets
# RUNNER_MAX_INSTANCES and RUNNER_LAUNCHER_URL (scripts/dev.sh with EDGETUBE_RUNNERS=on-demand).
source "$(dirname "$0")/lib.sh"
port="${1:?usage: run-instance.sh PORT STATE_DIR}"
state="${2:?usage: run-instance.sh PORT STATE_DIR}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"

if [ ! -f "$state/.dev.vars" ]; then
  umask 077
  {
    echo "KEY_ENCRYPTION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    echo "ADMIN_PASSWORD=${EDGETUBE_ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
  } > "$state/.dev.vars"
fi
# The token the local runner registers with (state folders made before runners existed get one too).
if ! grep -q '^RUNNER_REGISTRATION_TOKEN=' "$state/.dev.vars"; then
  echo "RUNNER_REGISTRATION_TOKEN=ptrrt-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$state/.dev.vars"
fi

[ -f "$ROOT/functions/cloudflare/build/index.js" ] || { echo "no worker bundle: run scripts/build-worker.sh" >&2; exit 1; }

cd "$ROOT"
wrangler d1 migrations apply DB --local --persist-to "$state" --config "$ROOT/wrangler.toml" >"$state/migrations.log" 2>&1 \
  || { cat "$state/migrations.log" >&2; exit 1; }

# wrangler's devtools inspector defaults to 9229; a free port per instance lets several run at once.
inspector_port="${EDGETUBE_INSPECTOR_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

exec wrangler dev --config "$ROOT/wrangler.toml" --local --ip 127.0.0.1 --port "$port" --inspector-port "$inspector_port" \
  --persist-to "$state" --env-file "$state/.dev.vars" \
  --var "PUBLIC_ORIGIN:http://127.0.0.1:$port" --var ALLOW_HTTP:true --var BENCH_ENDPOINTS:true \
  --var EMULATE_R2_NOTIFICATIONS:true --var RUNNER_MAX_INSTANCES:0 --test-scheduled \
  $(for pair in ${EDGETUBE_VARS:-}; do printf -- '--var %s ' "$pair"; done) \
  --show-interactive-dev-session=false --log-level "${EDGETUBE_LOG_LEVEL:-info}"
