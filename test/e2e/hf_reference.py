"""Independent NumPy reference for Hugging Face LlamaForCausalLM / DeepseekV3ForCausalLM.

Greedy incremental decoding with a KV cache, following transformers' eager
modeling code operation by operation. Shares no code with Helix. Run with
Debian's interpreter (the one that has NumPy):

    /usr/bin/python3 test/e2e/hf_reference.py --model DIR --prompts prompts.json \\
        --max-new-tokens N --output out.json [--dump-logits logits.npy] [--precision float64]
        [--kv-dtype bfloat16]

prompts.json: JSON list of token-id lists. Each sequence is fed token by token
at positions 0..len-1, then N tokens are chosen greedily. out.json gets
{"tokens": [[N ids], ...]}; logits.npy float32 [batch, N, vocab], row t being
the logits new token t was chosen from (the helix-run contract).
--kv-dtype bfloat16 stores what a KV cache holds rounded to bf16 (helix-run
--kv-dtype bfloat16): Llama's rotated keys and values, DeepSeek's normalised
latent and rotated key; everything else keeps the chosen precision.
"""
import argparse
import glob
import json
import math
import os
import struct
import sys

import numpy as np

# ---------------------------------------------------------------- safetensors

ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
             "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path):
    """name -> array; floating types come back as float32 (bf16 by bit shift)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base, out = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = np.dtype(ST_DTYPES[info["dtype"]])
        shape = tuple(info["shape"])
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dt.itemsize or base + end > len(data):
            raise ValueError(f"{path}: bad data_offsets for {name}")
        arr = np.frombuffer(data, dtype=dt, count=count, offset=base + begin)
        if info["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        out[name] = arr.reshape(shape)
    return out


def load_model_dir(model_dir):
    """(config dict, weights dict) from a HF directory, sharded or not."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    weights = {}
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        for fname in sorted(set(weight_map.values())):
            weights.update(read_safetensors(os.path.join(model_dir, fname)))
        missing = [n for n in weight_map if n not in weights]
        if missing:
            raise ValueError(f"index names tensors not in their shard: {missing[:5]}")
    else:
        files = sorted(glob.glob(os.path.join(model_dir, "*.safetensors")))
        if not files:
            raise FileNotFoundError(f"no safetensors in {model_dir}")
        for path in files:
            weights.update(read_safetensors(path))
    return cfg, weights


# ---------------------------------------------------------------------- RoPE

def yarn_get_mscale(scale=1.0, mscale=1.0):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def rope_parameters(cfg, dim):
    """(inv_freq [dim/2] float64, attention_factor), as modeling_rope_utils does."""
    base = float(cfg.get("rope_theta", 10000.0))
    inv = 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "default":
        return inv, 1.0
    factor = float(rs["factor"])
    if kind == "linear":
        return inv / factor, 1.0
    if kind == "llama3":  # _compute_llama3_parameters
        old_ctx = rs["original_max_position_embeddings"]
        low_f, high_f = rs["low_freq_factor"], rs["high_freq_factor"]
        wavelen = 2 * math.pi / inv
        out = np.where(wavelen > old_ctx / low_f, inv / factor, inv)
        smooth = (old_ctx / wavelen - low_f) / (high_f - low_f)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = ~(wavelen < old_ctx / high_f) & ~(wavelen > old_ctx / low_f)
        return np.where(medium, smoothed, out), 1.0
    if kind == "yarn":  # _compute_yarn_parameters
        mscale, mscale_all = rs.get("mscale"), rs.get("mscale_all_dim")
        att = rs.get("attention_factor")
        if att is None:
            att = (yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, mscale_all)
                   if mscale and mscale_all else yarn_get_mscale(factor))
        beta_fast, beta_slow = rs.get("beta_fast") or 32, rs.get("beta_slow") or 1
        orig = rs.get("original_max_position_embeddings") or cfg["max_position_embeddings"]

        def corr_dim(rot):
            return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))
        low, high = corr_dim(beta_fast), corr_dim(beta_slow)
        if rs.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001  # as HF: avoid dividing by zero
        ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
        extrap = 1 - ramp
        return (inv / factor) * (1 - extrap) + inv * extrap, float(att)
    raise ValueError(f"unsupported rope type {kind!r}")


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate((-x[..., h:], x[..., :h]), axis=-1)


def apply_rope(x, cos, sin):
    return x * cos + rotate_half(x) * sin


def apply_rope_interleave(x, cos, sin):
    # DeepSeek weights are in interleaved pair order: de-interleave, then rotate_half.
    d = x.shape[-1]
    x = x.reshape(x.shape[:-1] + (d // 2, 2)).swapaxes(-1, -2).reshape(x.shape)
    return apply_rope(x, cos, sin)


# --------------------------------------------------------------------- model

def rms_norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


def round_bf16(x):
    """x as a bf16 cache holds it: to float32, then to bf16, nearest even."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32).astype(x.dtype)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


class Cache:
    def __init__(self, layers):
        self.length = 0
        self.k = [None] * layers
        self.v = [None] * layers

    def update(self, i, k, v):  # k, v: [heads, T, dim]; returns the whole history
        self.k[i] = k if self.k[i] is None else np.concatenate((self.k[i], k), axis=1)
        self.v[i] = v if self.v[i] is None else np.concatenate((self.v[i], v), axis=1)
        return self.k[i], self.v[i]


class Model:
    def __init__(self, cfg, weights, dtype=np.float64, kv_dtype="float32"):
        self.cfg, self.dtype = cfg, dtype
        # What goes into the cache, rounded as a bf16 cache stores it.
        self.cached = round_bf16 if kv_dtype == "bfloat16" else (lambda x: x)
        self.w = {k: np.asarray(v, dtype=dtype) for k, v in weights.items()}
        arch = (cfg.get("architectures") or [""])[0]
        self.deepseek = cfg.get("model_type") == "deepseek_v3" or arch == "DeepseekV3ForCausalLM"
        if not self.deepseek and cfg.get("model_type", "llama") != "llama":
            raise ValueError(f"unsupported model_type {cfg.get('model_type')}")
        if cfg.get("hidden_act", "silu") != "silu":
            raise ValueError("only hidden_act silu is supported")
        self.layers = cfg["num_hidden_layers"]
        self.heads = cfg["num_attention_heads"]
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        if self.deepseek:
            self._init_deepseek(cfg)
        else:
            self.kv_heads = cfg.get("num_key_value_heads") or self.heads
            self.head_dim = cfg.get("head_dim") or cfg["hidden_size"] // self.heads
            self.rope_dim = self.head_dim
            self.scaling = self.head_dim ** -0.5
        self.inv_freq, self.attention_factor = rope_parameters(cfg, self.rope_dim)
        self.embed = self.w["model.embed_tokens.weight"]
        self.lm_head = self.embed if cfg.get("tie_word_embeddings", False) else self.w["lm_head.weight"]

    def _init_deepseek(self, cfg):
        # Defaults are DeepseekV3Config's; its modeling ignores scoring_func etc., so insist.
        if cfg.get("scoring_func", "sigmoid") != "sigmoid" or cfg.get("topk_method", "noaux_tc") != "noaux_tc":
            raise ValueError("DeepSeek-V3 reference supports scoring_func sigmoid, topk_method noaux_tc")
        g = cfg.get
        self.q_lora = g("q_lora_rank", 1536)
        self.kv_lora = g("kv_lora_rank", 512)
        self.qk_nope, self.rope_dim = g("qk_nope_head_dim", 128), g("qk_rope_head_dim", 64)
        self.v_dim = g("v_head_dim", 128)
        self.n_experts, self.top_k = g("n_routed_experts", 256), g("num_experts_per_tok", 8)
        self.n_group, self.topk_group = g("n_group", 8), g("topk_group", 4)
        self.first_dense = g("first_k_dense_replace", 3)
        self.norm_topk, self.routed_scale = g("norm_topk_prob", True), g("routed_scaling_factor", 2.5)
        self.interleave = g("rope_interleave", True)
        self.scaling = (self.qk_nope + self.rope_dim) ** -0.5
        rs = g("rope_scaling")
        if rs is not None and rs.get("mscale_all_dim", 0):
            m = yarn_get_mscale(rs["factor"], rs["mscale_all_dim"])
            self.scaling *= m * m

    def linear(self, x, name):
        y = x @ self.w[name + ".weight"].T
        return y + self.w[name + ".bias"] if name + ".bias" in self.w else y

    def mlp(self, x, p):
        gate = self.linear(x, p + "gate_proj")
        return self.linear(gate * sigmoid(gate) * self.linear(x, p + "up_proj"), p + "down_proj")

    def attend(self, q, k, v, rep):
        """q [H,T,D]; k [Hkv,S,D]; v [Hkv,S,Dv] -> [T, H*Dv], causal over the cache."""
        k, v = np.repeat(k, rep, axis=0), np.repeat(v, rep, axis=0)  # = repeat_kv
        T, S = q.shape[1], k.shape[1]
        scores = (q @ k.transpose(0, 2, 1)) * self.scaling
        future = np.arange(S)[None, :] > (S - T + np.arange(T))[:, None]
        scores = np.where(future, -np.inf, scores)
        out = softmax(scores) @ v
        return out.transpose(1, 0, 2).reshape(T, -1)

    def llama_attention(self, x, i, cos, sin, cache):
        p, T = f"model.layers.{i}.self_attn.", x.shape[0]
        q = self.linear(x, p + "q_proj").reshape(T, self.heads, -1).transpose(1, 0, 2)
        k = self.linear(x, p + "k_proj").reshape(T, self.kv_heads, -1).transpose(1, 0, 2)
        v = self.linear(x, p + "v_proj").reshape(T, self.kv_heads, -1).transpose(1, 0, 2)
        k, v = cache.update(i, self.cached(apply_rope(k, cos, sin)), self.cached(v))
        out = self.attend(apply_rope(q, cos, sin), k, v, self.heads // self.kv_heads)
        return self.linear(out, p + "o_proj")

    def mla_attention(self, x, i, cos, sin, cache):
        p, T, H = f"model.layers.{i}.self_attn.", x.shape[0], self.heads
        if self.q_lora:
            # q_a/kv_a layernorms use DeepseekV3RMSNorm's default eps 1e-6, not rms_norm_eps.
            q = self.linear(rms_norm(self.linear(x, p + "q_a_proj"), self.w[p + "q_a_layernorm.weight"],
                                     1e-6), p + "q_b_proj")
        else:
            q = self.linear(x, p + "q_proj")
        q = q.reshape(T, H, -1).transpose(1, 0, 2)
        q_pass, q_rot = q[..., :self.qk_nope], q[..., self.qk_nope:]
        ckv = self.linear(x, p + "kv_a_proj_with_mqa")
        k_pass, k_rot = ckv[:, :self.kv_lora], ckv[:, self.kv_lora:]
        # The cache holds the normalised latent and the rotated key.
        latent = self.cached(rms_norm(k_pass, self.w[p + "kv_a_layernorm.weight"], 1e-6))
        kv = self.linear(latent, p + "kv_b_proj")
        kv = kv.reshape(T, H, -1).transpose(1, 0, 2)
        k_pass, v = kv[..., :self.qk_nope], kv[..., self.qk_nope:]
        rope = apply_rope_interleave if self.interleave else apply_rope
        q_rot, k_rot = rope(q_rot, cos, sin), self.cached(rope(k_rot[None], cos, sin))  # one k_rot for all heads
        q = np.concatenate((q_pass, q_rot), axis=-1)
        k = np.concatenate((k_pass, np.broadcast_to(k_rot, (H,) + k_rot.shape[1:])), axis=-1)
        k, v = cache.update(i, k, v)
        return self.linear(self.attend(q, k, v, 1), p + "o_proj")

    def route(self, x, p):
        """DeepseekV3TopkRouter: (expert indices [T,k], weights [T,k])."""
        scores = sigmoid(x @ self.w[p + "gate.weight"].T)
        bias = self.w.get(p + "gate.e_score_correction_bias", np.zeros(self.n_experts, self.dtype))
        choice = scores + bias[None, :]  # the bias steers the choice only
        per_group = choice.reshape(len(x), self.n_group, -1)
        group_scores = np.sort(per_group, axis=-1)[..., -2:].sum(axis=-1)
        keep_groups = np.argsort(-group_scores, axis=-1, kind="stable")[:, :self.topk_group]
        group_mask = np.zeros_like(group_scores, dtype=bool)
        np.put_along_axis(group_mask, keep_groups, True, axis=-1)
        choice = np.where(np.repeat(group_mask, per_group.shape[-1], axis=-1), choice, 0.0)
        idx = np.argsort(-choice, axis=-1, kind="stable")[:, :self.top_k]
        weights = np.take_along_axis(scores, idx, axis=-1)
        if self.norm_topk:
            weights = weights / (weights.sum(axis=-1, keepdims=True) + 1e-20)
        return idx, weights * self.routed_scale

    def moe(self, x, p):
        idx, weights = self.route(x, p)
        out = np.zeros_like(x)
        for e in range(self.n_experts):  # expert order, as DeepseekV3MoE.moe
            tok, slot = np.nonzero(idx == e)
            if len(tok):
                out[tok] += self.mlp(x[tok], p + f"experts.{e}.") * weights[tok, slot][:, None]
        return out + self.mlp(x, p + "shared_experts.")

    def forward(self, tokens, cache):
        """Feed tokens at positions cache.length.. ; returns logits [T, vocab]."""
        T = len(tokens)
        pos = np.arange(cache.length, cache.length + T, dtype=np.float64)
        freqs = np.outer(pos, self.inv_freq)
        emb = np.concatenate((freqs, freqs), axis=-1)
        cos = (np.cos(emb) * self.attention_factor).astype(self.dtype)
        sin = (np.sin(emb) * self.attention_factor).astype(self.dtype)
        x = self.embed[np.asarray(tokens)]
        for i in range(self.layers):
            p = f"model.layers.{i}."
            h = rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps)
            attn = self.mla_attention if self.deepseek else self.llama_attention
            x = x + attn(h, i, cos, sin, cache)
            h = rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps)
            moe = self.deepseek and i >= self.first_dense
            x = x + (self.moe(h, p + "mlp.") if moe else self.mlp(h, p + "mlp."))
        cache.length += T
        return rms_norm(x, self.w["model.norm.weight"], self.eps) @ self.lm_head.T

    def new_cache(self):
        return Cache(self.layers)


def greedy(model, prompt, n):
    """Feed prompt token by token, then choose n tokens; (tokens, logits [n, vocab])."""
    if not prompt:
        raise ValueError("empty prompt")
    cache, tokens, rows = model.new_cache(), [], []
    for t in prompt:
        logits = model.forward([t], cache)[-1]
    for step in range(n):
        rows.append(logits)
        tokens.append(int(np.argmax(logits)))  # first maximum, like torch.argmax
        if step + 1 < n:
            logits = model.forward([tokens[-1]], cache)[-1]
    vocab = model.lm_head.shape[0]
    return tokens, np.array(rows, dtype=np.float64).reshape(n, vocab)


def main(argv=None):
    ap = argparse.ArgumentParser(description="NumPy reference for HF Llama / DeepSeek-V3 greedy decoding")
    ap.add_argument("--model", required=True, help="HF model directory")
    ap.add_argument("--prompts", required=True, help="JSON list of token-id lists")
    ap.add_argument("--max-new-tokens", type=int, required=True)
    ap.add_argument("--output", required=True, help='out.json: {"tokens": [[...], ...]}')
    ap.add_argument("--dump-logits", help="logits.npy, float32 [batch, N, vocab]")
    ap.add_argument("--precision", choices=["float64", "float32"], default="float64")
    ap.add_argument("--kv-dtype", choices=["float32", "bfloat16"], default="float32",
                    help="bfloat16: round what the KV cache holds to bf16")
    a = ap.parse_args(argv)
    cfg, weights = load_model_dir(a.model)
    model = Model(cfg, weights, np.dtype(a.precision).type, a.kv_dtype)
    with open(a.prompts) as f:
        prompts = json.load(f)
    vocab = model.lm_head.shape[0]
    if not isinstance(prompts, list) or not all(isinstance(p, list) and p for p in prompts):
        sys.exit("prompts must be a JSON list of non-empty token-id lists")
    if any(type(t) is not int or not 0 <= t < vocab for p in prompts for t in p):
        sys.exit(f"token ids must be integers in [0, {vocab})")
    results = [greedy(model, p, a.max_new_tokens) for p in prompts]
    if a.max_new_tokens:  # near-ties are where an implementation may legitimately differ
        top2 = np.sort(np.concatenate([r[1] for r in results]), axis=-1)[:, -2:]
        gap, scale = np.min(top2[:, 1] - top2[:, 0]), np.max(np.abs(top2))
        print(f"hf_reference: smallest top-2 logit gap {gap:.3e} ({gap / scale:.2e} of max|logit|)",
              file=sys.stderr)
    with open(a.output, "w") as f:
        json.dump({"tokens": [r[0] for r in results]}, f)
        f.write("\n")
    if a.dump_logits:
        logits = np.zeros((len(prompts), a.max_new_tokens, vocab), dtype=np.float32)
        for b, (_, rows) in enumerate(results):
            logits[b] = rows
        np.save(a.dump_logits, logits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
