#!/usr/bin/env bash
# Checks and times the CUDA backend on a GPU machine that has CUDA but no
# LLVM/MLIR (no compiler build there), with the kit that
#   /usr/bin/python3 benchmarks/gpu/kit.py prepare --build build --kit gpu-kit
# made on a build machine. From the repository root:
#   1. every gpu test binary (a skip is a failure here);
#   2. kit.py check: helix-run-module --backend cuda against the CPU
#      backend's outputs recorded in the kit;
#   3. the attention kernel's bandwidth against a device-to-device copy
#      (a miss of the 80% goal is reported, not a failure);
#   4. the decode step of a ~190M-parameter bf16 Llama (made here) with
#      --backend cuda, and with KIT_CPU_BENCH=1 also --backend cpu (about
#      1.5 minutes of CPU time).
# Every command has a time limit and the whole output also goes to
# $OUT/kit-run.log when $OUT is set (the device tool brings $OUT back).
# Exit status: 0 all checks passed, 1 a check failed, 2 the kit or the GPU
# is missing.
# Usage: benchmarks/gpu/kit-run.sh [kit-dir]   (default: gpu-kit)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kit="$(cd "${1:-$root/gpu-kit}" 2>/dev/null && pwd)" ||
  { echo "error: no kit at ${1:-$root/gpu-kit} (make it with kit.py prepare; carry it)" >&2; exit 2; }
py="${PYTHON:-python3}"
[ -n "${OUT:-}" ] && exec > >(tee "$OUT/kit-run.log") 2>&1

# The kit's libraries first, then CUDA's from the image: the toolkit's, or
# the pip wheels' (nvidia-nccl-cu13, nvidia-cublas, ...).
wheels=$("$py" -c 'import glob, nvidia
print(":".join(d for p in nvidia.__path__ for d in glob.glob(p + "/*/lib")))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$kit/lib:${wheels}:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
# A stuck collective fails in a minute rather than at the 10-minute default.
export HELIX_COMM_TIMEOUT_MS="${HELIX_COMM_TIMEOUT_MS:-60000}" NCCL_DEBUG="${NCCL_DEBUG:-WARN}"
# Every command's limit is also cut to what is left of the whole run's
# budget (KIT_BUDGET_S, default 540 s: under the device tool's 10-minute
# command limit), so a slow step leaves the log of the ones before it.
deadline=$((SECONDS + ${KIT_BUDGET_S:-540}))
limit() {
  local left=$((deadline - SECONDS)) want=$1; shift
  ((left < want)) && want=$left
  ((want < 1)) && { echo "kit: out of time before: $*"; return 124; }
  timeout -k 5 "$want" "$@"
}

nvidia-smi -L || { echo "error: no GPU visible (nvidia-smi -L failed)" >&2; exit 2; }
missing=$(ldd "$kit"/bin/* 2>/dev/null | grep "not found" | sort -u)
if [ -n "$missing" ]; then
  echo "error: libraries the kit's programs need are missing here:"; echo "$missing"; exit 2
fi

status=0
for t in "$kit"/bin/Gpu*Test; do
  name=$(basename "$t")
  out=$(limit 120 "$t" 2>&1)
  rc=$?
  if ((rc != 0)); then
    echo "$out" | grep -E '^\[  FAILED  \]|Failure|error' | head -40
    echo "FAILED: $name (exit $rc)"; status=1
  elif grep -q '\[  SKIPPED \]' <<<"$out"; then
    echo "$out" | grep -A2 'SKIPPED' | head -10
    echo "FAILED: $name skipped on a GPU machine"; status=1
  else
    echo "passed: $name ($(grep -c '\[       OK \]' <<<"$out") cases)"
  fi
done

limit 300 "$py" "$root/benchmarks/gpu/kit.py" check --kit "$kit" || status=1
limit 120 "$kit/bin/helix-gpu-attention-bench" ||
  echo "attention bandwidth: below the 80% goal somewhere from 32K on, or failed (above)"

bench="$kit/bench-model"
if [ ! -d "$bench" ]; then
  mapfile -t args < <("$py" -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1]))["bench_model"]))' "$kit/kit.json")
  limit 300 "$py" "$root/test/e2e/make_tiny_model.py" -o "$bench" "${args[@]}" || status=1
fi
"$py" - "$kit/bench-prompts.json" <<'PY'
import json, random, sys
random.seed(0)
json.dump([[random.randrange(2, 32000) for _ in range(512)] for _ in range(8)],
          open(sys.argv[1], "w"))
PY
backends=(cuda)
[ "${KIT_CPU_BENCH:-0}" = 1 ] && backends+=(cpu)
echo "decode step, ~190M-parameter bf16 Llama, batch 8, context <= 576:"
for backend in "${backends[@]}"; do
  line=$(limit 300 "$kit/bin/helix-run-module" --module "$kit/modules/bench-$backend.so" \
         --model "$bench" --prompts "$kit/bench-prompts.json" --max-new-tokens 64 \
         --backend "$backend" | grep -E 'median')
  if [ -z "$line" ]; then
    echo "  --backend $backend: FAILED"; status=1
  else
    echo "  --backend $backend: $line"
  fi
done
exit $status
