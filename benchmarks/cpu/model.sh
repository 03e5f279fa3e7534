# Shared by the CPU benchmarks: the random-weight Llama-style models they
# run. Source it after scripts/lib/common.sh.

# bench_model MODEL DIR [DTYPE]: sets H L Q K D F V for MODEL (anchor: the
# perf-anchors model, hidden 1024, 8 layers, 16 query / 4 KV heads of 64, FFN
# 2816, vocab 32000; demo: scripts/demo.sh's model) and writes its
# checkpoint once: DTYPE float32 (the default) to DIR/model, bfloat16 or
# float16 (the same random weights, rounded) to DIR/model-bfloat16 or
# DIR/model-float16. Sets MODEL_DIR to it.
bench_model() {
  local dtype=${3:-float32}
  case $1 in
    anchor) H=1024 L=8 Q=16 K=4 D=64 F=2816 V=32000 ;;
    demo) H=256 L=4 Q=8 K=4 D=32 F=512 V=1024 ;;
    *) echo "error: MODEL must be anchor or demo" >&2; return 2 ;;
  esac
  mkdir -p "$2"
  MODEL_DIR=$2/model
  [ "$dtype" = float32 ] || MODEL_DIR=$2/model-$dtype
  # 131072 positions, as Llama 3.1: the long-prompt benchmarks need them
  # (helix-run refuses a context past max_position_embeddings).
  if ! grep -qs '"max_position_embeddings": 131072' "$MODEL_DIR/config.json"; then
    /usr/bin/python3 "$HELIX_ROOT/test/e2e/make_tiny_model.py" -o "$MODEL_DIR" \
      --arch llama --hidden $H --layers $L --heads $Q --kv-heads $K --head-dim $D \
      --intermediate $F --vocab $V --seed 1 --dtype "$dtype" \
      --max-position 131072 >/dev/null
  fi
}

# bench_prompts FILE BATCH TOKENS VOCAB: BATCH random prompts of TOKENS ids.
bench_prompts() {
  /usr/bin/python3 - "$2" "$3" "$4" > "$1" <<'PY'
import json, random, sys
b, p, v = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
random.seed(0)
print(json.dumps([[random.randrange(v) for _ in range(p)] for _ in range(b)]))
PY
}
