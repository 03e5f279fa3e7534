"""Run helix-run once per layout and compare each run with a baseline.

usage: check_layouts.py --helix-run PATH --model DIR --prompts P.json
           --max-new-tokens N --baseline PREFIX --cache-dir DIR --work DIR
           [--backend cpu|cuda] [--run-arg=ARG...] [--cases FILE]
           (--layout L [--kv-block B] [--microbatches M] [--prefill-chunk C]
           [--mpi NP])...

--cases FILE adds the cases written in FILE, one per line (`--layout ...`,
as on the command line; `#` starts a comment), so that tests of one model in
several dtypes share one list. PREFIX.json / PREFIX.npy are the baseline
run's outputs. Every case must give
identical tokens and logits within 1e-4 of the baseline's largest logit
(compare_runs.py). Exits non-zero on the first failing case.
"""
import argparse
import os
import shlex
import subprocess
import sys


def parse_cases(argv):
    common, cases = [], []
    for arg in argv:
        if arg == "--layout":
            cases.append([])
        (cases[-1] if cases else common).append(arg)
    return common, cases


def expand_case_files(argv):
    out = []
    args = iter(argv)
    for arg in args:
        if arg == "--cases":
            with open(next(args)) as f:
                for line in f:
                    out += shlex.split(line, comments=True)
        else:
            out.append(arg)
    return out


def main():
    common, cases = parse_cases(expand_case_files(sys.argv[1:]))
    parser = argparse.ArgumentParser()
    for flag in ("--helix-run", "--model", "--prompts", "--max-new-tokens",
                 "--baseline", "--cache-dir", "--work"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--mpirun", default="")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--run-arg", action="append", default=[],
                        help="an extra helix-run argument for every case")
    args = parser.parse_args(common)
    case_parser = argparse.ArgumentParser()
    case_parser.add_argument("--layout", required=True)
    case_parser.add_argument("--kv-block", default="16")
    case_parser.add_argument("--microbatches", default="1")
    case_parser.add_argument("--prefill-chunk", default="0")
    case_parser.add_argument("--mpi", type=int, default=0)
    here = os.path.dirname(os.path.abspath(__file__))
    for index, case in enumerate(cases):
        c = case_parser.parse_args(case)
        out = os.path.join(args.work, "case%d" % index)
        cmd = [args.helix_run, "--model", args.model, "--prompts", args.prompts,
               "--max-new-tokens", args.max_new_tokens, "--layout", c.layout,
               "--kv-block", c.kv_block, "--microbatches", c.microbatches,
               "--prefill-chunk", c.prefill_chunk,
               "--output", out + ".json", "--dump-logits", out + ".npy",
               "--cache-dir", args.cache_dir, "--backend", args.backend] + args.run_arg
        if c.mpi:
            cmd = shlex.split(args.mpirun) + [str(c.mpi)] + cmd + ["--launcher", "mpi"]
        label = "%s kv-block=%s microbatches=%s prefill-chunk=%s%s" % (
            c.layout, c.kv_block, c.microbatches, c.prefill_chunk,
            " mpi" if c.mpi else "")
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print("FAIL %s: helix-run exited %d\n%s" % (label, run.returncode,
                                                        run.stderr), file=sys.stderr)
            return 1
        check = subprocess.run(
            [sys.executable, os.path.join(here, "compare_runs.py"),
             args.baseline + ".json", args.baseline + ".npy", out + ".json",
             out + ".npy"], capture_output=True, text=True)
        print("%s: %s" % (label, check.stdout.strip()))
        if check.returncode != 0:
            print(check.stderr, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
