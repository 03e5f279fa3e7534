#!/usr/bin/env bash
# HOP-B's overlap, made visible: decode step time of a sharded CPU run with
# an injected collective latency L (HELIX_COMM_LATENCY_US, docs/runtime.md)
# at 1, 2 and 4 micro-batches. On this machine collectives between threads
# take microseconds, so without the injection there is nothing to hide.
#
# For each model and micro-batch count M it prints the median ms/step at
# L = 0, 50, 200 and 1000 us, the exposed communication per step (step time
# minus the L = 0 step time of the same M) and that exposure in units of L,
# next to what the schedule predicts: without overlap every collective of a
# step is paid in full (C = collectives per step, counted by the runtime's
# trace of the same run), with HOP-B's full overlap about one L per step.
#
# Models (random fp32 weights, batch 8, 16-token prompts, 24 new tokens):
#   llama:    the anchor model (benchmarks/cpu/model.sh), kvp=2,tpa=1,tpf=2;
#   deepseek: MLA + MoE (hidden 512, 4 layers, 8 heads, kv_lora 128, 8
#             routed experts of 512, top-2, 1 shared), kvp=2,tpa=1,tpf=1,ep=2.
# Usage: benchmarks/cpu/hopb.sh   (MODELS="llama deepseek", MBS="1 2 4",
#        LATENCIES="0 50 200 1000" narrow it)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"
source "$(dirname "$0")/model.sh"

MODELS=${MODELS:-llama deepseek}; MBS=${MBS:-1 2 4}
LATENCIES=${LATENCIES:-0 50 200 1000}
B=8; P=16; G=24
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-hopb"
mkdir -p "$work"

model_dir() {  # name -> sets dir, layout, layers
  case $1 in
    llama)
      bench_model anchor "$work/llama" float32
      dir=$MODEL_DIR layout=kvp=2,tpa=1,tpf=2 layers=$L ;;
    deepseek)
      dir=$work/deepseek/model layout=kvp=2,tpa=1,tpf=1,ep=2 layers=4
      [ -f "$dir/config.json" ] || /usr/bin/python3 "$HELIX_ROOT/test/e2e/make_tiny_model.py" \
        -o "$dir" --arch deepseek --hidden 512 --layers 4 --heads 8 --vocab 8000 \
        --kv-lora-rank 128 --q-lora-rank 0 --qk-nope-head-dim 32 --qk-rope-head-dim 16 \
        --v-head-dim 32 --n-routed-experts 8 --n-shared-experts 1 \
        --num-experts-per-tok 2 --n-group 1 --topk-group 1 \
        --moe-intermediate-size 512 --intermediate 1024 --first-k-dense-replace 1 \
        --seed 1 >/dev/null ;;
  esac
}

bench_prompts "$work/prompts.json" "$B" "$P" 8000
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "batch $B, prompt $P, $G new tokens; median ms per decode step; exposed = step(L) - step(0)"
echo
echo "| model | layout | M | collectives/step | L us | ms/step | exposed ms | exposed / L | no overlap: C x L ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in $MODELS; do
  model_dir "$name"
  for m in $MBS; do
    base=""
    for lat in $LATENCIES; do
      out=$(HELIX_COMM_LATENCY_US=$lat "$bin/helix-run" --model "$dir" \
        --prompts "$work/prompts.json" --max-new-tokens "$G" --cache-dir "$work/cache" \
        --layout "$layout" --microbatches "$m" --output "$work/out.json" 2>&1 >/dev/null; \
        cat "$work/out.json")
      ms=$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["timing"]["median_ms_per_step"])' <<<"$out")
      c=$(/usr/bin/python3 -c 'import json, sys; t = json.load(sys.stdin)["timing"]; print(t.get("collectives_per_step", "n/a"))' <<<"$out")
      [ -n "$base" ] || base=$ms
      /usr/bin/python3 - "$name" "$layout" "$m" "$c" "$lat" "$ms" "$base" <<'PY'
import sys
name, layout, m, c, lat, ms, base = sys.argv[1:]
lat, ms, base = float(lat), float(ms), float(base)
exposed = ms - base
units = "%.1f" % (exposed * 1000 / lat) if lat else "-"
full = "%.2f" % (float(c) * lat / 1000) if c != "n/a" and lat else "-"
print("| %s | %s | %s | %s | %d | %.2f | %.2f | %s | %s |"
      % (name, layout, m, c, lat, ms, exposed, units, full))
PY
    done
  done
done
