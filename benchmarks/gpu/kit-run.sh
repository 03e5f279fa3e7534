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
#      --backend cuda at batch 8 and batch 1 (the first prompt), eager and
#      with decode steps recorded as CUDA graphs (HELIX_CUDA_GRAPHS=1), and with
#      KIT_CPU_BENCH=1 also --backend cpu at batch 8 (about 1.5 minutes of
#      CPU time);
#   5. the peer (benchmarks/gpu/peer_hf.py): Hugging Face transformers on the
#      same checkpoint and prompts, compiled (static cache, CUDA graphs) and
#      eager, its tokens compared with helix's, and its ms/step next to
#      helix's. Skipped when this python has no torch or transformers, or
#      with KIT_PEER=0; only its tokens disagreeing with helix's (fewer than
#      half the sequences agree on the first 8) fails the kit.
#      KIT_PEER_ARGS adds arguments to peer_hf.py (e.g. "--reps 5").
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
"$py" - "$kit/bench-prompts.json" "$kit/bench-prompts-1.json" <<'PY'
import json, random, sys
random.seed(0)
prompts = [[random.randrange(2, 32000) for _ in range(512)] for _ in range(8)]
json.dump(prompts, open(sys.argv[1], "w"))
json.dump(prompts[:1], open(sys.argv[2], "w"))
PY
mkdir -p "$kit/out"
# helix's median ms/step by "BACKEND-BATCH", for the peer's ratios.
declare -A helix_ms
bench_helix() {  # backend batch prompts [graphs]
  local tag="$1${4:+-$4}" line
  local out="$kit/out/bench-$tag-b$2.json"
  rm -f "$out"
  line=$(HELIX_CUDA_GRAPHS=$([ -n "${4:-}" ] && echo 1 || echo 0) \
         limit 300 "$kit/bin/helix-run-module" --module "$kit/modules/bench-$1.so" \
         --model "$bench" --prompts "$3" --max-new-tokens 64 --backend "$1" \
         --output "$out" | grep -E 'median')
  if [ -z "$line" ]; then
    echo "  --backend $1${4:+ (CUDA graphs)}, batch $2: FAILED"; status=1
  else
    [ -n "${4:-}" ] && line+=" ($("$py" -c 'import json, sys
t = json.load(open(sys.argv[1]))["timing"]
print("%d steps recorded, %d replayed" % (t["recorded_steps"], t["replayed_steps"]))' "$out"))"
    echo "  --backend $1${4:+ (CUDA graphs)}, batch $2: $line"
    helix_ms[$tag-$2]=$(sed -E 's/.*median ([0-9.]+) ms\/step.*/\1/' <<<"$line")
  fi
}
echo "decode step, ~190M-parameter bf16 Llama, 512-token prompts, context <= 576:"
bench_helix cuda 8 "$kit/bench-prompts.json"
bench_helix cuda 1 "$kit/bench-prompts-1.json"
# The same with decode steps recorded as CUDA graphs (HELIX_CUDA_GRAPHS=1).
bench_helix cuda 8 "$kit/bench-prompts.json" graphs
bench_helix cuda 1 "$kit/bench-prompts-1.json" graphs
[ "${KIT_CPU_BENCH:-0}" = 1 ] && bench_helix cpu 8 "$kit/bench-prompts.json"

# The peer: its lines "peer hf-MODE: X ms/step (...)", per batch.
declare -A peer_ms
bench_peer() {  # batch prompts time-limit
  local helix_out="$kit/out/bench-cuda-b$1.json" out rc
  [ -f "$helix_out" ] || { echo "peer, batch $1: skipped (no helix output to compare with)"; return; }
  echo "peer (Hugging Face transformers, same checkpoint and prompts), batch $1:"
  out=$(limit "$3" "$py" "$root/benchmarks/gpu/peer_hf.py" --model "$bench" \
        --prompts "$2" --max-new-tokens 64 --helix-output "$helix_out" \
        ${KIT_PEER_ARGS:-} 2>&1)
  rc=$?
  # The peer's own lines; of the rest (compile warnings, a traceback) the
  # last few when it failed.
  local mine='^(peer|  hf-|    sequence|error)'
  grep -E "$mine" <<<"$out"
  if ((rc == 1)) && grep -q 'fewer than half the sequences agree' <<<"$out"; then
    echo "FAILED: helix's tokens disagree with the peer's (batch $1)"; status=1
  elif ((rc != 0)); then
    grep -vE "$mine" <<<"$out" | tail -5
    echo "peer, batch $1: exit $rc (not a kit failure)"
  fi
  local mode ms
  for mode in compiled eager; do
    ms=$(sed -nE "s/^peer hf-$mode: ([0-9.]+) ms\/step.*/\1/p" <<<"$out")
    [ -n "$ms" ] && peer_ms[$mode-$1]=$ms
  done
}
if [ "${KIT_PEER:-1}" = 0 ]; then
  echo "peer: skipped (KIT_PEER=0)"
elif ! why=$("$py" -c 'import torch, transformers' 2>&1); then
  echo "peer: skipped ($py has no torch or transformers: $(tail -1 <<<"$why"))"
else
  bench_peer 8 "$kit/bench-prompts.json" 240
  bench_peer 1 "$kit/bench-prompts-1.json" 180
  echo "decode ms/step, helix --backend cuda next to the peers (peer/helix > 1: helix is faster):"
  for b in 8 1; do
    h=${helix_ms[cuda-$b]:-}
    row="  batch $b: helix ${h:-n/a} (with CUDA graphs ${helix_ms[cuda-graphs-$b]:-n/a})"
    for mode in compiled eager; do
      p=${peer_ms[$mode-$b]:-}
      if [ -n "$p" ] && [ -n "$h" ]; then
        row+=", hf-$mode $p ($(awk -v p="$p" -v h="$h" 'BEGIN { printf(h > 0 ? "%.2f" : "n/a", p / (h > 0 ? h : 1)) }')x)"
      else
        row+=", hf-$mode ${p:-n/a}"
      fi
    done
    echo "$row"
  done
fi
exit $status
