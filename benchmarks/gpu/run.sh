#!/usr/bin/env bash
# Builds the CUDA backend, runs its checks, and times the attention kernel
# on the GPU of this machine, in one go:
#   1. configure build-gpu/ (CUDA on) and build helix_rt_cuda, its tests and
#      the benchmark;
#   2. ctest -L cuda-build (no spills, both architectures in the fatbin),
#      -L gpu (every kernel against its CPU twin; here they must not skip)
#      and the NCCL planning unit tests;
#   3. helix-gpu-attention-bench: attention bandwidth vs a device-to-device
#      copy for local KV lengths 4K..1M (goal: >= 80% from 32K on);
#   4. the decode step of a small bf16 Llama (~190M parameters) with
#      helix-run --backend cuda next to --backend cpu (median ms/step).
# Usage: benchmarks/gpu/run.sh [build-dir]   (JOBS=N for parallel builds)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-gpu}"
jobs="${JOBS:-$(nproc)}"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "error: no GPU visible (nvidia-smi -L failed); this script needs one" >&2
  exit 2
fi
nvidia-smi -L

cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
  -DHELIX_WERROR=ON -DHELIX_ENABLE_CUDA=ON
gpu_tests="GpuAttentionTest GpuMlaTest GpuMergeTest GpuNormRopeTest GpuGemmTest
  GpuMoeRouteTest GpuNcclTest GpuDeviceOpsTest"
# shellcheck disable=SC2086
ninja -C "$build" -j "$jobs" helix_rt_cuda HelixCudaBootstrapTests \
  helix-gpu-attention-bench helix-run $gpu_tests

cd "$build"
ctest --output-on-failure -L cuda-build
ctest --output-on-failure -R 'BootstrapEnv'
# On a GPU machine a skipped gpu test is a failure: run the binaries so the
# skip regex cannot hide one.
for t in $gpu_tests; do
  out=$("./bin/$t" 2>&1) || { echo "$out"; echo "FAILED: $t" >&2; exit 1; }
  if grep -q '\[  SKIPPED \]' <<<"$out"; then
    echo "$out"; echo "FAILED: $t skipped on a GPU machine" >&2; exit 1
  fi
  echo "passed: $t"
done

# helix-run --backend cuda against --backend cpu on tiny models.
out=$(/usr/bin/python3 "$root/test/e2e/gpu_decode.py" --helix-run ./bin/helix-run \
  --work "$build/gpu-decode" 2>&1) || { echo "$out"; echo "FAILED: gpu_decode" >&2; exit 1; }
echo "$out"
if grep -q '\[  SKIPPED \]' <<<"$out"; then
  echo "FAILED: gpu_decode skipped on a GPU machine" >&2; exit 1
fi

./bin/helix-gpu-attention-bench ||
  echo "attention bandwidth: below the 80% goal somewhere from 32K on, or failed (above)"
"$root/benchmarks/gpu/decode.sh" "$build"
