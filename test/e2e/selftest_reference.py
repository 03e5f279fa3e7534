"""Self-tests of the e2e reference side. Exits non-zero on failure.

    /usr/bin/python3 test/e2e/selftest_reference.py [-v]
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hf_reference as hf  # noqa: E402
import make_tiny_model as mk  # noqa: E402


def tiny(argv):
    """(config, float32 weights) of a generated model, without touching disk."""
    return mk.build(mk.parse_args(argv + ["-o", "unused"]))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f)


def header_of(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), n, len(raw)


def rn(x):  # RMSNorm with unit weight, written out for the hand checks
    return x / np.sqrt(np.mean(x * x) + 1e-6)


class SafetensorsTest(unittest.TestCase):
    def test_bf16_round_to_nearest_even(self):
        x = np.array([1.0, 1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20, -2.5,
                      np.inf, 3.4028235e38, np.nan], dtype=np.float32)
        want = [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0xC020, 0x7F80, 0x7F80, 0x7FC0]
        self.assertEqual(mk.f32_to_bf16_bits(x).tolist(), want)

    def test_round_trip_and_layout(self):
        rng = np.random.default_rng(1)
        a = rng.standard_normal((3, 5)).astype(np.float32)
        b = rng.standard_normal((7,)).astype(np.float32)
        c = rng.standard_normal((2, 2, 2)).astype(np.float32)
        tensors = {"z.f32": mk.to_storage(a, "float32"), "a.bf16": mk.to_storage(b, "bfloat16"),
                   "m.f16": mk.to_storage(c, "float16"), "s.scalar": mk.to_storage(np.float32(2.5), "float32")}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.safetensors")
            mk.write_safetensors(path, tensors, {"format": "pt"})
            header, n, size = header_of(path)
            got = hf.read_safetensors(path)
        self.assertEqual((8 + n) % 8, 0)
        self.assertEqual(list(header), ["__metadata__", "a.bf16", "m.f16", "s.scalar", "z.f32"])
        self.assertEqual(header["__metadata__"], {"format": "pt"})
        self.assertEqual(header["a.bf16"], {"dtype": "BF16", "shape": [7], "data_offsets": [0, 14]})
        ends = [header[k]["data_offsets"] for k in list(header)[1:]]
        self.assertEqual([e[0] for e in ends[1:]], [e[1] for e in ends[:-1]])  # contiguous
        self.assertEqual(size, 8 + n + ends[-1][1])
        np.testing.assert_array_equal(got["z.f32"], a)
        np.testing.assert_array_equal(got["m.f16"], c.astype(np.float16).astype(np.float32))
        self.assertEqual(got["s.scalar"].shape, ())
        # bf16 -> f32 is exact; the value is within half a bf16 ulp of the original
        np.testing.assert_allclose(got["a.bf16"], b, rtol=2**-8, atol=0)
        self.assertTrue(all(v.dtype == np.float32 for v in got.values()))

    def test_sharded_equals_single_file(self):
        args = ["--arch", "deepseek", "--dtype", "bfloat16", "--seed", "7"]
        with tempfile.TemporaryDirectory() as d:
            one, three = os.path.join(d, "one"), os.path.join(d, "three")
            mk.main(args + ["-o", one])
            mk.main(args + ["-o", three, "--shards", "3"])
            self.assertEqual(sorted(os.listdir(three)), [
                "config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"])
            index = read_json(os.path.join(three, "model.safetensors.index.json"))
            cfg1, w1 = hf.load_model_dir(one)
            cfg3, w3 = hf.load_model_dir(three)
            header = header_of(os.path.join(one, "model.safetensors"))[0]
        self.assertEqual(cfg1, cfg3)
        self.assertEqual(sorted(index["weight_map"]), sorted(w1))
        self.assertEqual(sorted(w1), sorted(w3))
        for k in w1:
            np.testing.assert_array_equal(w1[k], w3[k])
        self.assertEqual(header["model.layers.1.mlp.gate.e_score_correction_bias"]["dtype"], "F32")
        self.assertEqual(header["model.embed_tokens.weight"]["dtype"], "BF16")
        _, wf = tiny(args)  # stored bf16 == float32 master rounded to bf16
        bits = mk.f32_to_bf16_bits(wf["model.norm.weight"]).astype(np.uint32) << 16
        np.testing.assert_array_equal(w1["model.norm.weight"], bits.view(np.float32))

    def test_tied_and_q_lora_options(self):
        cfg, w = tiny(["--arch", "deepseek", "--tied", "--q-lora-rank", "0"])
        self.assertTrue(cfg["tie_word_embeddings"])
        self.assertIsNone(cfg["q_lora_rank"])
        self.assertNotIn("lm_head.weight", w)
        self.assertIn("model.layers.0.self_attn.q_proj.weight", w)
        self.assertNotIn("model.layers.0.self_attn.q_a_proj.weight", w)
        self.assertEqual(cfg["max_position_embeddings"], 256)


class HandCheckTest(unittest.TestCase):
    def llama_identity(self):
        """1 layer, 1 head: v_proj, o_proj, lm_head = I; MLP = 0; k_proj = 0."""
        rng = np.random.default_rng(3)
        h = 4
        cfg = {"model_type": "llama", "hidden_size": h, "intermediate_size": 2, "num_hidden_layers": 1,
               "num_attention_heads": 1, "num_key_value_heads": 1, "vocab_size": h,
               "rms_norm_eps": 1e-6, "rope_theta": 10000.0}
        p = "model.layers.0."
        eye, zero = np.eye(h), np.zeros
        w = {"model.embed_tokens.weight": rng.standard_normal((h, h)), "model.norm.weight": np.ones(h),
             "lm_head.weight": eye, p + "input_layernorm.weight": np.ones(h),
             p + "post_attention_layernorm.weight": np.ones(h),
             p + "self_attn.q_proj.weight": rng.standard_normal((h, h)),
             p + "self_attn.k_proj.weight": zero((h, h)), p + "self_attn.v_proj.weight": eye,
             p + "self_attn.o_proj.weight": eye, p + "mlp.gate_proj.weight": zero((2, h)),
             p + "mlp.up_proj.weight": zero((2, h)), p + "mlp.down_proj.weight": zero((h, 2))}
        return hf.Model(cfg, w), w["model.embed_tokens.weight"]

    def test_attention_over_one_token_returns_v(self):
        model, e = self.llama_identity()
        logits = model.forward([2], model.new_cache())[0]
        np.testing.assert_allclose(logits, rn(e[2] + rn(e[2])), rtol=1e-12)

    def test_zero_keys_average_the_cached_values(self):
        model, e = self.llama_identity()
        cache = model.new_cache()
        model.forward([2], cache)
        logits = model.forward([0], cache)[0]
        np.testing.assert_allclose(logits, rn(e[0] + (rn(e[2]) + rn(e[0])) / 2), rtol=1e-12)
        both = model.forward([2, 0], model.new_cache())  # causal: row 0 must not see token 0
        np.testing.assert_allclose(both[0], rn(e[2] + rn(e[2])), rtol=1e-12)
        np.testing.assert_allclose(both[1], logits, rtol=1e-12)

    def test_mla_over_one_token_returns_v(self):
        rng = np.random.default_rng(4)
        h, H, lora, nope, rope, vd = 4, 2, 4, 2, 2, 3
        cfg = json.loads(json.dumps(tiny(["--arch", "deepseek"])[0]))
        cfg.update(hidden_size=h, num_attention_heads=H, num_key_value_heads=H, num_hidden_layers=1,
                   q_lora_rank=None, kv_lora_rank=lora, qk_nope_head_dim=nope, qk_rope_head_dim=rope,
                   v_head_dim=vd, vocab_size=5, first_k_dense_replace=1, intermediate_size=2)
        p = "model.layers.0."
        s = p + "self_attn."
        kv_b = rng.standard_normal((H * (nope + vd), lora))
        w = {"model.embed_tokens.weight": rng.standard_normal((5, h)), "model.norm.weight": np.ones(h),
             "lm_head.weight": rng.standard_normal((5, h)), p + "input_layernorm.weight": np.ones(h),
             p + "post_attention_layernorm.weight": np.ones(h),
             s + "q_proj.weight": rng.standard_normal((H * (nope + rope), h)),
             s + "kv_a_proj_with_mqa.weight": rng.standard_normal((lora + rope, h)),
             s + "kv_a_layernorm.weight": np.ones(lora), s + "kv_b_proj.weight": kv_b,
             s + "o_proj.weight": rng.standard_normal((h, H * vd)),
             p + "mlp.gate_proj.weight": np.zeros((2, h)), p + "mlp.up_proj.weight": np.zeros((2, h)),
             p + "mlp.down_proj.weight": np.zeros((h, 2))}
        model = hf.Model(cfg, w)
        x = w["model.embed_tokens.weight"][3]
        c_kv = (w[s + "kv_a_proj_with_mqa.weight"] @ rn(x))[:lora]  # rope part of kv_a comes last
        # kv_b_proj rows are per head: [k_nope (nope rows), v (vd rows)]
        v = [kv_b[i * (nope + vd) + nope:(i + 1) * (nope + vd)] @ rn(c_kv) for i in range(H)]
        x1 = x + w[s + "o_proj.weight"] @ np.concatenate(v)
        want = w["lm_head.weight"] @ rn(x1)
        np.testing.assert_allclose(model.forward([3], model.new_cache())[0], want, rtol=1e-10)

    def test_router(self):
        def route(scores, bias, n_group, topk_group, top_k, norm):
            cfg = {"model_type": "deepseek_v3", "num_hidden_layers": 1, "num_attention_heads": 1,
                   "n_routed_experts": len(scores), "n_group": n_group, "topk_group": topk_group,
                   "num_experts_per_tok": top_k, "norm_topk_prob": norm, "routed_scaling_factor": 2.5,
                   "qk_rope_head_dim": 2, "rope_scaling": None,
                   "tie_word_embeddings": True}
            s = np.array(scores)
            w = {"model.embed_tokens.weight": np.zeros((1, 1)), "g.gate.weight": np.log(s / (1 - s))[:, None],
                 "g.gate.e_score_correction_bias": np.array(bias, dtype=float)}
            idx, wt = hf.Model(cfg, w).route(np.ones((1, 1)), "g.")
            order = np.argsort(idx[0])
            return idx[0][order].tolist(), wt[0][order]
        # groups (0,1)(2,3)(4,5)(6,7); the bias drops expert 7 and only ranks the choice;
        # top-2 group sums keep groups 1 and 2 (a per-group max would keep group 0).
        scores = [0.90, 0.10, 0.60, 0.55, 0.80, 0.70, 0.30, 0.95]
        bias = [0, 0, 0, 0, 0, 0, 0, -0.6]
        idx, wt = route(scores, bias, 4, 2, 2, True)
        self.assertEqual(idx, [4, 5])
        np.testing.assert_allclose(wt, [0.8 / 1.5 * 2.5, 0.7 / 1.5 * 2.5], rtol=1e-12)
        idx, wt = route(scores, bias, 4, 2, 2, False)
        np.testing.assert_allclose(wt, [2.0, 1.75], rtol=1e-12)
        # 4 experts per group: top-2 sums 1.20 vs 1.15 keep group 0 (full sums would keep group 1)
        idx, wt = route([0.9, 0.3, 0.01, 0.01, 0.6, 0.55, 0.5, 0.45], [0] * 8, 2, 1, 2, True)
        self.assertEqual(idx, [0, 1])
        np.testing.assert_allclose(wt, [0.9 / 1.2 * 2.5, 0.3 / 1.2 * 2.5], rtol=1e-12)

    def test_interleaved_rope_is_pairwise_complex_rotation(self):
        rng = np.random.default_rng(5)
        d, pos = 8, 37.0
        inv = 1.0 / 10000 ** (np.arange(0, d, 2) / d)
        emb = np.concatenate((pos * inv, pos * inv))
        x = rng.standard_normal(d)
        got = hf.apply_rope_interleave(x[None], np.cos(emb), np.sin(emb))[0]
        z = (x[0::2] + 1j * x[1::2]) * np.exp(1j * pos * inv)  # pairs (x0,x1), (x2,x3), ...
        np.testing.assert_allclose(got, np.concatenate((z.real, z.imag)), rtol=1e-12, atol=1e-14)


class RopeTest(unittest.TestCase):
    def test_llama3_inverse_frequencies(self):
        cfg, _ = tiny(["--arch", "llama"])  # theta 5e5, head_dim 16, factor 8, low 1, high 4, orig 64
        inv, att = hf.rope_parameters(cfg, 16)
        # wavelen 2*pi*5e5^(i/8): 6.3 (< 16: kept), 32.4 (smoothed), >= 167 (> 64: divided by 8)
        want = [1.0, 7.940300917920820e-02, 4.700753866357992e-03, 9.115830921521387e-04,
                1.767766952966369e-04, 3.428102195952591e-05, 6.647869871181235e-06,
                1.289173172151557e-06]
        np.testing.assert_allclose(inv, want, rtol=1e-12)
        self.assertEqual(att, 1.0)

    def test_yarn_inverse_frequencies_and_scaling(self):
        cfg, _ = tiny(["--arch", "deepseek"])  # theta 1e4, rope dim 16, factor 4, orig 64, beta 32/1
        inv, att = hf.rope_parameters(cfg, 16)
        # correction range [floor(-0.994), ceil(2.016)] = [0, 3]: ramp i/3, so
        # inv_i = 10^(-i/2) * (extrap + (1 - extrap) / 4) with extrap = 1, 2/3, 1/3, 0, 0, ...
        r = 10 ** -0.5
        want = [1.0, 0.75 * r, 0.5 * 0.1, 0.25 * r / 10, 0.25 * 0.01, 0.25 * r / 100,
                0.25 * 0.001, 0.25 * r / 1000]
        np.testing.assert_allclose(inv, want, rtol=1e-12)
        self.assertEqual(att, 1.0)  # mscale == mscale_all_dim
        model = hf.Model(cfg, tiny(["--arch", "deepseek"])[1])
        self.assertAlmostEqual(model.scaling, 0.2291869183118949899, places=15)  # 32^-.5 * (1+.1 ln 4)^2
        cfg["rope_scaling"] = dict(cfg["rope_scaling"], mscale_all_dim=0)
        self.assertAlmostEqual(hf.rope_parameters(cfg, 16)[1], 1 + 0.1 * math.log(4), places=15)


class CacheConsistencyTest(unittest.TestCase):
    CASES = [["--arch", "llama"], ["--arch", "llama", "--tied", "--kv-heads", "1"],
             ["--arch", "deepseek"], ["--arch", "deepseek", "--tied", "--q-lora-rank", "0"]]

    def test_incremental_equals_from_scratch(self):
        prompt, n = [7, 3, 99, 42, 5], 70  # reaches position 74, past original_max_position 64
        for args in self.CASES:
            with self.subTest(args=args):
                model = hf.Model(*tiny(args))
                toks, logits = hf.greedy(model, prompt, n)
                full = model.forward(prompt + toks[:-1], model.new_cache())  # one causal pass
                np.testing.assert_allclose(full[len(prompt) - 1:], logits, rtol=0, atol=1e-9)
                for k in (0, 1, 33, 69):  # restart from scratch with k generated tokens in the prompt
                    t2, l2 = hf.greedy(model, prompt + toks[:k], n - k)
                    self.assertEqual(t2, toks[k:])
                    np.testing.assert_allclose(l2, logits[k:], rtol=0, atol=1e-9)
                self.assertGreater(len(set(toks)), 5, "degenerate greedy output")

    def test_float32_precision_close_to_float64(self):
        cfg, w = tiny(["--arch", "deepseek"])
        t64, l64 = hf.greedy(hf.Model(cfg, w, np.float64), [1, 2, 3], 20)
        t32, l32 = hf.greedy(hf.Model(cfg, w, np.float32), [1, 2, 3], 20)
        self.assertEqual(t64, t32)
        self.assertLess(np.max(np.abs(l64 - l32)), 1e-5 * np.max(np.abs(l64)))


class KvBf16Test(unittest.TestCase):
    def test_round_bf16_is_the_writers_rounding(self):
        x = np.concatenate((np.random.default_rng(2).standard_normal(1000),
                            [1 + 2**-8, 1 + 3 * 2**-8, -2.5, 0.0])).astype(np.float32)
        want = (mk.f32_to_bf16_bits(x).astype(np.uint32) << 16).view(np.float32)
        np.testing.assert_array_equal(hf.round_bf16(x.astype(np.float64)), want)

    def test_bf16_cache_is_consistent_and_differs_from_fp32(self):
        for args in CacheConsistencyTest.CASES[::2]:
            with self.subTest(args=args):
                cfg, w = tiny(args)
                model = hf.Model(cfg, w, kv_dtype="bfloat16")
                toks, logits = hf.greedy(model, [7, 3, 99], 12)
                full = model.forward([7, 3, 99] + toks[:-1], model.new_cache())
                np.testing.assert_allclose(full[2:], logits, rtol=0, atol=1e-9)
                _, l32 = hf.greedy(hf.Model(cfg, w), [7, 3, 99], 12)
                self.assertGreater(np.max(np.abs(logits - l32)), 1e-6)


class CliTest(unittest.TestCase):
    def run_py(self, script, *args):
        return subprocess.run([sys.executable, os.path.join(HERE, script), *args],
                              capture_output=True, text=True)

    def test_reference_and_compare_runs(self):
        with tempfile.TemporaryDirectory() as d:
            j = lambda name: os.path.join(d, name)  # noqa: E731
            self.assertEqual(self.run_py("make_tiny_model.py", "--arch", "deepseek", "--dtype", "bfloat16",
                                         "--shards", "2", "-o", j("m")).returncode, 0)
            write_json([[3, 1, 4, 1, 5], [9], [2, 6]], j("p.json"))
            r = self.run_py("hf_reference.py", "--model", j("m"), "--prompts", j("p.json"),
                            "--max-new-tokens", "6", "--output", j("a.json"), "--dump-logits", j("a.npy"))
            self.assertEqual(r.returncode, 0, r.stderr)
            tokens, logits = read_json(j("a.json"))["tokens"], np.load(j("a.npy"))
            self.assertEqual([len(t) for t in tokens], [6, 6, 6])
            self.assertEqual((logits.shape, logits.dtype), ((3, 6, 256), np.float32))
            self.assertEqual(np.argmax(logits, axis=-1).tolist(), tokens)
            # a sequence decodes the same alone as in a batch
            write_json([[9]], j("p1.json"))
            self.run_py("hf_reference.py", "--model", j("m"), "--prompts", j("p1.json"),
                        "--max-new-tokens", "6", "--output", j("b.json"), "--dump-logits", j("b.npy"))
            self.assertEqual(read_json(j("b.json"))["tokens"], [tokens[1]])
            np.testing.assert_array_equal(np.load(j("b.npy"))[0], logits[1])

            def compare(b_tokens, b_logits, *extra):
                write_json({"tokens": b_tokens}, j("c.json"))
                np.save(j("c.npy"), b_logits)
                return self.run_py("compare_runs.py", j("a.json"), j("a.npy"), j("c.json"), j("c.npy"),
                                   *extra)
            scale = np.max(np.abs(logits))
            r = compare(tokens, logits)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertEqual(len(r.stdout.strip().splitlines()), 1)
            self.assertEqual(compare(tokens, logits + 0.5e-4 * scale).returncode, 0)
            self.assertEqual(compare(tokens, logits + 2e-4 * scale).returncode, 1)
            self.assertEqual(compare(tokens, logits + 2e-4 * scale, "--rtol", "1e-3").returncode, 0)
            bad = [t[:] for t in tokens]
            bad[2][5] = (bad[2][5] + 1) % 256
            r = compare(bad, logits)
            self.assertEqual(r.returncode, 1)
            self.assertIn("sequence 2 step 5", r.stdout)
            nan = logits.copy()
            nan[0, 0, 0] = np.nan
            self.assertEqual(compare(tokens, nan).returncode, 1)
            write_json([[256]], j("bad.json"))
            self.assertNotEqual(self.run_py("hf_reference.py", "--model", j("m"), "--prompts", j("bad.json"),
                                            "--max-new-tokens", "1", "--output", j("x.json")).returncode, 0)


if __name__ == "__main__":
    unittest.main()
