#!/usr/bin/env bash
# helix-plan against measured steps. helix-calibrate measures this machine
# (decode GEMV bandwidth and rates, the threads communicator's collectives)
# into a hardware file; then, for every Helix layout of 1, 2 and 4 ranks
# that the anchor model allows (helix-plan --layout refuses the others) at
# batch 1 and 8 (and 2 micro-batches at batch 8), it prints helix-plan's
# modelled step time next to helix-run's median ms per decode step (out.json
# timing.median_ms_per_step), their ratio, the ratio of the model without
# its host terms (GPU-style: roofline, a core and bandwidth per rank) and
# the CPU other processes used
# meanwhile (on a 2-core machine a row with load is not a quiet
# measurement: the calibration and each row run up to TRIES=3 times, and
# the first run under QUIET=0.15 cores of other load, else the least loaded,
# is kept). Last, per rank count and batch, the layout the model ranks
# first against the fastest measured one.
#
# Model: the anchor (benchmarks/cpu/model.sh), fp32 random weights; P-token
# prompts, G new tokens; the modelled context is P + G/2 (the median step).
# Usage: benchmarks/cpu/calibrate.sh   (HARDWARE=file.json reuses a
#        hardware file; RANKS="1 2 4", BATCHES="1 8", P, G narrow it)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"
source "$(dirname "$0")/model.sh"

RANKS=${RANKS:-1 2 4}; BATCHES=${BATCHES:-1 8}; P=${P:-32}; G=${G:-32}
TRIES=${TRIES:-3}; QUIET=${QUIET:-0.15}
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-calibrate"
mkdir -p "$work"
bench_model anchor "$work"
context=$(( P + G / 2 ))

# Cores' worth of CPU that other processes used while the command ran:
# busy time of the whole machine (/proc/stat) minus this script's waited-for
# children (/proc/$$/stat), over the wall time.
busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
ours() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
# quietest KEEP command...: runs the command up to TRIES times, evals KEEP
# after each run less loaded than the ones before, stops at the first under
# QUIET cores; OTHERS is then the kept run's load.
quietest() {
  local keep=$1 best=""
  shift
  for _ in $(seq 1 "$TRIES"); do
    others_during "$@"
    if [ -z "$best" ] || awk -v a="$OTHERS" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$OTHERS
      eval "$keep"
    fi
    awk -v a="$best" -v q="$QUIET" 'BEGIN { exit !(a < q) }' && break
  done
  OTHERS=$best
}
others_during() {  # command... ; sets OTHERS
  local b0 o0 t0 b1 o1 t1
  b0=$(busy); o0=$(ours); t0=$(date +%s.%N)
  "$@"
  b1=$(busy); o1=$(ours); t1=$(date +%s.%N)
  OTHERS=$(awk -v b="$(( b1 - b0 ))" -v o="$(( o1 - o0 ))" -v t="$t0" -v u="$t1" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { x = (b - o) / hz / (u - t); printf "%.2f", x < 0 ? 0 : x }')
}

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
hw=${HARDWARE:-$work/host.json}
if [ -z "${HARDWARE:-}" ]; then
  quietest 'mv "$hw.tmp" "$hw"; mv "$work/calibrate.tmp" "$work/calibrate.log"' \
    eval '"$bin/helix-calibrate" > "$hw.tmp" 2> "$work/calibrate.tmp"'
  sed 's/^/calibration: /' "$work/calibrate.log"
  echo "calibration: other processes used $OTHERS cores meanwhile"
fi
# The same measurements without the terms of a host whose ranks share it
# (what the model was for GPUs alone): roofline overlap, every rank its own
# core and bandwidth.
gpu_style="$work/host-gpu-style.json"
/usr/bin/python3 - "$hw" "$gpu_style" <<'PY'
import json, sys
hw = json.load(open(sys.argv[1]))
hw.update(memory_compute_overlap=1, parallel_ranks=0, aggregate_bandwidth_tb_s=0)
json.dump(hw, open(sys.argv[2], "w"), indent=2)
PY
echo "anchor model, fp32; prompt $P, $G new tokens, modelled context $context; hardware $hw"
echo "GPU-style: the same file with memory_compute_overlap 1, parallel_ranks 0, aggregate_bandwidth_tb_s 0"
echo
echo "| ranks | layout | batch | predicted ms | measured ms | predicted / measured | GPU-style / measured | other load (cores) |"
echo "|---|---|---|---|---|---|---|---|"

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
      gpu=$("$bin/helix-plan" --model "$MODEL_DIR/config.json" --hardware "$gpu_style" \
          --context "$context" --dtype fp32 --layout "$layout" --batch "$b" |
        sed -E 's/.*: ([0-9.]+) ms\/step.*/\1/')
      args=(); [ "$n" = 1 ] || args=(--layout "$layout")
      quietest 'measured=$(/usr/bin/python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[\"timing\"][\"median_ms_per_step\"])" "$work/out.json")' \
        "$bin/helix-run" --model "$MODEL_DIR" --prompts "$work/prompts-$b.json" \
        --max-new-tokens "$G" --cache-dir "$work/cache" "${args[@]}" \
        --output "$work/out.json" >/dev/null
      ratio=$(awk -v p="$predicted" -v m="$measured" 'BEGIN { printf "%.2f", p / m }')
      gpu_ratio=$(awk -v p="$gpu" -v m="$measured" 'BEGIN { printf "%.2f", p / m }')
      printf '| %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n' "$n" "$layout" "$b" "$predicted" \
        "$measured" "$ratio" "$gpu_ratio" "$OTHERS"
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
    print("| %d | %d | %s | %.2f | %s | %.2f | %+.0f%% |"
          % (key[0], key[1], model[2], float(model[4]), best[2],
             float(best[4]), 100 * off))
PY
