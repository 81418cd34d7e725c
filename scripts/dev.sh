#!/usr/bin/env bash
# `make dev`: installs what is missing, builds the worker and runs one local instance until
# interrupted. EDGETUBE_PORT (8787), EDGETUBE_STATE_DIR (.wrangler/edgetube-<port>, on Spin
# .wrangler/edgetube-spin-<port>) and
# EDGETUBE_ADMIN_PASSWORD (a random one, kept in the state folder) override the defaults.
# Transcoding runners exist only while there is work, as deployed (containers there, processes
# of `transcode-runner launcher` here): EDGETUBE_RUNNERS=on-demand (default; up to
# EDGETUBE_MAX_RUNNERS, 2, each exiting after EDGETUBE_RUNNER_IDLE_SECONDS, 60, without a job)
# or always-on (one runner that waits for jobs until stopped, as self-hosted runners do).
# EDGETUBE_PLATFORM=spin runs the Spin build instead: the Spin component under the local harness
# edgetube-spin-host, media in a local S3 server (s3s-fs), the outbox ticked every
# EDGETUBE_TICK_SECONDS (10), and one always-on runner (Spin has no runner fleet).
source "$(dirname "$0")/lib.sh"
platform="${EDGETUBE_PLATFORM:-cloudflare}"
port="${EDGETUBE_PORT:-8787}"
case "$platform" in
  cloudflare) default_runners=on-demand ;;
  spin) default_runners=always-on ;;
  *) echo "EDGETUBE_PLATFORM must be cloudflare or spin, not '$platform'" >&2; exit 2 ;;
esac
default_state="$ROOT/.wrangler/edgetube-$port"
[ "$platform" = spin ] && default_state="$ROOT/.wrangler/edgetube-spin-$port"
state="${EDGETUBE_STATE_DIR:-$default_state}"
origin="http://127.0.0.1:$port"
runners="${EDGETUBE_RUNNERS:-$default_runners}"
case "$runners" in
  on-demand | always-on) ;;
  *) echo "EDGETUBE_RUNNERS must be on-demand or always-on, not '$runners'" >&2; exit 2 ;;
esac
if [ "$platform" = spin ] && [ "$runners" = on-demand ]; then
  echo "EDGETUBE_RUNNERS=on-demand needs the Worker's runner fleet (a Durable Object); Spin has none:" \
    "use EDGETUBE_RUNNERS=always-on (the default on Spin)" >&2
  exit 2
fi
max_runners="${EDGETUBE_MAX_RUNNERS:-2}"
idle_seconds="${EDGETUBE_RUNNER_IDLE_SECONDS:-60}"
launcher_port="${EDGETUBE_LAUNCHER_PORT:-$((port + 3))}"

bash "$ROOT/scripts/setup.sh"
if [ "$platform" = spin ]; then
  log "building the Spin component and the local Spin harness"
  bash "$ROOT/scripts/build-web.sh"
  cargo build -p edgetube-spin -p edgetube-spin-cron --target wasm32-wasip2 --release
  cargo build -p edgetube-spin-host
  instance_script="$ROOT/scripts/run-spin-instance.sh"
  export EDGETUBE_TICK_SECONDS="${EDGETUBE_TICK_SECONDS:-10}"
  # Housekeeping every 10 minutes, as spin.toml schedules it.
  export EDGETUBE_HOUSEKEEPING_TICKS="${EDGETUBE_HOUSEKEEPING_TICKS:-$((600 / EDGETUBE_TICK_SECONDS))}"
else
  bash "$ROOT/scripts/build-worker.sh"
  instance_script="$ROOT/scripts/run-instance.sh"
fi
cargo build --release -p transcode-runner

mkdir -p "$state"
if [ "$runners" = on-demand ]; then
  # The instance's fleet object asks the launcher (loopback) to start runners when jobs wait.
  export EDGETUBE_VARS="${EDGETUBE_VARS:-} RUNNER_MAX_INSTANCES:$max_runners RUNNER_LAUNCHER_URL:http://127.0.0.1:$launcher_port"
fi
setsid bash "$instance_script" "$port" "$state" &
pid=$!
runner_pid=""
stop() {
  [ -n "$runner_pid" ] && { kill -TERM -- "-$runner_pid" 2>/dev/null || true; wait "$runner_pid" 2>/dev/null || true; }
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap stop EXIT INT TERM

for _ in $(seq 1 120); do
  curl -sf -o /dev/null "$origin/api/v1/config" && break
  kill -0 "$pid" 2>/dev/null || { echo "the instance stopped; see the output above" >&2; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "$origin/accounts/peertube" || { echo "the instance does not answer on $origin" >&2; exit 1; }

password="$(sed -n 's/^ADMIN_PASSWORD=//p' "$state/.dev.vars")"
registration="$(sed -n 's/^RUNNER_REGISTRATION_TOKEN=//p' "$state/.dev.vars")"
runner_bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/transcode-runner"
# The local transcoders: take the jobs uploads make, so a video uploaded here becomes playable.
if [ "$runners" = on-demand ]; then
  setsid "$runner_bin" launcher --listen "127.0.0.1:$launcher_port" --max "$max_runners" \
    --exit-when-idle "$idle_seconds" --url "$origin" --registration-token "$registration" \
    --state-dir "$state/runners" &
  runner_note="Runners start when a job waits (up to $max_runners, launcher on 127.0.0.1:$launcher_port)
  and exit after ${idle_seconds} s without one (their state: $state/runners; EDGETUBE_RUNNERS=always-on for one that stays)."
else
  # On Spin (no wait socket) the runner finds that out and asks with long polls instead.
  setsid "$runner_bin" run --url "$origin" \
    --registration-token "$registration" --name local-runner --state-dir "$state/runner" &
  runner_note="A transcode runner is taking jobs (its state: $state/runner)."
fi
runner_pid=$!
if [ "$platform" = spin ]; then
  platform_note="Spin component under the local harness edgetube-spin-host; media in s3s-fs under $state/s3"
else
  platform_note="the Worker under wrangler dev"
fi
cat <<INFO

  Edgetube is running: open $origin/ in a browser   ($platform_note)
  Admin login: root / $password   (or sign up at $origin/signup when signups are open)
  State: $state   (delete it to start over)
  $runner_note
  Upload: peertube-cli auth add -u $origin -U root --password '$password'
          then peertube-cli upload --file /absolute/path/video.mp4 --video-name 'My video'
  Try: curl '$origin/.well-known/webfinger?resource=acct:root_channel@127.0.0.1:$port'

INFO
if [ -n "${EDGETUBE_ADMIN_PASSWORD:-}" ] && [ "$EDGETUBE_ADMIN_PASSWORD" != "$password" ]; then
  echo "  Note: EDGETUBE_ADMIN_PASSWORD only applies to a new state folder; this one keeps its password." >&2
fi
wait "$pid"
