#!/usr/bin/env bash
# Prompt ingestion (prefill) speed of the CPU backend on the anchor model:
# prompts of P tokens for P in PROMPTS, at 1 and 2 ranks (threads), with
# chunked prefill (--prefill-chunk C, default CHUNK=256, the CPU default for one prompt) next to token by
# token (C = 1, only up to TOKENWISE_MAX tokens: it is slow). One new token
# per run, so the run is the prefill. Prints a markdown table of prompt
# tokens/s, next to the fp32 GEMM rate measured in the same run
# (docs/benchmarks.md quotes it with this command).
#
# LONG=1 instead runs the long-context example: a 32K-token prompt on
# kvp=2 (2 ranks), then 32 new tokens.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

source "$(dirname "$0")/model.sh"

PROMPTS=${PROMPTS:-"512 1024 4096 16384"}; CHUNK=${CHUNK:-256}
TOKENWISE_MAX=${TOKENWISE_MAX:-1024}; LONG=${LONG:-0}
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-cpu-anchor"
bench_model anchor "$work"
prompts() { bench_prompts "$1" 1 "$2" "$V"; }
# "prefill N prompt tokens in T ms (R tokens/s, chunk C)" -> R
rate() { sed -nE 's/.*prefill [0-9]+ prompt tokens in [0-9.]+ ms \(([0-9.]+) tokens\/s.*/\1/p'; }

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ "$LONG" = 1 ]; then
  prompts "$work/long.json" 32768
  echo "long context: 32768-token prompt, kvp=2,tpa=1,tpf=2 (2 ranks), 32 new tokens, chunk $CHUNK"
  # The generated model says max_position_embeddings 512; its random weights
  # run past it as well (--allow-long-context).
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$bin/helix-run" --model "$work/model" \
    --prompts "$work/long.json" --max-new-tokens 32 --layout kvp=2,tpa=1,tpf=2 \
    --prefill-chunk "$CHUNK" --cache-dir "$work/cache" --output "$work/long-out.json" \
    --allow-long-context
  exit 0
fi
echo "anchor model (Llama-style fp32, hidden $H, $L layers), batch 1, one new token"
# 2 FLOP per weight per token for the products (attention comes on top).
params=$(( V*H + L*(H*Q*D*2 + H*K*D*2 + 3*H*F) ))
gemm=$("$bin/helix-sgemm-rate" "$CHUNK")
echo "OpenBLAS sgemm, 1 thread, $CHUNK rows x FFN: $gemm GFLOP/s; the products of one"
echo "prompt token take $(awk -v p="$params" 'BEGIN { printf "%.2f", 2 * p / 1e9 }') GFLOP, so one rank's ceiling is $(awk -v p="$params" -v g="$gemm" 'BEGIN { printf "%.0f", g * 1e9 / (2 * p) }') tokens/s before attention"
echo
echo "| prompt tokens | ranks | layout | C = $CHUNK (tokens/s) | C = 1 (tokens/s) | speed-up |"
echo "|---|---|---|---|---|---|"
for p in $PROMPTS; do
  prompts "$work/prompt-$p.json" "$p"
  for n in 1 2; do
    layout=(); name=unsharded
    [ "$n" = 2 ] && { name=kvp=2,tpa=1,tpf=2; layout=(--layout "$name"); }
    run() {
      "$bin/helix-run" --model "$work/model" --prompts "$work/prompt-$p.json" \
        --max-new-tokens 1 --cache-dir "$work/cache" "${layout[@]}" \
        --prefill-chunk "$1" --allow-long-context | rate
    }
    chunked=$(run "$CHUNK")
    tokenwise=-; ratio=-
    if [ "$p" -le "$TOKENWISE_MAX" ]; then
      tokenwise=$(run 1)
      ratio=$(awk -v a="$chunked" -v b="$tokenwise" 'BEGIN { printf "%.1fx", a / b }')
    fi
    echo "| $p | $n | $name | $chunked | $tokenwise | $ratio |"
  done
done
