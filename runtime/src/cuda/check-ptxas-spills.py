#!/usr/bin/env python3
"""Fails when a kernel spills to local memory, from ptxas's resource report.

Reads the <object>.ptxas.log files that capture-ptxas.sh writes at build
time (nvcc -Xptxas=-v): for every entry function and architecture, the
registers, stack frame and spill stores/loads. Each kernel named with
--kernels must appear for every architecture in --archs (so the check
cannot pass on a stale or empty log) and must have 0 bytes of spills.
"""
import argparse
import re
import sys

ENTRY = re.compile(r"Compiling entry function '([^']+)' for '(sm_\w+)'")
PROPS = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                   r"(\d+) bytes spill loads")
REGS = re.compile(r"Used (\d+) registers")


def parse(path):
    """[(function, arch, registers, frame, stores, loads)] from one log."""
    rows, current = [], None
    for line in open(path, encoding='utf-8', errors='replace'):
        m = ENTRY.search(line)
        if m:
            current = {'fn': m.group(1), 'arch': m.group(2)}
            continue
        if current is None:
            continue
        m = PROPS.search(line)
        if m:
            current.update(frame=int(m.group(1)), stores=int(m.group(2)),
                           loads=int(m.group(3)))
        m = REGS.search(line)
        if m:
            current['regs'] = int(m.group(1))
            rows.append(current)
            current = None
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--archs', required=True)
    parser.add_argument('--kernels', nargs='+', required=True)
    parser.add_argument('logs', nargs='+')
    args = parser.parse_args()
    rows = []
    for path in args.logs:
        try:
            rows += parse(path)
        except OSError as e:
            print(f'FAIL: cannot read {path}: {e} (build helix_rt_cuda first)')
            return 1
    failed = False
    archs = ['sm_' + a.split('-')[0] for a in args.archs.split(';')]
    for kernel in args.kernels:
        for arch in archs:
            hits = [r for r in rows if kernel in r['fn'] and r['arch'] == arch]
            if not hits:
                print(f'FAIL: no ptxas report for {kernel} on {arch}')
                failed = True
            for r in hits:
                spills = r.get('stores', 0) + r.get('loads', 0)
                template = re.search(r'I(L.*?)EEv', r['fn'])
                label = kernel + (template.group(1) if template else '')
                print(f"{arch} {label}: {r['regs']} registers, "
                      f"{r.get('frame', 0)} B stack frame, "
                      f"{r.get('stores', 0)} B spill stores, "
                      f"{r.get('loads', 0)} B spill loads"
                      f"{'  <-- SPILLS' if spills else ''}")
                failed |= spills > 0
    print('FAIL: local-memory spills' if failed else 'no spills')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
