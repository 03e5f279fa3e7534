#!/usr/bin/env bash
# Decode-step latency of the CPU backend at N = 1, 2, 4, 8 ranks (threads),
# next to the STREAM triad bandwidth measured in the same run. Prints a
# markdown table (docs/benchmarks.md quotes it with this command).
#
# MODEL=anchor (default): the perf-anchors Llama-style model (hidden 1024, 8
# layers, 16 query / 4 KV heads of 64, FFN 2816, vocab 32000, fp32).
# MODEL=demo: the Llama model scripts/demo.sh runs (hidden 256, 4 layers,
# 8 query / 4 KV heads of 32, FFN 512, vocab 1024, fp32).
# Random weights; batch B sequences with a prompt of P tokens (chunked
# prefill), then G new tokens; the median is over the decode steps.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

source "$(dirname "$0")/model.sh"

B=${B:-1}; P=${P:-256}; G=${G:-32}; MODEL=${MODEL:-anchor}
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-cpu-$MODEL"
bench_model "$MODEL" "$work"
bench_prompts "$work/prompts.json" "$B" "$P" "$V"

# Bytes a step must stream: every weight except the embedding table (only B
# rows of it are gathered).
weights=$(( (V*H + L*(H*Q*D*2 + H*K*D*2 + 3*H*F) + (2*L+1)*H) * 4 ))
echo "model ($MODEL): Llama-style fp32, $((weights/1000000)) MB of weights streamed per step; batch $B, prompt $P, $G new tokens"
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cores=$(nproc)
declare -A triad
for t in $(seq 1 "$cores"); do triad[$t]=$("$bin/helix-stream-triad" "$t"); done
echo "STREAM triad (GB/s): $(for t in $(seq 1 "$cores"); do printf '%s thread(s) %s; ' "$t" "${triad[$t]}"; done)"
echo
echo "| ranks N | layout | median ms/step | tokens/s | bandwidth floor (ms) | % of floor |"
echo "|---|---|---|---|---|---|"
for n in 1 2 4 8; do
  case $n in
    1) layout=() ; name=unsharded ;;
    2) name=kvp=2,tpa=1,tpf=2 ;;
    4) name=kvp=2,tpa=2,tpf=4 ;;
    8) name=kvp=2,tpa=4,tpf=8 ;;
  esac
  [ "$n" = 1 ] || layout=(--layout "$name")
  line=$("$bin/helix-run" --model "$work/model" --prompts "$work/prompts.json" \
    --max-new-tokens "$G" --cache-dir "$work/cache" "${layout[@]}" | head -1)
  ms=$(sed -E 's/.*median ([0-9.]+) ms\/step.*/\1/' <<<"$line")
  tps=$(sed -E 's/.*, ([0-9.]+) tokens\/s.*/\1/' <<<"$line")
  # N ranks run on min(N, cores) cores: the floor is the weights over the
  # triad bandwidth of that many threads.
  used=$(( n < cores ? n : cores ))
  floor=$(awk -v w="$weights" -v bw="${triad[$used]}" 'BEGIN { printf "%.1f", w / (bw * 1e9) * 1000 }')
  pct=$(awk -v f="$floor" -v m="$ms" 'BEGIN { printf "%.0f", 100 * f / m }')
  echo "| $n | $name | $ms | $tps | $floor | $pct% |"
done
