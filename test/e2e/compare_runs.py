"""Compare two greedy-decoding runs (helix-run or hf_reference.py outputs).

    /usr/bin/python3 test/e2e/compare_runs.py A.json A.npy B.json B.npy [--rtol 1e-4]

Exit 0 iff the token lists are identical and
max|logitsA - logitsB| <= rtol * max|logitsA| (A is the reference run).
Prints one summary line. Exit 1 on mismatch, 2 on unusable input.
"""
import argparse
import json
import sys

import numpy as np


def load(json_path, npy_path):
    with open(json_path) as f:
        tokens = json.load(f)["tokens"]
    return tokens, np.load(npy_path).astype(np.float64)


def first_token_difference(ta, tb):
    if len(ta) != len(tb):
        return f"batch {len(ta)} vs {len(tb)}"
    for b, (sa, sb) in enumerate(zip(ta, tb)):
        for t in range(max(len(sa), len(sb))):
            if t >= len(sa) or t >= len(sb) or sa[t] != sb[t]:
                return f"sequence {b} step {t}"
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="compare two decoding runs")
    ap.add_argument("a_json")
    ap.add_argument("a_npy")
    ap.add_argument("b_json")
    ap.add_argument("b_npy")
    ap.add_argument("--rtol", type=float, default=1e-4,
                    help="tolerance relative to max|logits of A| (default 1e-4)")
    a = ap.parse_args(argv)
    try:
        ta, la = load(a.a_json, a.a_npy)
        tb, lb = load(a.b_json, a.b_npy)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_runs: cannot read inputs: {e}")
        return 2
    diff = first_token_difference(ta, tb)
    if la.shape != lb.shape:
        print(f"compare_runs: FAIL logits shape {la.shape} vs {lb.shape}; "
              f"tokens {'identical' if diff is None else 'differ at ' + diff}")
        return 1
    scale = float(np.max(np.abs(la))) if la.size else 0.0
    err = float(np.max(np.abs(la - lb))) if la.size else 0.0
    if np.isnan(err) or not np.all(np.isfinite(lb)):
        err = float("inf")  # NaN/inf in B never passes
    ok = diff is None and err <= a.rtol * scale
    print(f"compare_runs: {'PASS' if ok else 'FAIL'} "
          f"tokens {'identical' if diff is None else 'differ at ' + diff}; "
          f"max|dlogit| {err:.3e} (relative {err / scale if scale else err:.3e}, "
          f"limit rtol {a.rtol:g} * max|A| {scale:.3e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
