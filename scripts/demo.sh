#!/usr/bin/env bash
# Installs what is missing, builds into build/ and runs the main job: a small
# generated model (Hugging Face layout, random weights) is imported, compiled
# for 4 ranks with a Helix layout and decoded on the CPU; the tokens, the
# per-token latency and whether the output matches the unsharded run are
# printed. Done for a Llama (GQA) and a DeepSeek-V3-style (MLA + MoE) model.
# Then the Llama gets a tokenizer.json (byte-level BPE in Llama 3's format,
# trained by test/e2e/make_tokenizer.py: the generated model has none) and
# decodes a text prompt, streaming its text (noise: the weights are random).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

helix_install_deps
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build"

bin="$HELIX_ROOT/build/bin"
e2e="$HELIX_ROOT/test/e2e"
work="$HELIX_ROOT/build/demo"
rm -rf "$work" && mkdir -p "$work"
echo '[[1, 17, 42, 99, 7, 300, 12], [5, 6], [800, 801, 802, 803]]' > "$work/prompts.json"

run_model() { # NAME LAYOUT GENERATOR-ARGS...
  local name=$1 layout=$2
  shift 2
  local dir="$work/$name"
  echo
  echo "=== $name: generate, import, compile for 4 ranks ($layout), decode"
  /usr/bin/python3 "$e2e/make_tiny_model.py" -o "$dir/model" "$@" >/dev/null
  "$bin/helix-import" "$dir/model" -o "$dir/step.mlir"
  "$bin/helix-opt" "$dir/step.mlir" --helix-graph-summary -o /dev/null | sed -n '1,6p'
  local common=(--model "$dir/model" --prompts "$work/prompts.json" --max-new-tokens 24
                --cache-dir "$work/cache")
  "$bin/helix-run" "${common[@]}" --output "$dir/one.json" --dump-logits "$dir/one.npy" |
    sed -n '1p' | sed 's/^/unsharded: /'
  "$bin/helix-run" "${common[@]}" --layout "$layout" --microbatches 2 --kv-block 4 \
    --output "$dir/four.json" --dump-logits "$dir/four.npy" | sed 's/^helix-run: //'
  if /usr/bin/python3 "$e2e/compare_runs.py" "$dir/one.json" "$dir/one.npy" \
       "$dir/four.json" "$dir/four.npy" >/dev/null; then
    echo "matches unsharded: yes"
  else
    echo "matches unsharded: NO"
    return 1
  fi
}

run_model llama kvp=2,tpa=2,tpf=4 --arch llama --hidden 256 --heads 8 --kv-heads 4 \
  --head-dim 32 --intermediate 512 --layers 4 --vocab 1024 --seed 7
run_model deepseek kvp=4,tpa=1,tpf=1,ep=4 --arch deepseek --hidden 256 --heads 8 \
  --layers 4 --vocab 1024 --seed 7

echo
echo "=== llama: a text prompt through tokenizer.json, sampled on 4 ranks"
/usr/bin/python3 "$e2e/make_tokenizer.py" -o "$work/llama/model" --vocab 1024 --stop-ids
"$bin/helix-run" --model "$work/llama/model" --prompt "The quick brown fox" \
  --max-new-tokens 24 --temperature 0.8 --top-p 0.95 --seed 1 \
  --layout kvp=2,tpa=2,tpf=4 --cache-dir "$work/cache" --output "$work/llama/text.json" |
  sed -n '1p' | sed 's/^/text (random weights, so noise): /'
