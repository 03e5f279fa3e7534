//===- HalfPortable.cpp - bf16/f16 loops for any CPU ----------------------===//
//
// The build's baseline instruction set (SSE2 on x86-64) and integer f16
// conversion: what runs where neither AVX2 + F16C nor AVX-512F is there.
//
//===----------------------------------------------------------------------===//
#include "HalfOps.h"

#define HELIX_HALF_NS portable
#define HELIX_HALF_WIDTH 8
#define HELIX_HALF_NATIVE_F16 0
#define HELIX_HALF_TABLE kPortableHalfOps
#include "HalfKernels.inc"
