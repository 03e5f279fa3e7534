#!/usr/bin/env bash
# Decode-step latency of the CPU backend at N = 1, 2, 4, 8 ranks (threads),
# next to the read-only and STREAM triad bandwidths measured in the same run
# (the floor divides by the read-only one: a step only reads). Prints a
# markdown table (docs/benchmarks.md quotes it with this command).
#
# MODEL=anchor (default): the perf-anchors Llama-style model (hidden 1024, 8
# layers, 16 query / 4 KV heads of 64, FFN 2816, vocab 32000, fp32).
# MODEL=demo: the Llama model scripts/demo.sh runs (hidden 256, 4 layers,
# 8 query / 4 KV heads of 32, FFN 512, vocab 1024, fp32).
# Random weights; batch B sequences with a prompt of P tokens (chunked
# prefill), then G new tokens; the median is over the decode steps.
# DTYPES="float32 bfloat16 float16" runs the same weights as each checkpoint
# dtype (default float32; the CPU device keeps bf16/f16 matrices as they
# are, so a step streams their bytes); RANKS="1 2" picks the rank counts
# (default 1 2 4 8). KV_DTYPES="float32 bfloat16" runs each with that
# --kv-dtype (default float32): at a long prompt (P=32768: the fp32 cache
# read per step, ~512 MB, passes the weights) bf16 halves what attention
# streams. The floor counts the cache read at the decode steps' mean context.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

source "$(dirname "$0")/model.sh"

B=${B:-1}; P=${P:-256}; G=${G:-32}; MODEL=${MODEL:-anchor}
DTYPES=${DTYPES:-float32}; RANKS=${RANKS:-1 2 4 8}; KV_DTYPES=${KV_DTYPES:-float32}
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-cpu-$MODEL"
for dtype in $DTYPES; do bench_model "$MODEL" "$work" "$dtype"; done
bench_prompts "$work/prompts.json" "$B" "$P" "$V"

# Bytes a step must stream: every weight except the embedding table (only B
# rows of it are gathered); matrices in the checkpoint's dtype, norms fp32.
matrices=$(( V*H + L*(H*Q*D*2 + H*K*D*2 + 3*H*F) )); norms=$(( (2*L+1)*H*4 ))
streamed() { case $1 in float32) echo $(( matrices*4 + norms )) ;; *) echo $(( matrices*2 + norms )) ;; esac; }
# Cache bytes a decode step reads (keys and values of every layer) at the
# mean context of the decode steps, in --kv-dtype $1.
kv_streamed() { local bytes=2; [ "$1" = float32 ] && bytes=4; echo $(( B * (P + G / 2) * L * 2 * K * D * bytes )); }
echo "model ($MODEL): Llama-style, $(for d in $DTYPES; do printf '%s %s MB, ' "$d" $(( $(streamed "$d")/1000000 )); done)of weights streamed per step, $(for k in $KV_DTYPES; do printf '%s KV cache %s MB, ' "$k" $(( $(kv_streamed "$k")/1000000 )); done)batch $B, prompt $P, $G new tokens"
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cores=$(nproc)
declare -A triad readbw
for t in $(seq 1 "$cores"); do
  triad[$t]=$("$bin/helix-stream-triad" "$t")
  readbw[$t]=$("$bin/helix-stream-read" "$t")
done
echo "STREAM triad (GB/s): $(for t in $(seq 1 "$cores"); do printf '%s thread(s) %s; ' "$t" "${triad[$t]}"; done)"
echo "read-only (GB/s, the floor's bandwidth): $(for t in $(seq 1 "$cores"); do printf '%s thread(s) %s; ' "$t" "${readbw[$t]}"; done)"
echo
echo "| dtype | kv dtype | ranks N | layout | median ms/step | tokens/s | bandwidth floor (ms) | % of floor |"
echo "|---|---|---|---|---|---|---|---|"
for dtype in $DTYPES; do
bench_model "$MODEL" "$work" "$dtype"
for kv in $KV_DTYPES; do
weights=$(( $(streamed "$dtype") + $(kv_streamed "$kv") ))
for n in $RANKS; do
  case $n in
    1) layout=() ; name=unsharded ;;
    2) name=kvp=2,tpa=1,tpf=2 ;;
    4) name=kvp=2,tpa=2,tpf=4 ;;
    8) name=kvp=2,tpa=4,tpf=8 ;;
  esac
  [ "$n" = 1 ] || layout=(--layout "$name")
  # Random weights: positions past max_position_embeddings (512) are fine.
  line=$("$bin/helix-run" --model "$MODEL_DIR" --prompts "$work/prompts.json" \
    --max-new-tokens "$G" --cache-dir "$work/cache" --kv-dtype "$kv" \
    --allow-long-context "${layout[@]}" | head -1)
  ms=$(sed -E 's/.*median ([0-9.]+) ms\/step.*/\1/' <<<"$line")
  tps=$(sed -E 's/.*, ([0-9.]+) tokens\/s.*/\1/' <<<"$line")
  # N ranks run on min(N, cores) cores: the floor is the weights and the
  # cache over the read-only bandwidth of that many threads (a step only
  # reads).
  used=$(( n < cores ? n : cores ))
  floor=$(awk -v w="$weights" -v bw="${readbw[$used]}" 'BEGIN { printf "%.1f", w / (bw * 1e9) * 1000 }')
  pct=$(awk -v f="$floor" -v m="$ms" 'BEGIN { printf "%.0f", 100 * f / m }')
  echo "| $dtype | $kv | $n | $name | $ms | $tps | $floor | $pct% |"
done
done
done
