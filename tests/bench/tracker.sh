#!/usr/bin/env bash
# Tracker throughput (issue 11): how many messages per second one video's tracker Durable Object
# answers under `wrangler dev`. Sockets each send 5 messages/s (under the flood limit) and the
# socket count doubles until the answered rate stops following the offered rate. The baseline in
# the same run is the smallest load (every message answered); the ratio answered/offered is the
# figure to compare across runs.
#
# Run: bash tests/bench/tracker.sh    (about 2 minutes; LEVELS and BENCH_SECONDS override)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LEVELS=${LEVELS:-"25 100 400 1600 3200"}
SECONDS_PER_LEVEL=${BENCH_SECONDS:-10}
log() { printf '==> %s\n' "$*" >&2; }

[ -f "$ROOT/functions/cloudflare/build/index.js" ] || bash "$ROOT/scripts/build-worker.sh"
export PATH="$ROOT/node_modules/.bin:$PATH"
# shellcheck source=tests/bench/instance.sh
source "$ROOT/tests/bench/instance.sh"
EDGETUBE_ADMIN_PASSWORD=benchpassword start_instance 90

uuid=00000000-0000-4000-8000-00000000be0c
log "seeding a video with HLS renditions"
cat > "$work/seed.sql" <<SQL
INSERT INTO videos (uuid, short_uuid, channel_id, name, description, category, licence, language, privacy, state,
  duration, views, published_at, created_at, updated_at, hls_master_key, hls_sha256_key)
  SELECT '$uuid', 'trackerbench0001', id, 'Tracker bench', '', 1, 1, 'en', 1, 1, 60, 0, 1795000000000, 1795000000000,
  1795000000000, 'hls/$uuid/m1-master.m3u8', 'hls/$uuid/s1-segments-sha256.json'
  FROM actors WHERE host IS NULL AND username = 'root_channel';
INSERT INTO video_files (video_id, resolution, width, height, fps, size, codecs, has_audio, has_video, file_name,
  playlist_name, segments_sha256, created_at)
  SELECT id, 240, 426, 240, 25, 1000, 'avc1.64001f,mp4a.40.2', 1, 1, 'f240-fragmented.mp4', 'p240.m3u8', '{}', 1
  FROM videos WHERE uuid = '$uuid';
SQL
wrangler d1 execute DB --local --persist-to "$state" --config "$ROOT/wrangler.toml" --file "$work/seed.sql" --yes > /dev/null
info_hash=$(node -e 'const c=require("crypto");process.stdout.write(c.createHash("sha1").update(process.argv[1]).digest().subarray(0,15).toString("base64"))' "pt-v2-$uuid-main-default-240")
url="ws://127.0.0.1:$port/tracker/socket/$uuid"

printf '| sockets | offered msg/s | answered msg/s | answered/offered | unanswered | p50 ms | p99 ms |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for level in $LEVELS; do
  log "$level sockets"
  node "$ROOT/tests/bench/tracker_load.mjs" "$url" "$info_hash" "$level" 5 "$SECONDS_PER_LEVEL" | python3 -c '
import json, sys
r = json.load(sys.stdin)
ratio = r["answered_per_s"] / max(1, r["offered_per_s"])
cells = [r["sockets"], r["offered_per_s"], r["answered_per_s"], "%.2f" % ratio, r["unanswered"], r["p50_ms"], r["p99_ms"]]
print("| " + " | ".join(str(c) for c in cells) + " |")'
done
