#!/usr/bin/env bash
# Puts the player's third-party modules (hls.js, p2p-media-loader) beside the pages' own assets,
# from node_modules (package-lock.json pins them), as browser ES modules under
# web/public/assets/vendor/ (git-ignored). Workers static assets serve web/public/.
source "$(dirname "$0")/lib.sh"
vendor="$ROOT/web/public/assets/vendor"
mkdir -p "$vendor"
for pair in \
  "hls.js/dist/hls.min.mjs:hls.min.mjs" \
  "p2p-media-loader-core/dist/p2p-media-loader-core.es.min.js:p2p-media-loader-core.es.min.js" \
  "p2p-media-loader-hlsjs/dist/p2p-media-loader-hlsjs.es.min.js:p2p-media-loader-hlsjs.es.min.js"; do
  from="$ROOT/node_modules/${pair%%:*}"
  [ -f "$from" ] || { echo "missing $from: run scripts/setup.sh" >&2; exit 1; }
  cp "$from" "$vendor/${pair##*:}"
done
# PeerTube's per-video swarm ids (see the script).
node "$ROOT/scripts/patch-p2p-swarm-id.mjs" "$vendor/p2p-media-loader-core.es.min.js"
