#!/usr/bin/env python3
"""Checks that a shared library carries device code (cubins) for every
requested architecture and that each cubin defines the expected kernels.

Reads the .nv_fatbin section directly (no GPU, no cuobjdump needed): a
sequence of fatbin containers (magic 0xBA55ED50), each a list of entries
(kind 1 = PTX, 2 = ELF cubin) whose header holds the SM number at byte 28.
The library is built with --compress-mode=none, so each cubin is a plain
ELF whose section names (.text.<kernel>) list the kernels. When cuobjdump
is on PATH its --list-elf output is checked as well.
"""
import argparse
import shutil
import struct
import subprocess
import sys

FATBIN_MAGIC = 0xBA55ED50
EM_CUDA = 190


def elf_sections(data, base=0):
    """(name, offset, size) of every section of the ELF64 image at base."""
    shoff = struct.unpack_from('<Q', data, base + 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, base + 0x3A)
    headers = [struct.unpack_from('<IIQQQQIIQQ', data,
                                  base + shoff + i * shentsize)
               for i in range(shnum)]
    strtab = headers[shstrndx]
    out = []
    for h in headers:
        start = base + strtab[4] + h[0]
        name = data[start:data.index(b'\0', start)].decode(errors='replace')
        out.append((name, base + h[4], h[5]))
    return out


def fatbin_cubins(data):
    """[(sm, [kernel section names])] for every ELF entry of .nv_fatbin."""
    sections = [s for s in elf_sections(data) if s[0] == '.nv_fatbin']
    if not sections:
        raise SystemExit('error: no .nv_fatbin section (no device code)')
    _, off, size = sections[0]
    cubins = []
    pos, end = off, off + size
    while pos + 16 <= end:
        magic, _, hsize, fsize = struct.unpack_from('<IHHQ', data, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # containers are 8-byte aligned
            continue
        entry, cend = pos + hsize, pos + hsize + fsize
        while entry < cend:
            kind, _, ehsize, psize = struct.unpack_from('<HHIQ', data, entry)
            sm = struct.unpack_from('<I', data, entry + 28)[0]
            body = entry + ehsize
            if kind == 2:
                if data[body:body + 4] != b'\x7fELF':
                    raise SystemExit(f'error: sm_{sm} cubin is not a plain ELF '
                                     '(compressed? build with '
                                     '--compress-mode=none)')
                machine = struct.unpack_from('<H', data, body + 0x12)[0]
                if machine != EM_CUDA:
                    raise SystemExit(f'error: sm_{sm} cubin has e_machine '
                                     f'{machine}, not EM_CUDA')
                names = [n[len('.text.'):] for n, _, _ in
                         elf_sections(data, body) if n.startswith('.text.')]
                cubins.append((sm, names))
            entry = body + psize
        pos = cend
    return cubins


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--archs', required=True,
                        help='CMAKE_CUDA_ARCHITECTURES, e.g. "90a;100a"')
    parser.add_argument('--kernels', nargs='+', default=[])
    parser.add_argument('library')
    args = parser.parse_args()
    data = open(args.library, 'rb').read()
    cubins = fatbin_cubins(data)
    failed = False
    for arch in args.archs.replace(',', ';').split(';'):
        sm = int(''.join(c for c in arch.split('-')[0] if c.isdigit()))
        names = [n for s, ns in cubins if s == sm for n in ns]
        count = sum(1 for s, _ in cubins if s == sm)
        print(f'sm_{arch}: {count} cubins, {len(names)} kernels')
        if count == 0:
            print(f'FAIL: no cubin for sm_{arch}')
            failed = True
        for kernel in args.kernels:
            hits = [n for n in names if kernel in n]
            print(f'  {kernel}: {len(hits)} instantiation(s)')
            if not hits:
                print(f'FAIL: {kernel} missing from sm_{arch}')
                failed = True
    cuobjdump = shutil.which('cuobjdump')
    if cuobjdump:
        listing = subprocess.run([cuobjdump, '--list-elf', args.library],
                                 capture_output=True, text=True).stdout
        for arch in args.archs.replace(',', ';').split(';'):
            tag = 'sm_' + arch.split('-')[0]
            ok = tag in listing
            print(f'cuobjdump --list-elf: {tag} {"present" if ok else "MISSING"}')
            failed |= not ok
    else:
        print('cuobjdump not on PATH: checked the fatbin directly only')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
