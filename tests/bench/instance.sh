# Sourced by the benchmark scripts: starts one local instance on a free loopback port with a
# temporary state folder, waits until it answers, and stops its whole process group on exit.
# Sets: port, state, work, pid, base. Reads: ROOT, log, and optionally EDGETUBE_VARS.
# start_instance TRIES: at most TRIES one-second waits for the first answer.

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
state=$(mktemp -d)
work=$(mktemp -d)
pid=""
base="http://127.0.0.1:$port"

cleanup() {
  local status=$?
  if [ -n "$pid" ]; then
    kill -- -"$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # workerd outlives wrangler by a few seconds: wait for the whole group (at most 10 s), then KILL.
    for _ in $(seq 1 50); do kill -0 -- -"$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- -"$pid" 2>/dev/null || true
  fi
  rm -rf "$state" "$work"
  exit "$status"
}
trap cleanup EXIT

start_instance() {
  local tries=$1
  log "starting an instance on 127.0.0.1:$port"
  setsid bash "$ROOT/scripts/run-instance.sh" "$port" "$state" > "$work/instance.log" 2>&1 &
  pid=$!
  for try in $(seq 1 "$tries"); do
    if curl -sf --max-time 2 -o /dev/null "$base/api/v1/config"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$work/instance.log" >&2; log "the instance exited before answering"; exit 1
    fi
    if [ "$try" -eq "$tries" ]; then
      tail -n 40 "$work/instance.log" >&2; log "the instance did not answer in $tries s"; exit 1
    fi
    sleep 1
  done
}
