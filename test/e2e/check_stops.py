#!/usr/bin/env python3
"""Checks a run with stop ids against the same run without them.

usage: check_stops.py FULL.json STOPPED.json STOP_ID...

FULL ran every sequence to --max-new-tokens (--ignore-eos). In STOPPED a
sequence whose tokens hold a stop id ends right after its first one, with
stop_reason "eos"; the others are FULL's tokens, "length". At least one
sequence must stop and one must run on, or the test proves nothing.
"""
import json
import sys


def main():
    full = json.load(open(sys.argv[1]))
    stopped = json.load(open(sys.argv[2]))
    stops = {int(x) for x in sys.argv[3:]}
    reasons = []
    for s, (f, g, why) in enumerate(zip(full["tokens"], stopped["tokens"],
                                        stopped["stop_reason"])):
        cut = next((i for i, t in enumerate(f) if t in stops), None)
        want = f if cut is None else f[:cut + 1]
        want_why = "length" if cut is None else "eos"
        if g != want or why != want_why:
            print(f"check_stops: FAIL sequence {s}: {g} ({why}), want {want} ({want_why})")
            return 1
        reasons.append(why)
    if "eos" not in reasons or "length" not in reasons:
        print(f"check_stops: FAIL the reasons {reasons} do not mix eos and length")
        return 1
    print(f"check_stops: PASS {reasons}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
