"""helix-run --backend cuda against --backend cpu on tiny models (GPU test).

usage: gpu_decode.py --helix-run PATH --work DIR [--mpirun "mpirun ..."]

Makes bf16 Llama (GQA, head_dim 64) and DeepSeek (MLA + MoE) models, decodes
them on the CPU backend and on the GPU (unsharded, a one-rank sharded
layout, four-rank layouts whose ranks share one GPU as threads, and KVP=2
under mpirun, NCCL, when two GPUs and mpirun exist) and compares. The GPU rounds activations to bf16
before its GEMMs and attention, so logits agree to bf16 tolerance, not fp32:
each step's logits must be within --rtol of the CPU's largest logit, and a
token may differ only where the CPU's two best logits are closer than that
tolerance (a near-tie); after a divergence the sequences are not compared.

Prints "[  SKIPPED ] no CUDA device ..." and exits 0 when helix-run finds no
GPU, which ctest reports as a skip.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = [[5, 17, 99, 3, 42, 7, 8], [200, 1, 2], [9], [33, 34, 35, 36, 37]]
MODELS = {
    "llama": ["--arch", "llama", "--heads", "8", "--kv-heads", "2",
              "--head-dim", "64", "--hidden", "512", "--intermediate", "512",
              "--dtype", "bfloat16", "--seed", "3"],
    "deepseek": ["--arch", "deepseek", "--heads", "8", "--dtype", "bfloat16",
                 "--seed", "5"],
}
# (label, extra helix-run args, ranks, launcher). "mpi": one process per
# GPU under mpirun (needs `ranks` GPUs); "threads": every rank a thread of
# one process, all sharing GPU 0 when there is one (shared-CUDA comm).
LAYOUTS = {
    "llama": [("unsharded", [], 0, "threads"),
              ("one-rank sharded", ["--layout", "kvp=1,tpa=1,tpf=1",
                                    "--microbatches", "2"], 0, "threads"),
              ("kvp=2 mpi", ["--layout", "kvp=2,tpa=1,tpf=2", "--kv-block",
                             "2"], 2, "mpi"),
              ("kvp=2,tpa=2 one gpu", ["--layout", "kvp=2,tpa=2,tpf=4",
                                       "--microbatches", "2"], 4, "threads"),
              ("kvp=4 one gpu", ["--layout", "kvp=4,tpa=1,tpf=4",
                                 "--kv-block", "4"], 4, "threads")],
    "deepseek": [("unsharded", [], 0, "threads"),
                 ("one-rank sharded", ["--layout", "kvp=1,tpa=1,tpf=1,ep=1"], 0,
                  "threads"),
                 ("kvp=2,ep=2 mpi", ["--layout", "kvp=2,tpa=1,tpf=1,ep=2"], 2,
                  "mpi"),
                 ("kvp=4,ep=4 one gpu", ["--layout", "kvp=4,tpa=1,tpf=1,ep=4",
                                         "--microbatches", "2"], 4, "threads"),
                 # kvp*tpa must equal tpf*ep and MLA needs tpa=1, so
                 # tpf=2,ep=2 comes with kvp=4.
                 ("kvp=4,tpf=2,ep=2 one gpu",
                  ["--layout", "kvp=4,tpa=1,tpf=2,ep=2"], 4, "threads")],
}

def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def decode(args, model, backend, extra, out, ranks=0, launcher="threads"):
    cmd = [args.helix_run, "--model", model, "--prompts",
           os.path.join(args.work, "prompts.json"), "--max-new-tokens",
           str(args.steps), "--output", out + ".json", "--dump-logits",
           out + ".npy", "--cache-dir", os.path.join(args.work, "cache"),
           "--backend", backend] + extra
    if ranks and launcher == "mpi":
        cmd = shlex.split(args.mpirun) + [str(ranks)] + cmd + ["--launcher", "mpi"]
    return run(cmd)


def compare(cpu, gpu, rtol):
    """Returns a failure message, or None."""
    with open(cpu + ".json") as f:
        a = json.load(f)["tokens"]
    with open(gpu + ".json") as f:
        b = json.load(f)["tokens"]
    la, lb = np.load(cpu + ".npy"), np.load(gpu + ".npy")
    if la.shape != lb.shape or np.isnan(lb).any():
        return "logits shape %s vs %s or NaN" % (la.shape, lb.shape)
    limit = rtol * np.abs(la).max()
    for s in range(len(a)):
        for t in range(len(a[s])):
            err = np.abs(la[s, t] - lb[s, t]).max()
            if err > limit:
                return "sequence %d step %d: max|dlogit| %.3g > %.3g" % (s, t, err, limit)
            if a[s][t] != b[s][t]:
                top = np.sort(la[s, t])[-2:]
                if top[1] - top[0] > limit:
                    return ("sequence %d step %d: token %d vs %d with a CPU "
                            "margin %.3g > %.3g" % (s, t, a[s][t], b[s][t],
                                                    top[1] - top[0], limit))
                break  # a near-tie: the rest of the sequence may differ
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helix-run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--mpirun", default="mpirun --allow-run-as-root -np")
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--rtol", type=float, default=3e-2)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "prompts.json"), "w") as f:
        json.dump(PROMPTS, f)
    gpus = 0
    listing = run(["nvidia-smi", "-L"]) if shutil.which("nvidia-smi") else None
    if listing and listing.returncode == 0:
        gpus = listing.stdout.count("GPU ")
    failures = 0
    for name, make_args in MODELS.items():
        model = os.path.join(args.work, name)
        made = run([sys.executable, os.path.join(HERE, "make_tiny_model.py"),
                    "-o", model] + make_args)
        if made.returncode != 0:
            print(made.stderr, file=sys.stderr)
            return 1
        for label, extra, ranks, launcher in LAYOUTS[name]:
            if launcher == "mpi" and (gpus < ranks or not shutil.which(shlex.split(args.mpirun)[0])):
                print("skip %s %s: needs %d GPUs and mpirun" % (name, label, ranks))
                continue
            base = os.path.join(args.work, "%s-%s" % (name, label.replace(" ", "_")))
            gpu = decode(args, model, "cuda", extra, base + "-gpu", ranks, launcher)
            if gpu.returncode != 0 and "no CUDA device" in gpu.stderr:
                print("[  SKIPPED ] " + gpu.stderr.strip())
                return 0
            cpu = decode(args, model, "cpu", extra, base + "-cpu", ranks, launcher)
            if cpu.returncode != 0:
                print("FAIL %s %s cpu: %s" % (name, label, cpu.stderr), file=sys.stderr)
                return 1
            if gpu.returncode != 0:
                print("FAIL %s %s cuda: %s" % (name, label, gpu.stderr), file=sys.stderr)
                failures += 1
                continue
            why = compare(base + "-cpu", base + "-gpu", args.rtol)
            print("%s %s %s: %s" % ("FAIL" if why else "PASS", name, label,
                                    why or "within %g" % args.rtol))
            failures += bool(why)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
