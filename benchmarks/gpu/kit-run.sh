#!/usr/bin/env bash
# Checks and times the CUDA backend on a GPU machine that has CUDA but no
# LLVM/MLIR (no compiler build there), with the kit that
#   /usr/bin/python3 benchmarks/gpu/kit.py prepare --build build --kit gpu-kit
# made on a build machine. From the repository root:
#   1. every gpu test binary (a skip is a failure here);
#   2. kit.py check: helix-run-module --backend cuda against the CPU
#      backend's outputs recorded in the kit;
#   3. the attention kernel's bandwidth against a device-to-device copy;
#   4. the decode step of a ~190M-parameter bf16 Llama (made here), with
#      --backend cuda and --backend cpu: medians and their ratio.
# Usage: benchmarks/gpu/kit-run.sh [kit-dir]   (default: gpu-kit)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kit="$(cd "${1:-$root/gpu-kit}" && pwd)"
py="${PYTHON:-python3}"

# The kit's libraries first, then CUDA's from the image: the toolkit's, or
# the pip wheels' (nvidia-nccl-cu13, nvidia-cublas, ...).
wheels=$("$py" -c 'import glob, nvidia
print(":".join(d for p in nvidia.__path__ for d in glob.glob(p + "/*/lib")))' 2>/dev/null || true)
export LD_LIBRARY_PATH="$kit/lib:${wheels}:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
nvidia-smi -L || { echo "error: no GPU visible (nvidia-smi -L failed)" >&2; exit 2; }

status=0
for t in "$kit"/bin/Gpu*Test; do
  name=$(basename "$t")
  out=$("$t" 2>&1)
  rc=$?
  if ((rc != 0)); then
    echo "$out"; echo "FAILED: $name"; status=1
  elif grep -q '\[  SKIPPED \]' <<<"$out"; then
    echo "$out"; echo "FAILED: $name skipped on a GPU machine"; status=1
  else
    echo "passed: $name ($(grep -c '\[       OK \]' <<<"$out") cases)"
  fi
done

"$py" "$root/benchmarks/gpu/kit.py" check --kit "$kit" || status=1
"$kit/bin/helix-gpu-attention-bench" || status=1

bench="$kit/bench-model"
if [ ! -d "$bench" ]; then
  mapfile -t args < <("$py" -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1]))["bench_model"]))' "$kit/kit.json")
  "$py" "$root/test/e2e/make_tiny_model.py" -o "$bench" "${args[@]}" || status=1
fi
"$py" - "$kit/bench-prompts.json" <<'PY'
import json, random, sys
random.seed(0)
json.dump([[random.randrange(2, 32000) for _ in range(512)] for _ in range(8)],
          open(sys.argv[1], "w"))
PY
median() { sed -nE 's/.*median ([0-9.]+) ms\/step.*/\1/p'; }
for backend in cuda cpu; do
  ms=$("$kit/bin/helix-run-module" --module "$kit/modules/bench-$backend.so" \
       --model "$bench" --prompts "$kit/bench-prompts.json" --max-new-tokens 64 \
       --backend "$backend" | median)
  declare "ms_$backend=${ms:-nan}"
done
echo "decode step, ~190M-parameter bf16 Llama, batch 8, context <= 576:"
echo "  --backend cuda: ${ms_cuda} ms/step (median)"
echo "  --backend cpu:  ${ms_cpu} ms/step (median, host code for x86-64-v3)"
exit $status
