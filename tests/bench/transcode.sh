#!/usr/bin/env bash
# Transcoding: Edgetube's single-decode ladder against PeerTube's job graph (issue: media pipeline).
#
# In one run on one machine:
#   1. builds transcode-runner in release mode;
#   2. makes the input: big-buck-bunny-720p-5s.mp4 looped to DURATION seconds (default 60) and
#      scaled to 1080p with a high-quality encode (libx264 -preset veryfast -crf 16, AAC 128k
#      stereo re-encoded, so that both strategies copy the audio as PeerTube would);
#   3. runs `transcode-runner transcode-local` RUNS times (default 3) per strategy, alternating
#      which goes first:
#        --strategy single          one ffmpeg decodes the input once and encodes 1080/720/480/360/240;
#        --strategy per-resolution  PeerTube's job graph: one ffmpeg per resolution with PeerTube's
#                                   flags, 1080p from the input, the lower ones from the 1080p file
#                                   (PeerTube's lower-resolution jobs read the max-quality file);
#      both with the same `--threads`: none by default, i.e. ffmpeg and x264 pick their own thread
#      counts (x264: 1.5 x cores), so both strategies may use every core and the comparison is about
#      the work done, not about parallelism. THREADS=n passes `--threads n` to both (PeerTube's
#      default `transcoding.threads` is 1). Reports the median process wall time, the median
#      `encode_seconds` of renditions.json (the encoding step only; the process also probes and
#      makes the thumbnail, preview and storyboard, the same for both), CPU time, and the ratios
#      per-resolution / single;
#   4. per rendition of the last run of each strategy: size of the -fragmented.mp4, bitrate
#      (size x 8 / duration) and SSIM (ffmpeg's `ssim` filter, the `All:` value) against the input.
#      The input is scaled DOWN to the rendition's size with the ladder's own scaler (ffmpeg's
#      default bicubic `scale`), rather than the rendition up to 1080p: the reference is then the
#      frame the encoder was given in the single-decode ladder, so SSIM measures what encoding lost
#      at that size, and is not dominated by the (identical) loss of resolution, which would
#      squeeze the difference between the strategies towards zero at 240p. Frames are paired in
#      order; when a rendition has k frames more than the input, its first k are dropped first:
#      the 1080p HLS file that per-resolution's lower renditions read starts its video 80 ms in
#      (B-frame delay, no edit list) and its audio 58 ms in, so `-r` (constant frame rate for the
#      HLS muxer) inserts one duplicate of the first frame, which would otherwise shift every pair.
# Prints machine info, load averages, ffmpeg and x264 versions, the commands, and markdown tables
# ready for BENCHMARKS.md on stdout; progress goes to stderr.
#
# Run: bash tests/bench/transcode.sh    (about 45 minutes with RUNS=3 on 2 shared cores)
# Env: RUNS (3), THREADS (unset), DURATION (60), EDGETUBE_FIXTURES (../shared/fixtures next to the
#      repository), KEEP=1 keeps the work directory, CARGO_TARGET_DIR as for cargo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HELPER="$ROOT/tests/bench/transcode_helper.py"
FIXTURES="${EDGETUBE_FIXTURES:-$ROOT/../shared/fixtures}"
SOURCE="$FIXTURES/video/big-buck-bunny-720p-5s.mp4"
RUNS="${RUNS:-3}"
THREADS="${THREADS:-}"
DURATION="${DURATION:-60}"
KEEP="${KEEP:-0}"

log() { printf '==> %s\n' "$*" >&2; }

[ -f "$SOURCE" ] || { log "no $SOURCE (set EDGETUBE_FIXTURES to the fixtures directory)"; exit 1; }
for tool in ffmpeg ffprobe cargo python3; do
  command -v "$tool" > /dev/null || { log "$tool is not installed"; exit 1; }
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')

log "building transcode-runner (release)"
(cd "$ROOT" && cargo build --release -p transcode-runner >&2)
target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
RUNNER="$target_dir/release/transcode-runner"

work=$(mktemp -d "${TMPDIR:-/tmp}/edgetube-bench-transcode.XXXXXX")
cleanup() {
  if [ "$KEEP" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- 1. the input -----------------------------------------------------------------------------
input="$work/bbb-1080p-${DURATION}s.mp4"
make_input=(ffmpeg -hide_banner -nostdin -v error -y -stream_loop -1 -i "$SOURCE" -t "$DURATION"
  -vf scale=-2:1080 -c:v libx264 -preset veryfast -crf 16 -pix_fmt yuv420p
  -c:a aac -b:a 128k -ac 2 -movflags +faststart "$input")
log "making the input: ${DURATION} s at 1080p"
"${make_input[@]}"
input_info=$(ffprobe -v error -select_streams v:0 \
  -show_entries stream=codec_name,width,height,avg_frame_rate,nb_frames:format=duration,bit_rate,size \
  -of default=noprint_wrappers=1 "$input" | paste -sd' ')

# --- 2. timed runs ----------------------------------------------------------------------------
threads_args=()
[ -n "$THREADS" ] && threads_args=(--threads "$THREADS")
results="$work/results.jsonl"
: > "$results"

runner_args() { # strategy: sets the array `cmd`
  cmd=("$RUNNER" transcode-local --input "$input" --output "$work/out-$1" --name "$1" --strategy "$1"
    "${threads_args[@]}")
}

run_one() { # strategy run
  local strategy=$1 run=$2 cmd
  runner_args "$strategy"
  rm -rf "$work/out-$strategy"
  log "run $run/$RUNS: $strategy"
  # run_ffmpeg=debug logs every ffmpeg command line, printed in the report.
  RUST_LOG=info,transcode_runner::run_ffmpeg=debug python3 "$HELPER" time "$results" "$strategy" "$run" \
    "$work/out-$strategy" -- "${cmd[@]}" 2> "$work/run-$strategy-$run.log" \
    || { tail -n 20 "$work/run-$strategy-$run.log" >&2; log "$strategy run $run failed"; return 1; }
  tail -n 1 "$work/run-$strategy-$run.log" >&2
}

for run in $(seq 1 "$RUNS"); do
  if [ $((run % 2)) = 1 ]; then order="single per-resolution"; else order="per-resolution single"; fi
  for strategy in $order; do run_one "$strategy" "$run"; done
done
load_after_runs=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 3. sizes and SSIM of the last run's renditions ----------------------------------------------
for strategy in single per-resolution; do
  log "SSIM of the $strategy renditions against the input"
  python3 "$HELPER" ssim "$input" "$work/out-$strategy" "$strategy" "$work/ssim-$strategy.json"
done

# --- 4. report --------------------------------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
echo "## Transcoding benchmark: single decode vs PeerTube's job graph"
echo
echo "- Command: \`RUNS=$RUNS${THREADS:+ THREADS=$THREADS} DURATION=$DURATION bash tests/bench/transcode.sh\`"
echo "- Date: $started_at; commit $commit"
echo "- Machine: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) cores" \
  "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "- Load average (1/5/15 min): $load_before before, $load_after_runs after the timed runs, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "- $(ffmpeg -version | head -n 1)"
echo "- Threads: ${THREADS:+--threads $THREADS for both strategies}${THREADS:-no --threads for either strategy (ffmpeg and x264 choose)}"
echo "- Input: \`$(printf '%q ' "${make_input[@]}" | sed "s|$work/||g; s|$FIXTURES/|<fixtures>/|g; s/ $//")\`"
echo "  ($input_info)"
runner_args '<strategy>'
echo "- Runner: \`$(echo "${cmd[@]}" | sed "s|$work/||g; s|$target_dir/|<target>/|")\`"
echo
python3 "$HELPER" report "$results" "$work/ssim-single.json" "$work/ssim-per-resolution.json"
echo
echo "### ffmpeg commands (last run)"
for strategy in single per-resolution; do
  echo
  echo "$strategy:"
  echo
  echo '```'
  grep -o 'running ffmpeg command=.*' "$work/run-$strategy-$RUNS.log" \
    | sed "s/^running ffmpeg command=//; s|$work/||g; s|\.partial-[0-9a-f-]*/||g" \
    | grep -e '-hls_time' || true
  echo '```'
done
