//===- HalfAvx512.cpp - bf16/f16 loops for AVX-512F (16 lanes) ------------===//
#include "HalfOps.h"

#if defined(__x86_64__)
#define HELIX_HALF_NS avx512
#define HELIX_HALF_WIDTH 16
#define HELIX_HALF_NATIVE_F16 1
#define HELIX_HALF_TABLE kAvx512HalfOps
#define HELIX_HALF_TARGET "avx512f,avx2,fma,f16c"
#include "HalfKernels.inc"
#endif
