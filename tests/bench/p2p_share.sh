#!/usr/bin/env bash
# Share of bytes from peers with 2, 3 and 5 viewers (issue 11): a 60 s clip published by the real
# runner, Chromium viewers on the embed page (tests/tests/p2p.rs, the ignored measurement, driving
# tests/browser/p2p.mjs --share). Prints a Markdown table.
#
# Run: bash tests/bench/p2p_share.sh    (about 4 minutes)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"
[ -f functions/cloudflare/build/index.js ] || bash scripts/build-worker.sh
[ -x target/release/transcode-runner ] || cargo build --release -p transcode-runner
cargo test -p edgetube-e2e --test p2p -- --ignored --nocapture share_of_bytes_from_peers 2>/dev/null | grep '^|'
