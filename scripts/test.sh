#!/usr/bin/env bash
# Installs what is missing, builds into build/ and runs every test (lit,
# GoogleTest, end-to-end, fuzz corpus replay) through ctest. `--sanitize`
# does the same in build-sanitize/ with AddressSanitizer +
# UndefinedBehaviorSanitizer; `--tsan` runs the runtime's unit tests under
# ThreadSanitizer in build-tsan/ (scripts/tsan.sh); `--fuzz SECONDS` fuzzes
# each fuzz target that long in build-fuzz/ (scripts/fuzz.sh).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

build_dir="$HELIX_ROOT/build"
cmake_args=()
case "${1:-}" in
  "") ;;
  --sanitize)
    build_dir="$HELIX_ROOT/build-sanitize"
    cmake_args=(-DHELIX_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
    # allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs from
    # our instrumented copies of its inline code, while the uninstrumented
    # libMLIR.so allocates from the same slabs without unpoisoning; the
    # reports that follow are false positives, not bugs in either.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allow_user_poisoning=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    # Open MPI's own allocations are never freed at finalize; suppress them
    # (and keep its plugins loaded so the reports can name them).
    # (full unwinding: Open MPI has no frame pointers, so the fast unwinder
    # stops before reaching the library the suppressions name).
    export LSAN_OPTIONS="suppressions=$HELIX_ROOT/scripts/lsan-suppressions.txt:fast_unwind_on_malloc=0"
    export OMPI_MCA_mca_base_component_disable_dlclose=1
    ;;
  --fuzz)
    # Fuzz every target SECONDS each (scripts/fuzz.sh); the normal run only
    # replays the seed corpus and saved crash inputs.
    exec "$HELIX_ROOT/scripts/fuzz.sh" "${2:?usage: $0 --fuzz SECONDS}" ;;
  --tsan)
    # ThreadSanitizer over the runtime's unit tests (scripts/tsan.sh).
    exec "$HELIX_ROOT/scripts/tsan.sh" ;;
  -h|--help) echo "usage: $0 [--sanitize | --tsan | --fuzz SECONDS]"; exit 0 ;;
  *) echo "error: unknown option '$1' (usage: $0 [--sanitize | --tsan | --fuzz SECONDS])" >&2; exit 2 ;;
esac

helix_install_deps
helix_python_env "$build_dir"
helix_configure "$build_dir" "${cmake_args[@]}"
helix_build "$build_dir"

helix_log "running tests in $build_dir"
log="$build_dir/ctest.log"
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$HELIX_JOBS") 2>&1 | tee "$log" || status=$?
# ctest's own count: "NN% tests passed, F tests failed out of T".
summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$summary")
if [ -z "$summary" ]; then
  echo "helix test summary: ctest did not run to completion"
  exit "$((status == 0 ? 1 : status))"
fi
# Tests that skip with a reason (the GPU suite without a GPU) count as run
# but not passed.
skipped=$(grep -cE '^\s*[0-9]+ - .* \(Skipped\)$' "$log" || true)
echo "helix test summary: $((total - failed - skipped)) passed, $skipped skipped, $failed failed (of $total)"
exit "$status"
