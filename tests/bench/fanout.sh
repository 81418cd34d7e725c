#!/usr/bin/env bash
# Fan-out of one activity to 10,000 followers on 500 servers (issue: Federation).
#
# One local instance (wrangler dev) whose channel has FOLLOWERS remote followers spread over HOSTS
# servers (seeded in D1), each server with a shared inbox on a loopback sink (fanout_sink.py)
# that answers 202. A comment on the channel's video is then delivered to every follower's
# server. Measures: POSTs made (and to how many distinct inboxes), queue messages and consumer
# invocations (from wrangler's log), POSTs (subrequests) per invocation, and the time from the
# API's answer to the last POST received. The baseline, computed in the same run, is one POST
# per follower (what a server without shared-inbox collapsing sends).
#
# Run: bash tests/bench/fanout.sh    (a few minutes; FOLLOWERS and HOSTS override the sizes)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FOLLOWERS=${FOLLOWERS:-10000}
HOSTS=${HOSTS:-500}
log() { printf '==> %s\n' "$*" >&2; }

[ -f "$ROOT/functions/cloudflare/build/index.js" ] || bash "$ROOT/scripts/build-worker.sh"
export PATH="$ROOT/node_modules/.bin:$PATH"
# shellcheck source=tests/bench/instance.sh
source "$ROOT/tests/bench/instance.sh"
sink_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
python3 "$ROOT/tests/bench/fanout_sink.py" "$sink_port" &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null || true; cleanup' EXIT
EDGETUBE_ADMIN_PASSWORD=benchpassword EDGETUBE_VARS="API_RATE_LIMIT:100000/10" start_instance 90

log "seeding $FOLLOWERS followers on $HOSTS servers"
python3 - "$FOLLOWERS" "$HOSTS" "$sink_port" > "$work/seed.sql" <<'PY'
import sys
followers, hosts, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print("BEGIN TRANSACTION;")
for i in range(followers):
    h = i % hosts
    ap = f"http://127.0.0.1:{port}/h{h}/users/u{i}"
    print(
        "INSERT INTO actors (kind, username, host, display_name, public_key_pem, ap_id, inbox_url, "
        "shared_inbox_url, fetched_at, created_at, updated_at) VALUES "
        f"('Person', 'u{i}', 'h{h}.example', 'u{i}', 'unused', '{ap}', '{ap}/inbox', "
        f"'http://127.0.0.1:{port}/h{h}/inbox', 1795000000000, 1795000000000, 1795000000000);"
    )
    print(
        "INSERT INTO actor_follows (follower_id, following_id, state, ap_id, created_at, updated_at) "
        f"SELECT last_insert_rowid(), (SELECT id FROM actors WHERE host IS NULL AND username = 'root_channel'), "
        f"'accepted', '{ap}/follows/1', 1795000000000, 1795000000000;"
    )
print(
    "INSERT INTO videos (uuid, short_uuid, channel_id, name, privacy, state, created_at, updated_at, published_at) "
    "SELECT '00000000-0000-4000-8000-00000000fa00', 'fanoutbench', id, 'Fan-out', 1, 1, 1795000000000, "
    "1795000000000, 1795000000000 FROM actors WHERE host IS NULL AND username = 'root_channel';"
)
print("COMMIT;")
PY
wrangler d1 execute DB --local --persist-to "$state" --config "$ROOT/wrangler.toml" --file "$work/seed.sql" --yes > "$work/seed.log" 2>&1 \
  || { tail -n 20 "$work/seed.log" >&2; exit 1; }

client=$(curl -sf "$base/api/v1/oauth-clients/local")
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$client")
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$client")
token=$(curl -sf "$base/api/v1/users/token" -d "client_id=$id&client_secret=$secret&grant_type=password&username=root&password=benchpassword" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
queue_lines_before=$(grep -c 'QUEUE edgetube-jobs' "$work/instance.log" || true)

log "posting the comment"
start=$(curl -sf "http://127.0.0.1:$sink_port/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
api_time=$(curl -sf -o /dev/null -w '%{time_total}' -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
  "$base/api/v1/videos/00000000-0000-4000-8000-00000000fa00/comment-threads" -d '{"text":"To every follower"}')
for _ in $(seq 1 600); do
  stats=$(curl -sf "http://127.0.0.1:$sink_port/stats")
  posts=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["posts"])' "$stats")
  [ "$posts" -ge "$HOSTS" ] && break
  sleep 1
done
sleep 3
cp "$work/instance.log" /tmp/fanout-instance.log
stats=$(curl -sf "http://127.0.0.1:$sink_port/stats")
batches=$(( $(grep -c 'QUEUE edgetube-jobs' "$work/instance.log" || true) - queue_lines_before ))
messages=$(grep 'QUEUE edgetube-jobs' "$work/instance.log" | tail -n "$batches" | sed -E 's/.* ([0-9]+)\/([0-9]+) .*/\2/' | paste -sd+ | bc)
python3 - "$stats" "$start" "$FOLLOWERS" "$HOSTS" "$batches" "$messages" "$api_time" <<'PY'
import json, sys
stats = json.loads(sys.argv[1]); start = float(sys.argv[2])
followers, hosts, batches, messages, api = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
posts = stats["posts"]
total = (stats["last"] - start) if stats["last"] else float("nan")
print(f"| followers | servers | POSTs made | distinct inboxes | queue messages | consumer invocations | POSTs per invocation | API answer (s) | last POST after (s) |")
print(f"|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {followers} | {hosts} | {posts} | {stats['distinct_inboxes']} | {messages} | {batches} | {posts / max(batches, 1):.1f} | {api:.2f} | {total:.1f} |")
print()
print(f"Baseline (one POST per follower): {followers} POSTs; shared inboxes made {followers / max(posts, 1):.0f}x fewer. Signatures: {', '.join(stats['schemes'])}.")
if posts < hosts:
    sys.exit(f"only {posts} of {hosts} servers received the activity")
PY
