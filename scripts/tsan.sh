#!/usr/bin/env bash
# ThreadSanitizer over the code that runs ranks as threads: the runtime's
# unit tests (the threads and shared communicators with their host twin, the
# rank/module runtime, the kernels) built with -fsanitize=thread in
# build-tsan/ (no CUDA, no MLIR-dependent targets). Exits non-zero on any
# race report or test failure.
# Usage: scripts/tsan.sh   (also: scripts/test.sh --tsan)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

build="$HELIX_ROOT/build-tsan"
tests=(CommTest SharedCommTest RuntimeModuleTest HelixKernelsTests RunCoreTest)
helix_install_deps
helix_python_env "$build"
helix_configure "$build" -DHELIX_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHELIX_ENABLE_CUDA=OFF
helix_log "building ${tests[*]} with ThreadSanitizer in $build"
cmake --build "$build" -j "$HELIX_JOBS" --target "${tests[@]}"
# halt_on_error: the first race fails the test that hit it.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
status=0
for t in "${tests[@]}"; do
  if "$build/bin/$t" > "$build/tsan-$t.log" 2>&1; then
    echo "tsan $t: $(grep -E '^\[  PASSED  \]' "$build/tsan-$t.log" | head -1)"
  else
    status=1
    echo "tsan $t: FAILED"
    grep -m5 -E 'WARNING: ThreadSanitizer|SUMMARY|FAILED' "$build/tsan-$t.log" || true
  fi
done
exit $status
