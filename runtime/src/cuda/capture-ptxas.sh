#!/usr/bin/env bash
# CUDA compiler launcher: runs the nvcc command it is given and writes
# ptxas's resource report (-Xptxas=-v: registers, stack frame, spill
# stores/loads per kernel and architecture) to <object>.ptxas.log, keeping
# those info lines out of the build output. Other output (warnings, errors)
# passes through unchanged, and nvcc's exit status is kept.
set -uo pipefail
out=""
prev=""
for arg in "$@"; do
  [[ "$prev" == "-o" ]] && out="$arg"
  prev="$arg"
done
log="${out:-nvcc}.ptxas.log"
output=$("$@" 2>&1)
status=$?
# ptxas -v prints "ptxas info    : ..." lines and an indented line of
# "N bytes stack frame, N bytes spill stores, N bytes spill loads".
printf '%s\n' "$output" | grep -E '^ptxas info|bytes stack frame' > "$log"
printf '%s\n' "$output" | grep -vE '^ptxas info|bytes stack frame|^$' >&2
exit $status
