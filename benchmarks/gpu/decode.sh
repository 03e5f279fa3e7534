#!/usr/bin/env bash
# Decode step time of a small bf16 Llama (hidden 1024, 8 layers, GQA 8/2 with
# head_dim 128, vocab 32000: ~190M parameters) on one GPU with
# helix-run --backend cuda, next to --backend cpu on the same machine:
# batch 8, prompts of 512 tokens, 64 new tokens (576 steps, context <= 576).
# Prints both medians (ms/step) and their ratio. Debian's python3 (with
# python3-numpy, as scripts/lib/common.sh installs) makes the model.
# Usage: benchmarks/gpu/decode.sh [build-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-gpu}"
work="$build/decode-bench"
run="$build/bin/helix-run"
mkdir -p "$work"
[ -d "$work/model" ] || /usr/bin/python3 "$root/test/e2e/make_tiny_model.py" -o "$work/model" \
  --arch llama --hidden 1024 --layers 8 --heads 8 --kv-heads 2 --head-dim 128 \
  --intermediate 4096 --vocab 32000 --dtype bfloat16 --seed 1
/usr/bin/python3 - "$work/prompts.json" <<'PY'
import json, random, sys
random.seed(0)
json.dump([[random.randrange(2, 32000) for _ in range(512)] for _ in range(8)],
          open(sys.argv[1], "w"))
PY
median() { sed -nE 's/.*median ([0-9.]+) ms\/step.*/\1/p'; }
common=(--model "$work/model" --prompts "$work/prompts.json" --max-new-tokens 64
        --cache-dir "$work/cache")
gpu=$("$run" "${common[@]}" --backend cuda | median)
cpu=$("$run" "${common[@]}" --backend cpu | median)
echo "decode step, ~190M-parameter bf16 Llama, batch 8, context <= 576:"
echo "  --backend cuda: $gpu ms/step (median)"
echo "  --backend cpu:  $cpu ms/step (median)"
/usr/bin/python3 -c "print('  cpu / cuda: %.1fx' % ($cpu / $gpu))"
