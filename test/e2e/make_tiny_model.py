"""Write a tiny random-weight Llama or DeepSeek-V3 model in Hugging Face layout.

Run with Debian's interpreter (the one that has NumPy):

    /usr/bin/python3 test/e2e/make_tiny_model.py --arch llama -o /tmp/llama-tiny
    /usr/bin/python3 test/e2e/make_tiny_model.py --arch deepseek --dtype bfloat16 --shards 3 -o DIR

The directory gets config.json plus model.safetensors, or with --shards K the
files model-0000i-of-0000K.safetensors and model.safetensors.index.json.
The safetensors writer is written here from the format description on purpose
(no `safetensors` package), so the e2e tests depend on nothing but NumPy.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


# ---------------------------------------------------------------- safetensors

def f32_to_bf16_bits(a):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest, ties to even."""
    a = np.array(a, dtype=np.float32)  # a copy keeps 0-d shapes (ascontiguousarray would not)
    bits = a.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    out[np.isnan(a)] = 0x7FC0  # keep NaN a NaN (rounding could carry into inf)
    return out


def to_storage(a, dtype):
    """float32 array -> (safetensors dtype string, array holding the stored bits)."""
    if dtype == "float32":
        return "F32", np.asarray(a, dtype=np.float32)
    if dtype == "float16":
        return "F16", np.asarray(a, dtype=np.float16)
    if dtype == "bfloat16":
        return "BF16", f32_to_bf16_bits(a)
    raise ValueError(f"unsupported dtype {dtype}")


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (dtype string, ndarray). Data laid out in name order."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        st_dtype, arr = tensors[name]
        arr = np.asarray(arr)
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": st_dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # 8-byte aligned data start, like the reference writer
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_model_files(out_dir, tensors, shards=1):
    """Single model.safetensors, or K shards plus model.safetensors.index.json."""
    meta = {"format": "pt"}
    names = sorted(tensors)
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, meta)
        return
    if shards > len(names):
        raise ValueError(f"--shards {shards} > number of tensors {len(names)}")
    weight_map, total = {}, 0
    for i, part in enumerate(np.array_split(np.array(names, dtype=object), shards)):
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(out_dir, fname), {n: tensors[n] for n in part}, meta)
        for n in part:
            weight_map[n] = fname
            total += tensors[n][1].nbytes
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")


# --------------------------------------------------------------------- model

TIED_EMBED_STD = 0.05

class Init:
    """Random weights chosen so activations stay O(1) and greedy picks are clear.

    Projections use std 1/sqrt(fan_in); the residual-branch outputs (o_proj,
    down_proj) are further scaled by 1/sqrt(2 * layers) so the residual stream
    stays O(1) at any depth. lm_head has std logit_scale/sqrt(hidden), so
    logits are O(logit_scale) with top-2 gaps far above float32 rounding.
    Embeddings have std 1, except when tied: then a large embedding would
    dominate the final hidden state and every step would re-pick its input
    token, so they are kept small next to the residual branches.
    """

    def __init__(self, seed, layers, tied):
        self.rng = np.random.default_rng(seed)
        self.out_scale = 1.0 / np.sqrt(2.0 * max(layers, 1))
        self.embed_std = TIED_EMBED_STD if tied else 1.0

    def normal(self, shape, std):
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def linear(self, out, inp, scale=1.0):
        return self.normal((out, inp), scale / np.sqrt(inp))

    def norm(self, n):
        return (1.0 + 0.1 * self.rng.standard_normal(n)).astype(np.float32)


def mlp_weights(init, prefix, hidden, inter):
    return {prefix + "gate_proj.weight": init.linear(inter, hidden),
            prefix + "up_proj.weight": init.linear(inter, hidden),
            prefix + "down_proj.weight": init.linear(hidden, inter, init.out_scale)}


def llama_model(a):
    head_dim = a.head_dim or a.hidden // a.heads
    cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": a.hidden, "intermediate_size": a.intermediate,
        "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads, "head_dim": head_dim,
        "vocab_size": a.vocab, "hidden_act": "silu", "rms_norm_eps": 1e-5,
        "attention_bias": False, "mlp_bias": False,
        "max_position_embeddings": a.max_position or 8 * 64, "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    }
    init = Init(a.seed, a.layers, a.tied)
    w = {"model.embed_tokens.weight": init.normal((a.vocab, a.hidden), init.embed_std)}
    for i in range(a.layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = init.norm(a.hidden)
        w[p + "self_attn.q_proj.weight"] = init.linear(a.heads * head_dim, a.hidden)
        w[p + "self_attn.k_proj.weight"] = init.linear(a.kv_heads * head_dim, a.hidden)
        w[p + "self_attn.v_proj.weight"] = init.linear(a.kv_heads * head_dim, a.hidden)
        w[p + "self_attn.o_proj.weight"] = init.linear(a.hidden, a.heads * head_dim, init.out_scale)
        w[p + "post_attention_layernorm.weight"] = init.norm(a.hidden)
        w.update(mlp_weights(init, p + "mlp.", a.hidden, a.intermediate))
    return cfg, w, init


def deepseek_model(a):
    if a.n_routed_experts % a.n_group or a.num_experts_per_tok > a.topk_group * (a.n_routed_experts // a.n_group):
        raise ValueError("need n_group | n_routed_experts and top-k <= experts in the kept groups")
    q_lora = a.q_lora_rank or None
    qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim
    yarn = {"rope_type": "yarn", "type": "yarn", "factor": 4.0, "beta_fast": 32, "beta_slow": 1,
            "mscale": 1.0, "mscale_all_dim": 1.0, "original_max_position_embeddings": 64}
    cfg = {
        "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
        "hidden_size": a.hidden, "intermediate_size": a.intermediate,
        "moe_intermediate_size": a.moe_intermediate_size,
        "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "num_key_value_heads": a.heads, "vocab_size": a.vocab,
        "q_lora_rank": q_lora, "kv_lora_rank": a.kv_lora_rank,
        "qk_nope_head_dim": a.qk_nope_head_dim, "qk_rope_head_dim": a.qk_rope_head_dim,
        "v_head_dim": a.v_head_dim, "n_routed_experts": a.n_routed_experts,
        "n_shared_experts": a.n_shared_experts, "num_experts_per_tok": a.num_experts_per_tok,
        "n_group": a.n_group, "topk_group": a.topk_group, "moe_layer_freq": 1,
        "first_k_dense_replace": a.first_k_dense_replace,
        "routed_scaling_factor": a.routed_scaling_factor, "norm_topk_prob": a.norm_topk_prob,
        "scoring_func": "sigmoid", "topk_method": "noaux_tc", "hidden_act": "silu",
        "attention_bias": False, "rms_norm_eps": 1e-6, "rope_interleave": True,
        # factor * original, so max/original == factor in every transformers version
        "max_position_embeddings": int(yarn["factor"] * yarn["original_max_position_embeddings"]),
        "rope_theta": 10000.0, "rope_scaling": yarn,
    }
    init = Init(a.seed, a.layers, a.tied)
    H, h = a.heads, a.hidden
    w = {"model.embed_tokens.weight": init.normal((a.vocab, h), init.embed_std)}
    for i in range(a.layers):
        p = f"model.layers.{i}."
        s = p + "self_attn."
        w[p + "input_layernorm.weight"] = init.norm(h)
        if q_lora:
            w[s + "q_a_proj.weight"] = init.linear(q_lora, h)
            w[s + "q_a_layernorm.weight"] = init.norm(q_lora)
            w[s + "q_b_proj.weight"] = init.linear(H * qk_head, q_lora)
        else:
            w[s + "q_proj.weight"] = init.linear(H * qk_head, h)
        w[s + "kv_a_proj_with_mqa.weight"] = init.linear(a.kv_lora_rank + a.qk_rope_head_dim, h)
        w[s + "kv_a_layernorm.weight"] = init.norm(a.kv_lora_rank)
        w[s + "kv_b_proj.weight"] = init.linear(H * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank)
        w[s + "o_proj.weight"] = init.linear(h, H * a.v_head_dim, init.out_scale)
        w[p + "post_attention_layernorm.weight"] = init.norm(h)
        if i < a.first_k_dense_replace:
            w.update(mlp_weights(init, p + "mlp.", h, a.intermediate))
            continue
        w[p + "mlp.gate.weight"] = init.linear(a.n_routed_experts, h)
        # Small next to the sigmoid spread, but large enough to change some choices.
        w[p + "mlp.gate.e_score_correction_bias"] = init.normal(a.n_routed_experts, 0.05)
        for e in range(a.n_routed_experts):
            w.update(mlp_weights(init, p + f"mlp.experts.{e}.", h, a.moe_intermediate_size))
        w.update(mlp_weights(init, p + "mlp.shared_experts.", h,
                             a.moe_intermediate_size * a.n_shared_experts))
    return cfg, w, init


def build(a):
    cfg, w, init = (llama_model if a.arch == "llama" else deepseek_model)(a)
    w["model.norm.weight"] = init.norm(a.hidden)
    cfg["tie_word_embeddings"] = bool(a.tied)
    if not a.tied:
        w["lm_head.weight"] = init.normal((a.vocab, a.hidden), a.logit_scale / np.sqrt(a.hidden))
    cfg["torch_dtype"] = a.dtype
    cfg["bos_token_id"] = 0
    # No eos by default: random weights would stop sequences at random, and
    # the tests compare full-length runs. --eos ID sets one (helix-run
    # stops a sequence there).
    if a.eos is not None:
        cfg["eos_token_id"] = a.eos
    return cfg, w


def stored(w, dtype):
    out = {}
    for name, arr in w.items():
        # Real DeepSeek-V3 checkpoints keep the router bias in F32 next to bf16 weights.
        out[name] = to_storage(arr, "float32" if name.endswith("e_score_correction_bias") else dtype)
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])

    def opt(name, **kw):  # accept --kv-lora-rank and --kv_lora_rank alike
        alt = "--" + name[2:].replace("-", "_")
        p.add_argument(*([name] if alt == name else [name, alt]), **kw)

    p.add_argument("-o", "--out", required=True, help="output directory (created)")
    opt("--arch", choices=["llama", "deepseek"], default="llama")
    opt("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
    opt("--tied", action="store_true", help="tie_word_embeddings (no lm_head.weight)")
    opt("--shards", type=int, default=1)
    opt("--config-only", action="store_true",
        help="write config.json alone (enough to compile the model)")
    opt("--seed", type=int, default=0)
    opt("--max-position", type=int, default=0,
        help="Llama max_position_embeddings (default 512)")
    opt("--logit-scale", type=float, default=4.0, help="lm_head std * sqrt(hidden)")
    opt("--hidden", type=int, default=64)
    opt("--layers", type=int, default=None, help="default 2 (llama), 3 (deepseek)")
    opt("--heads", type=int, default=4)
    opt("--kv-heads", type=int, default=2, help="llama only")
    opt("--head-dim", type=int, default=16, help="llama only")
    opt("--intermediate", type=int, default=128)
    opt("--vocab", type=int, default=256)
    opt("--eos", type=int, default=None, help="config.json's eos_token_id (default none)")
    opt("--q-lora-rank", type=int, default=32, help="0 = null (plain q_proj)")
    opt("--kv-lora-rank", type=int, default=32)
    opt("--qk-nope-head-dim", type=int, default=16)
    opt("--qk-rope-head-dim", type=int, default=16)
    opt("--v-head-dim", type=int, default=16)
    opt("--n-routed-experts", type=int, default=16)
    opt("--n-shared-experts", type=int, default=1)
    opt("--num-experts-per-tok", type=int, default=4)
    opt("--n-group", type=int, default=4)
    opt("--topk-group", type=int, default=2)
    opt("--moe-intermediate-size", type=int, default=32)
    opt("--first-k-dense-replace", type=int, default=1)
    opt("--routed-scaling-factor", type=float, default=2.5)
    opt("--norm-topk-prob", type=lambda s: s.lower() in ("1", "true", "yes"), default=True)
    a = p.parse_args(argv)
    if a.layers is None:
        a.layers = 2 if a.arch == "llama" else 3
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    cfg, w = build(a)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    if not a.config_only:
        write_model_files(a.out, stored(w, a.dtype), a.shards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
