#!/usr/bin/env bash
# Fuzzes every target under fuzz/ for SECONDS each (libFuzzer with ASan +
# UBSan and a 2 GB memory limit), in build-fuzz/. New inputs grow
# build-fuzz/corpus/NAME (the seeds in fuzz/corpus/NAME are read too);
# crashes, leaks, timeouts and out-of-memory inputs land in
# build-fuzz/crashes/NAME. Copy a finding into fuzz/crashes/NAME once it is
# fixed: the normal test run replays it from then on. Prints executions and
# findings per target; exits 1 if any target found something. A target
# with a dictionary (fuzz/NAME.dict: tokens of its format) gets it.
# Usage: scripts/fuzz.sh SECONDS [NAME...]   (default: every target; also
# scripts/test.sh --fuzz SECONDS)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

seconds=${1:?usage: scripts/fuzz.sh SECONDS [NAME...]}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "error: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }
shift
names=("$@")
if ((${#names[@]} == 0)); then
  for source in "$HELIX_ROOT"/fuzz/corpus/*/; do names+=("$(basename "$source")"); done
fi
for name in "${names[@]}"; do
  [ -d "$HELIX_ROOT/fuzz/corpus/$name" ] || { echo "error: no fuzz target '$name' (fuzz/corpus/$name is missing)" >&2; exit 2; }
done
build="$HELIX_ROOT/build-fuzz"
helix_install_deps
# No CUDA: the parsers under test do not need it, and nvcc is slow.
helix_configure "$build" -DHELIX_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHELIX_ENABLE_CUDA=OFF
helix_log "building the fuzz targets in $build"
cmake --build "$build" -j "$HELIX_JOBS" --target helix-fuzz-targets

# A bounded quarantine: ASan's default let the tokenizer target's RSS pass
# the 2 GB limit after ~150K inputs with ~31 MB live (an out-of-memory
# "finding" with an empty input); 64 MB keeps RSS a measure of our memory.
export ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0:quarantine_size_mb=64
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
found=0
for name in "${names[@]}"; do
  source="$HELIX_ROOT/fuzz/corpus/$name"
  dict=()
  [ -f "$HELIX_ROOT/fuzz/$name.dict" ] && dict=(-dict="$HELIX_ROOT/fuzz/$name.dict")
  corpus="$build/corpus/$name" crashes="$build/crashes/$name"
  mkdir -p "$corpus" "$crashes"
  log="$build/fuzz-$name.log"
  helix_log "fuzzing $name for $seconds s"
  target="$build/bin/helix-fuzz-$name"
  [ -x "$target" ] || { echo "error: $target was not built" >&2; exit 2; }
  "$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -timeout=10 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$crashes/" "$corpus" "$source" >"$log" 2>&1 || true
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  findings=$(find "$crashes" -type f | wc -l)
  echo "fuzz $name: ${execs:-?} executions in $seconds s, corpus $(find "$corpus" -type f | wc -l) inputs, $findings findings"
  if ((findings > 0)); then
    found=1
    find "$crashes" -type f | head -5
    grep -m3 -E 'ERROR|runtime error|SUMMARY' "$log" || true
  fi
done
exit $found
