"""A peer for helix's decode benchmark: Hugging Face transformers' greedy
decoding of the same checkpoint and prompts, timed per decode step.

usage: peer_hf.py --model DIR --prompts P [--max-new-tokens N] [--batch B]
                  [--modes compiled,eager] [--reps R] [--device cuda|cpu]
                  [--helix-output OUT.json] [--tokens-out PREFIX]
                  [--compile-on-cpu]

Two modes, each printing one line
    peer hf-compiled: 1.234 ms/step (batch 8, context <= 576)
    peer hf-eager: 5.678 ms/step (batch 8, context <= 576)
  compiled: generate() with a static KV cache and the forward compiled with
            torch.compile(mode="reduce-overhead") (CUDA graphs): transformers'
            own compile_config when it has one (it then compiles the decode
            forward itself), else model.forward compiled by hand, the older
            documented way;
  eager:    generate() with the default dynamic cache, no compile.
The number is the median over the timed runs' decode steps, a decode step
being one forward over the batch (one new token per sequence) after the
prefill: a streamer records the host time as each step's tokens arrive (the
host waits for every step's tokens anyway: generate() checks for finished
sequences each step). Tokens 2..N of N new tokens are decode steps; the
first comes from the prefill, as helix's first new token comes from the
prompt's last position (helix-run-module's median is over the same N-1
steps). Warm-up runs (compiling, recording the graphs) are not timed.

With --helix-output (helix-run-module's --output file for the same model,
prompts and --max-new-tokens) each mode's tokens are compared with helix's
per sequence. Random bf16 weights can flip a greedy pick at a near-tie, so
a difference is reported, not failed, unless fewer than half the sequences
agree on their first 8 tokens (exit 1).

Exit status: 0 done, 1 the tokens disagree with helix's, 2 no CUDA device
or no torch/transformers here, 3 a mode failed to run (the others still ran).
"""
import argparse
import json
import os
import statistics
import sys
import time

AGREE_PREFIX = 8


def fail(message, code):
    print("error: " + message, file=sys.stderr)
    sys.exit(code)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="Hugging Face checkpoint directory")
    ap.add_argument("--prompts", required=True, help="JSON list of token-id lists")
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--batch", type=int, default=0,
                    help="decode the first B prompts (default: all)")
    ap.add_argument("--modes", default=None,
                    help="comma-separated, of compiled and eager (default: both on "
                         "cuda, eager on cpu)")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per mode")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--helix-output", help="helix-run-module's --output JSON to compare with")
    ap.add_argument("--tokens-out", metavar="PREFIX",
                    help="write each mode's tokens to PREFIX-MODE.json as {\"tokens\": [...]} "
                         "(helix's --output shape, so it can be a --helix-output later)")
    ap.add_argument("--compile-on-cpu", action="store_true",
                    help="allow the compiled mode with --device cpu (inductor, "
                         "no CUDA graphs: a check that it runs, not a timing)")
    a = ap.parse_args(argv)
    if a.modes is None:
        a.modes = "compiled,eager" if a.device == "cuda" or a.compile_on_cpu else "eager"
    a.modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    for m in a.modes:
        if m not in ("compiled", "eager"):
            ap.error("unknown mode %r (compiled, eager)" % m)
    if "compiled" in a.modes and a.device == "cpu" and not a.compile_on_cpu:
        ap.error("the compiled mode on --device cpu needs --compile-on-cpu")
    if a.max_new_tokens < 2:
        ap.error("--max-new-tokens must be at least 2 (one prefill token, then decode steps)")
    if a.reps < 1:
        ap.error("--reps must be at least 1")
    return a


def load_prompts(path, batch):
    with open(path) as f:
        prompts = json.load(f)
    if not isinstance(prompts, list) or not prompts or \
            not all(isinstance(p, list) and p and all(isinstance(t, int) for t in p)
                    for p in prompts):
        fail("%s: expected a non-empty JSON list of non-empty token-id lists" % path, 1)
    if batch:
        if batch > len(prompts):
            fail("--batch %d: %s has %d prompts" % (batch, path, len(prompts)), 1)
        prompts = prompts[:batch]
    return prompts


class StepClock:
    """A generate() streamer noting when each step's tokens reach the host.

    put() gets the prompt once (before the prefill), then each step's new
    tokens, already copied to the host (so the step has finished)."""

    def __init__(self):
        self.times = []

    def put(self, _tokens):
        self.times.append(time.perf_counter())

    def end(self):
        pass

    def decode_ms(self):
        # times[0]: the prompt; times[1]: the prefill's token; then decode steps.
        return [(b - a) * 1e3 for a, b in zip(self.times[1:], self.times[2:])]

    def prefill_ms(self):
        return (self.times[1] - self.times[0]) * 1e3


def compare(label, peer, helix, new_tokens):
    """Prints how the peer's tokens match helix's; True when at least half
    the sequences agree on their first AGREE_PREFIX tokens."""
    n = min(len(peer), len(helix))
    if len(peer) != len(helix):
        print("  %s vs helix: helix has %d sequences, the peer %d: comparing the first %d"
              % (label, len(helix), len(peer), n))
    same, prefix_ok, diffs = 0, 0, []
    for s in range(n):
        a, b = list(helix[s]), list(peer[s])
        if len(a) != new_tokens:
            print("  %s vs helix: helix's sequence %d has %d tokens, not --max-new-tokens %d"
                  % (label, s, len(a), new_tokens))
        first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), None)
        if first is None and len(a) != len(b):
            first = min(len(a), len(b))
        if first is None:
            same += 1
        else:
            diffs.append((s, first, a[first] if first < len(a) else None,
                          b[first] if first < len(b) else None))
        k = min(AGREE_PREFIX, new_tokens)
        prefix_ok += a[:k] == b[:k]
    print("  %s vs helix: %d/%d sequences identical over %d new tokens, %d/%d agree "
          "on the first %d" % (label, same, n, new_tokens, prefix_ok, n,
                               min(AGREE_PREFIX, new_tokens)))
    for s, first, h, p in diffs:
        print("    sequence %d: first differs at step %d (helix %s, peer %s)" % (s, first, h, p))
    return n > 0 and 2 * prefix_ok >= n


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import torch
        import transformers
        from transformers import AutoModelForCausalLM
    except ImportError as e:
        fail("torch and transformers are needed (%s)" % e, 2)
    transformers.utils.logging.disable_progress_bar()
    if a.device == "cuda" and not torch.cuda.is_available():
        fail("no CUDA device", 2)
    prompts = load_prompts(a.prompts, a.batch)
    helix = None
    if a.helix_output:
        with open(a.helix_output) as f:
            helix = json.load(f)["tokens"]

    with open(os.path.join(a.model, "config.json")) as f:
        stored = json.load(f).get("torch_dtype", "float32")
    dtype = getattr(torch, stored)
    version = tuple(int(x) for x in transformers.__version__.split(".")[:2] if x.isdigit())
    # `dtype` since 4.56, `torch_dtype` before (an unknown keyword would be
    # taken as a config attribute, and the weights loaded in fp32).
    key = "dtype" if version >= (4, 56) else "torch_dtype"
    model = AutoModelForCausalLM.from_pretrained(a.model, **{key: dtype})
    model = model.to(device=a.device, dtype=dtype).eval()
    # helix decodes exactly N tokens: no stop at the config's eos id.
    gc = model.generation_config
    gc.eos_token_id = None
    gc.pad_token_id = None
    gc.do_sample = False
    for name in ("temperature", "top_p", "top_k"):
        if hasattr(gc, name):
            setattr(gc, name, None)

    # Left padding if the prompts differ in length (the benchmark's do not);
    # generate() derives positions from the attention mask.
    longest = max(len(p) for p in prompts)
    ids = torch.zeros((len(prompts), longest), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for s, p in enumerate(prompts):
        ids[s, longest - len(p):] = torch.tensor(p)
        mask[s, longest - len(p):] = 1
    ids, mask = ids.to(a.device), mask.to(a.device)
    context = longest + a.max_new_tokens
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)

    def generate(extra):
        clock = StepClock()
        sync()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False,
                                 max_new_tokens=a.max_new_tokens,
                                 streamer=clock, **extra)
        sync()
        new = out[:, longest:].tolist()
        if any(len(t) != a.max_new_tokens for t in new):
            fail("generate() stopped early: %s new tokens" % [len(t) for t in new], 1)
        return clock, new

    print("peer: transformers %s, torch %s, %s, %s, attention %s" % (
        transformers.__version__, torch.__version__,
        torch.cuda.get_device_name() if a.device == "cuda" else "cpu", stored,
        getattr(model.config, "_attn_implementation", "?")))

    def run_mode(mode):
        """True: timed (and agrees with helix's tokens, if given); False:
        disagrees with helix; None: the mode did not run."""
        extra, warmups, how = {}, 1, "dynamic cache, eager"
        if mode == "compiled":
            warmups = 2  # the first compiles; the second runs what was compiled
            extra["cache_implementation"] = "static"
            if hasattr(transformers, "CompileConfig") and hasattr(model, "get_compiled_call"):
                cc = transformers.CompileConfig(mode="reduce-overhead")
                if a.device == "cpu":
                    cc._compile_all_devices = True
                extra["compile_config"] = cc
                how = "static cache, generate()'s compile_config (reduce-overhead)"
            else:
                model.forward = torch.compile(model.forward, mode="reduce-overhead",
                                              fullgraph=True)
                how = "static cache, model.forward compiled (reduce-overhead)"
        label = "hf-" + mode
        start = time.perf_counter()
        for _ in range(warmups):
            _, tokens = generate(extra)
        warm_s = time.perf_counter() - start
        if "compile_config" in extra and getattr(model, "_compiled_call", None) is None:
            print("peer %s: FAILED (generate() did not compile the forward on %s)"
                  % (label, a.device))
            return None
        steps, prefill, runs = [], [], []
        for _ in range(a.reps):
            clock, new = generate(extra)
            steps += clock.decode_ms()
            prefill.append(clock.prefill_ms())
            runs.append(new)
        print("peer %s: %.3f ms/step (batch %d, context <= %d)"
              % (label, statistics.median(steps), len(prompts), context))
        print("  %s: %s; runs %d x %d decode steps, mean %.3f ms/step, min %.3f, "
              "max %.3f; prefill median %.1f ms; warm-up %.1f s"
              % (label, how, a.reps, len(steps) // a.reps, statistics.mean(steps),
                 min(steps), max(steps), statistics.median(prefill), warm_s))
        if a.tokens_out:
            with open("%s-%s.json" % (a.tokens_out, mode), "w") as f:
                json.dump({"tokens": runs[-1]}, f)
        if any(r != tokens for r in runs):
            print("  %s: note: the timed runs' tokens differ from the warm-up's" % label)
        if helix is not None and not compare(label, runs[-1], helix, a.max_new_tokens):
            print("error: %s: fewer than half the sequences agree with helix on the "
                  "first %d tokens: one of the two decodes is wrong" % (label, AGREE_PREFIX))
            return False
        return True

    status = 0
    for mode in a.modes:
        try:
            ok = run_mode(mode)
        except Exception as e:  # e.g. no C compiler for Triton: the other mode still runs
            line = (str(e).strip().splitlines() or [""])[0][:300]
            print("peer hf-%s: FAILED (%s: %s)" % (mode, type(e).__name__, line))
            ok = None
        finally:
            model.__dict__.pop("forward", None)  # undo a hand-compiled forward
        if ok is False:
            status = 1
        elif ok is None and status == 0:
            status = 3
    return status


if __name__ == "__main__":
    sys.exit(main())
