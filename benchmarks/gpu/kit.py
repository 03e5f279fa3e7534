"""The GPU kit: everything a GPU machine without LLVM/MLIR needs to check
and time the CUDA backend, prepared on a build machine.

usage: kit.py prepare --build DIR --kit DIR     (here: Debian's python3)
       kit.py check --kit DIR [--backend cuda]  (there: any python3 with NumPy)
       kit.py dry-run --build DIR --kit DIR     (here: prepare, then check
                                                 with the host's kernels)

`prepare` copies the GPU test binaries, helix-run-module, the attention
benchmark and the runtime libraries (with Open MPI's, which GPU images
rarely carry) into the kit; makes the tiny models of gpu_decode.py; compiles
their target=cuda modules with helix-run --compile-only for a generic
x86-64 host; records each case's CPU-backend outputs as the reference; and
compiles (config only: the weights are made there) the decode benchmark's
~190M-parameter Llama for both targets. `check` runs each case with
helix-run-module --backend cuda and compares it with the reference as
gpu_decode.py does. benchmarks/gpu/kit-run.sh drives `check` on the GPU
machine (docs/gpu.md).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "..", "test", "e2e")
sys.path.insert(0, E2E)
import gpu_decode  # noqa: E402  (MODELS, LAYOUTS, PROMPTS, compare)

# The benchmark model (benchmarks/gpu/decode.sh's), made on the GPU machine.
BENCH_MODEL = ["--arch", "llama", "--hidden", "1024", "--layers", "8",
               "--heads", "8", "--kv-heads", "2", "--head-dim", "128",
               "--intermediate", "4096", "--vocab", "32000", "--dtype",
               "bfloat16", "--seed", "1", "--max-position", "131072"]
# Host code of the modules: generic enough for any x86-64 server CPU.
KIT_CPU = {"cuda": "x86-64-v2", "cpu": "x86-64-v3"}
BINARIES = ["helix-run-module", "helix-gpu-attention-bench", "GpuAttentionTest",
            "GpuMlaTest", "GpuMergeTest", "GpuNormRopeTest", "GpuGemmTest",
            "GpuMoeRouteTest", "GpuMoeExpertsTest", "GpuNcclTest",
            "GpuSharedCommTest", "GpuDeviceOpsTest"]
# Shared libraries the GPU image is not expected to have: ours, Open MPI's
# and OpenBLAS's (libhelix_rt links them); CUDA, cuBLAS and NCCL come from
# the image.
CARRIED_LIBS = ("libhelix_rt", "libmpi", "libopen-rte", "libopen-pal",
                "libhwloc", "libevent", "libudev", "libopenblas",
                "libgfortran", "libquadmath", "libpcre2")
# A stuck case fails after this many seconds instead of using up the GPU
# machine's command limit.
CASE_TIMEOUT_S = 180


def run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        sys.exit("kit: %s failed:\n%s%s" % (" ".join(cmd), done.stdout, done.stderr))
    return done


def carried_libs(binary):
    """(name, path) of the shared libraries of `binary` the kit carries."""
    out = run(["ldd", binary]).stdout
    for line in out.splitlines():
        parts = line.split("=>")
        if len(parts) == 2 and parts[0].strip().startswith(CARRIED_LIBS):
            path = parts[1].split("(")[0].strip()
            if path and path != "not found":
                yield parts[0].strip(), path


def cases():
    for name in gpu_decode.MODELS:
        for label, extra, ranks, launcher in gpu_decode.LAYOUTS[name]:
            safe = label.replace(" ", "_").replace(",", "_").replace("=", "-")
            yield name, safe, extra, ranks, launcher


def prepare(args):
    build, kit = os.path.abspath(args.build), os.path.abspath(args.kit)
    helix_run = os.path.join(build, "bin", "helix-run")
    for sub in ("bin", "lib", "models", "modules", "ref"):
        os.makedirs(os.path.join(kit, sub), exist_ok=True)
    for name in BINARIES:
        src = os.path.join(build, "bin", name)
        if not os.path.exists(src):
            sys.exit("kit: %s is missing: build it first (ninja -C %s %s)" %
                     (src, build, name))
        shutil.copy2(src, os.path.join(kit, "bin", name))
        for lib, path in carried_libs(src):
            shutil.copy2(os.path.realpath(path), os.path.join(kit, "lib", lib))
    prompts = os.path.join(kit, "prompts.json")
    with open(prompts, "w") as f:
        json.dump(gpu_decode.PROMPTS, f)
    cache = os.path.join(build, "kit-cache")
    manifest = []
    for name, make_args in gpu_decode.MODELS.items():
        model = os.path.join(kit, "models", name)
        if not os.path.isdir(model):
            run([sys.executable, os.path.join(E2E, "make_tiny_model.py"), "-o",
                 model] + make_args)
    for name, label, extra, ranks, launcher in cases():
        model = os.path.join(kit, "models", name)
        module = os.path.join(kit, "modules", "%s-%s.so" % (name, label))
        run([helix_run, "--model", model, "--compile-only", "--module-out",
             module, "--backend", "cuda", "--target-cpu", KIT_CPU["cuda"],
             "--cache-dir", cache] + extra)
        ref = os.path.join(kit, "ref", "%s-%s" % (name, label))
        run([helix_run, "--model", model, "--prompts", prompts,
             "--max-new-tokens", str(args.steps), "--output", ref + ".json",
             "--dump-logits", ref + ".npy", "--cache-dir", cache] + extra)
        manifest.append({"model": name, "case": label, "ranks": ranks,
                         "launcher": launcher,
                         "module": os.path.relpath(module, kit),
                         "ref": os.path.relpath(ref, kit)})
    bench = os.path.join(build, "kit-bench-config")
    run([sys.executable, os.path.join(E2E, "make_tiny_model.py"), "-o", bench,
         "--config-only"] + BENCH_MODEL)
    for target in ("cuda", "cpu"):
        run([helix_run, "--model", bench, "--compile-only", "--module-out",
             os.path.join(kit, "modules", "bench-%s.so" % target), "--backend",
             target, "--target-cpu", KIT_CPU[target], "--cache-dir", cache])
    with open(os.path.join(kit, "kit.json"), "w") as f:
        json.dump({"steps": args.steps, "cases": manifest,
                   "bench_model": BENCH_MODEL}, f, indent=1)
    size = sum(os.path.getsize(p) for p in glob.glob(kit + "/**", recursive=True)
               if os.path.isfile(p))
    print("kit: %s ready, %.1f MiB, %d decode cases" % (kit, size / 2**20, len(manifest)))


# Chunked prefill on the GPU (docs/runtime.md): (decode case, C). Each runs
# its case's module again with --prefill-chunk C against the same CPU
# reference: C = 3 gives a partial last chunk for every prompt longer than
# 3, and with KV blocks of 4 on 4 KVP ranks chunks cross blocks.
CHUNKED = [("llama unsharded", 3), ("llama kvp-2_tpa-2_one_gpu", 2),
           ("llama kvp-4_one_gpu", 3), ("deepseek unsharded", 3),
           ("deepseek kvp-4_ep-4_one_gpu", 2), ("deepseek kvp-4_tpf-2_ep-2_one_gpu", 16)]

# The routed MoE path (HELIX_CUDA_MOE=routed, docs/gpu.md; dense stays the
# default until a GPU run passes these): every case of this model again in
# that environment, and chunked prefill (decode case, C), where an expert
# gets several rows of a step.
ROUTED_MODEL = "deepseek"
ROUTED_ENV = {"HELIX_CUDA_MOE": "routed"}
ROUTED_CHUNKED = [("deepseek unsharded", 3), ("deepseek kvp-4_tpf-2_ep-2_one_gpu", 16)]

# Decode steps recorded as CUDA graphs and replayed (HELIX_CUDA_GRAPHS=1,
# docs/gpu.md; off by default until a GPU run passes these): one-rank cases
# (the only ones recorded), also after chunked prefill and with routed MoE.
# Each must match the CPU and report replayed steps in out.json.
GRAPHS_ENV = {"HELIX_CUDA_GRAPHS": "1"}
GRAPHS = [("llama unsharded", [], {}), ("deepseek unsharded", [], {}),
          ("llama unsharded", ["--prefill-chunk", "3"], {}),
          ("deepseek unsharded", [], ROUTED_ENV)]


def check(args):
    kit = os.path.abspath(args.kit)
    with open(os.path.join(kit, "kit.json")) as f:
        spec = json.load(f)
    runner = os.path.join(kit, "bin", "helix-run-module")
    work = os.path.join(kit, "out")
    os.makedirs(work, exist_ok=True)
    gpus = len([line for line in subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True, text=True).stdout.splitlines()
        if line.startswith("GPU ")]) if shutil.which("nvidia-smi") else 0
    by_label = {"%s %s" % (c["model"], c["case"]): c for c in spec["cases"]}
    for source in [source for source, _ in CHUNKED + ROUTED_CHUNKED] + \
            [source for source, _, _ in GRAPHS]:
        if source not in by_label:
            print("FAIL %s: no such case in the kit" % source)
            return 1
    runs = [(label, case, [], {}) for label, case in by_label.items()]
    for source, chunk in CHUNKED:
        runs.append(("%s, --prefill-chunk %d" % (source, chunk),
                     by_label[source], ["--prefill-chunk", str(chunk)], {}))
    routed = [(label, []) for label in by_label if label.startswith(ROUTED_MODEL + " ")]
    routed += [(source, ["--prefill-chunk", str(chunk)]) for source, chunk in ROUTED_CHUNKED]
    env_label = " ".join("%s=%s" % kv for kv in ROUTED_ENV.items())
    for source, extra in routed:
        label = ", ".join([source] + [" ".join(extra)] * bool(extra) + [env_label])
        runs.append((label, by_label[source], extra, ROUTED_ENV))
    for source, extra, env in GRAPHS:
        env = dict(env, **GRAPHS_ENV)
        label = ", ".join([source] + [" ".join(extra)] * bool(extra) +
                          [" ".join("%s=%s" % kv for kv in env.items())])
        runs.append((label, by_label[source], extra, env))
    failures = 0
    for label, case, extra, env in runs:
        # "threads" cases run every rank in one process, sharing GPU 0.
        mpi = case["ranks"] and case.get("launcher", "mpi") == "mpi"
        if mpi and (gpus < case["ranks"] or not shutil.which("mpirun")):
            print("skip %s: needs %d GPUs and mpirun" % (label, case["ranks"]))
            continue
        out = os.path.join(work, "%s-%s%s%s%s" % (
            case["model"], case["case"], "-".join([""] + extra[1:]),
            "-routed" if "HELIX_CUDA_MOE" in env else "",
            "-graphs" if "HELIX_CUDA_GRAPHS" in env else ""))
        cmd = [runner, "--module", os.path.join(kit, case["module"]), "--model",
               os.path.join(kit, "models", case["model"]), "--prompts",
               os.path.join(kit, "prompts.json"), "--max-new-tokens",
               str(spec["steps"]), "--backend", args.backend, "--output", out + ".json",
               "--dump-logits", out + ".npy"] + extra
        if mpi:
            cmd = ["mpirun", "--allow-run-as-root", "-np", str(case["ranks"])] + \
                cmd + ["--launcher", "mpi"]
        else:
            cmd += ["--launcher", "threads"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=CASE_TIMEOUT_S,
                                  env=dict(os.environ, **env))
        except subprocess.TimeoutExpired:
            print("FAIL %s: no result within %d s" % (label, CASE_TIMEOUT_S))
            failures += 1
            continue
        if done.returncode != 0:
            # NCCL warns on stdout: both, the end of each.
            tail = lambda text: "\n".join(text.strip().splitlines()[-15:])
            print("FAIL %s:\n%s\n%s" % (label, tail(done.stdout), tail(done.stderr)))
            failures += 1
            continue
        why = gpu_decode.compare(os.path.join(kit, case["ref"]), out, args.rtol)
        note = ""
        if not why and "HELIX_CUDA_GRAPHS" in env and args.backend == "cuda":
            why, note = replayed_steps(out + ".json")
        print("%s %s: %s" % ("FAIL" if why else "PASS", label,
                             why or "within %g of the CPU%s" % (args.rtol, note)))
        failures += bool(why)
    if args.backend == "cuda":
        failures += check_faults(spec, kit, runner, work)
    return 1 if failures else 0


def replayed_steps(path):
    """(why, note): why a HELIX_CUDA_GRAPHS=1 run's out.json shows no
    replayed step (None if it does: a run that fell back to eager steps
    would pass unseen), and the counts for the PASS line."""
    with open(path) as f:
        timing = json.load(f)["timing"]
    recorded, replayed = timing.get("recorded_steps"), timing.get("replayed_steps")
    if not recorded or not replayed:
        return ("no decode step was replayed from a CUDA graph (recorded %s, "
                "replayed %s)" % (recorded, replayed), "")
    return None, ", %d steps recorded, %d replayed" % (recorded, replayed)


# GPU faults (HELIX_CUDA_FAULT_STEP, docs/gpu.md): (label, decode case whose
# module runs, faulting rank). The run must end with one `error:` line,
# non-zero, no output files, well within the collective timeout.
FAULTS = [("fault, unsharded", "llama unsharded", 0),
          ("fault on rank 1 of 4 sharing the GPU", "llama kvp-2_tpa-2_one_gpu", 1)]


def check_faults(spec, kit, runner, work):
    failures = 0
    by_label = {"%s %s" % (c["model"], c["case"]): c for c in spec["cases"]}
    for label, source, rank in FAULTS:
        case = by_label.get(source)
        if not case:
            print("FAIL %s: no case %s in the kit" % (label, source))
            failures += 1
            continue
        out = os.path.join(work, "fault-%d" % rank)
        for ext in (".json", ".npy"):
            if os.path.exists(out + ext):
                os.remove(out + ext)
        cmd = [runner, "--module", os.path.join(kit, case["module"]), "--model",
               os.path.join(kit, "models", case["model"]), "--prompts",
               os.path.join(kit, "prompts.json"), "--max-new-tokens",
               str(spec["steps"]), "--backend", "cuda", "--output", out + ".json",
               "--dump-logits", out + ".npy", "--launcher", "threads"]
        env = dict(os.environ, HELIX_CUDA_FAULT_STEP="3",
                   HELIX_CUDA_FAULT_RANK=str(rank))
        start = time.monotonic()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  timeout=CASE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print("FAIL %s: still running after %d s" % (label, CASE_TIMEOUT_S))
            failures += 1
            continue
        seconds = time.monotonic() - start
        errors = [l for l in done.stderr.splitlines() if l.startswith("error:")]
        left = [out + ext for ext in (".json", ".npy") if os.path.exists(out + ext)]
        why = ("exit 0" if done.returncode == 0 else
               "%d error: lines" % len(errors) if len(errors) != 1 else
               "left %s" % ", ".join(left) if left else None)
        print("%s %s: %s (%.1f s)" % ("FAIL" if why else "PASS", label,
                                      why or errors[0], seconds))
        if why:
            print("\n".join(done.stderr.strip().splitlines()[-10:]))
        failures += bool(why)
    return failures


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--build", required=True)
    p.add_argument("--kit", required=True)
    p.add_argument("--steps", type=int, default=16)
    c = sub.add_parser("check")
    c.add_argument("--kit", required=True)
    c.add_argument("--rtol", type=float, default=3e-2)
    # cpu: a dry run of the kit on a machine without a GPU (the target=cuda
    # modules then run with the host's kernels).
    c.add_argument("--backend", choices=["cuda", "cpu"], default="cuda")
    d = sub.add_parser("dry-run")
    d.add_argument("--build", required=True)
    d.add_argument("--kit", required=True)
    d.add_argument("--steps", type=int, default=16)
    args = ap.parse_args()
    if args.command == "prepare":
        return prepare(args)
    if args.command == "dry-run":
        prepare(args)
        args.backend, args.rtol = "cpu", 3e-2
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
