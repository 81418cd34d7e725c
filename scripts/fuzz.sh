#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for FUZZ_SECONDS (default 300) seconds each, one after the
# other, on the nightly toolchain; installs cargo-fuzz first if it is missing. Not part of
# `make test`. New inputs found are added to fuzz/corpus/<target>/ (commit only the small, useful
# ones, e.g. after `cargo +nightly fuzz cmin <target>`); a crash stops the script and leaves its
# input in fuzz/artifacts/<target>/.
# Usage: scripts/fuzz.sh [target...]   (default: every target)
source "$(dirname "$0")/lib.sh"
SECONDS_EACH="${FUZZ_SECONDS:-300}"
if ! rustup toolchain list | grep -q '^nightly'; then
  log "installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null; then
  log "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
cd "$ROOT/fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
for target in "${targets[@]}"; do
  log "fuzzing $target for ${SECONDS_EACH}s"
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$SECONDS_EACH"
done
