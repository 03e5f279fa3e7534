#!/usr/bin/env bash
# Soak run (issue #15; not part of the test suite): 20,000 decode steps of a
# tiny Llama, unsharded and sharded over 4 ranks with a KV block of 4 (so
# every rank's cache grows by thousands of blocks), then
#   * the sharded tokens must equal the unsharded ones (exit 1 otherwise);
#   * resident memory is sampled every 0.5 s: after warm-up it may grow
#     only by the KV cache pages the run touches (printed side by side), so
#     a leak per step shows as growth beyond that.
# Usage: benchmarks/cpu/soak.sh   (STEPS=N to change the length)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

STEPS=${STEPS:-20000}
helix_configure "$HELIX_ROOT/build"
helix_build "$HELIX_ROOT/build" >/dev/null
bin="$HELIX_ROOT/build/bin"
work="$HELIX_ROOT/build/bench-soak"
rm -rf "$work" && mkdir -p "$work"
# hidden 64, 2 layers, 4 query / 2 KV heads of 16: 512 bytes of fp32 KV per
# token and layer... per sequence: 2 layers x (K + V) x 2 heads x 16 x 4 B.
/usr/bin/python3 "$HELIX_ROOT/test/e2e/make_tiny_model.py" -o "$work/model" \
  --arch llama --seed 7 >/dev/null
/usr/bin/python3 "$HELIX_ROOT/test/tools/Inputs/edit_config.py" "$work/model" \
  "$work/long" max_position_embeddings $((STEPS + 64))
echo '[[5, 17, 99, 3], [200, 1]]' > "$work/prompts.json"
kv_per_token=$(( 2 * 2 * 2 * 16 * 4 ))  # layers x (K, V) x heads x dim x 4 B

# run NAME ARGS...: decodes, sampling VmRSS (kB) of the process every 0.5 s.
run() {
  local name=$1; shift
  "$bin/helix-run" --model "$work/long" --prompts "$work/prompts.json" \
    --max-new-tokens "$STEPS" --output "$work/$name.json" \
    --cache-dir "$work/cache" "$@" > "$work/$name.log" 2>&1 &
  local pid=$! t=0
  : > "$work/$name.rss"
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && echo "$t $rss" >> "$work/$name.rss"
    sleep 0.5; t=$((t + 1))
  done
  wait "$pid"
}
run unsharded
run sharded --layout kvp=2,tpa=2,tpf=4 --kv-block 4 --microbatches 2

/usr/bin/python3 - "$work" "$STEPS" "$kv_per_token" <<'PY'
import json, sys
work, steps, kv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = json.load(open(work + "/unsharded.json"))
b = json.load(open(work + "/sharded.json"))
same = a["tokens"] == b["tokens"]
print("soak: %d new tokens per sequence, batch %d; sharded tokens %s unsharded"
      % (steps, len(a["tokens"]), "equal" if same else "DIFFER FROM"))
for name in ("unsharded", "sharded"):
    t = json.load(open("%s/%s.json" % (work, name)))["timing"]
    samples = [tuple(map(int, l.split())) for l in open("%s/%s.rss" % (work, name))]
    if len(samples) < 4:
        print("  %s: too short to sample (%d samples)" % (name, len(samples)))
        continue
    warm = samples[len(samples) // 10]  # after the first tenth of the run
    last = samples[-1]
    frac = (last[0] - warm[0]) / max(1, samples[-1][0])
    # KV pages touched in that span: all sequences, all ranks (one process).
    kv_mb = frac * steps * len(a["tokens"]) * kv / 1e6
    print("  %s: median %.3f ms/step; VmRSS %.1f MB after warm-up, %.1f MB at "
          "the end (+%.1f MB); KV written in between: %.1f MB"
          % (name, t["median_ms_per_step"], warm[1] / 1e3, last[1] / 1e3,
             (last[1] - warm[1]) / 1e3, kv_mb))
sys.exit(0 if same else 1)
PY
