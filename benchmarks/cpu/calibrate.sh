#!/usr/bin/env bash
# helix-plan against measured steps. helix-calibrate measures this machine
# (decode GEMV bandwidth and rates, the threads communicator's collectives)
# into a hardware file; then, for every Helix layout of 1, 2 and 4 ranks
# that the anchor model allows (helix-plan --layout refuses the others) at
# batch 1 and 8 (and 2 micro-batches at batch 8), it prints helix-plan's
# modelled step time next to helix-run's median ms per decode step (out.json
# timing.median_ms_per_step) and their ratio. Last, per rank count and
# batch, the layout the model ranks first against the fastest measured one.
#
# Model: the anchor (benchmarks/cpu/model.sh), fp32 random weights; P-token
# prompts, G new tokens; the modelled context is P + G/2 (the median step).
# Usage: benchmarks/cpu/calibrate.sh   (HARDWARE=file.json reuses a
#        hardware file; RANKS="1 2 4", BATCHES="1 8", P, G narrow it)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"
source "$(dirname "$0")/model.sh"

RANKS=${RANKS:-1 2 4}; BATCHES=${BATCHES:-1 8}; P=${P:-32}; G=${G:-32}
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-calibrate"
mkdir -p "$work"
bench_model anchor "$work"
context=$(( P + G / 2 ))

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
hw=${HARDWARE:-$work/host.json}
if [ -z "${HARDWARE:-}" ]; then
  "$bin/helix-calibrate" > "$hw.tmp" 2> "$work/calibrate.log"
  mv "$hw.tmp" "$hw"
  sed 's/^/calibration: /' "$work/calibrate.log"
fi
echo "anchor model, fp32; prompt $P, $G new tokens, modelled context $context; hardware $hw"
echo
echo "| ranks | layout | batch | predicted ms | measured ms | predicted / measured |"
echo "|---|---|---|---|---|---|"

# Candidate layouts of N ranks: every kvp x tpa = N, FFN over all N
# (tpf = N, ep = 1: the anchor is dense), and at batch 8 also M = 2.
candidates() {
  local n=$1 b=$2 tpa
  for tpa in 1 2 4 8; do
    [ $(( n % tpa )) = 0 ] || continue
    echo "kvp=$(( n / tpa )),tpa=$tpa,tpf=$n"
    [ "$b" -ge 2 ] && [ "$n" -ge 2 ] && echo "kvp=$(( n / tpa )),tpa=$tpa,tpf=$n,microbatches=2"
  done
  return 0
}

results="$work/results.txt"; : > "$results"
for n in $RANKS; do
  for b in $BATCHES; do
    bench_prompts "$work/prompts-$b.json" "$b" "$P" "$V"
    for layout in $(candidates "$n" "$b"); do
      if ! plan=$("$bin/helix-plan" --model "$MODEL_DIR/config.json" --hardware "$hw" \
          --context "$context" --dtype fp32 --layout "$layout" --batch "$b" 2>&1); then
        echo "skipped $layout (batch $b): $plan" >&2
        continue
      fi
      predicted=$(sed -E 's/.*: ([0-9.]+) ms\/step.*/\1/' <<<"$plan")
      args=(); [ "$n" = 1 ] || args=(--layout "$layout")
      "$bin/helix-run" --model "$MODEL_DIR" --prompts "$work/prompts-$b.json" \
        --max-new-tokens "$G" --cache-dir "$work/cache" "${args[@]}" \
        --output "$work/out.json" >/dev/null
      measured=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["timing"]["median_ms_per_step"])' "$work/out.json")
      ratio=$(awk -v p="$predicted" -v m="$measured" 'BEGIN { printf "%.2f", p / m }')
      printf '| %s | %s | %s | %.2f | %.2f | %s |\n' "$n" "$layout" "$b" "$predicted" "$measured" "$ratio"
      echo "$n $b $layout $predicted $measured" >> "$results"
    done
  done
done

echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| ranks | batch | modelled best | its measured ms | measured best | measured ms | off by |"
echo "|---|---|---|---|---|---|---|"
/usr/bin/python3 - "$results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
for key in sorted({(int(r[0]), int(r[1])) for r in rows}):
    group = [r for r in rows if (int(r[0]), int(r[1])) == key]
    model = min(group, key=lambda r: float(r[3]))
    best = min(group, key=lambda r: float(r[4]))
    off = float(model[4]) / float(best[4]) - 1
    print("| %d | %d | %s | %s | %s | %s | %+.0f%% |"
          % (key[0], key[1], model[2], model[4], best[2], best[4], 100 * off))
PY
