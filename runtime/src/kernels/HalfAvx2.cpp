//===- HalfAvx2.cpp - bf16/f16 loops for AVX2 + FMA + F16C ----------------===//
#include "HalfOps.h"

#if defined(__x86_64__)
#define HELIX_HALF_NS avx2
#define HELIX_HALF_WIDTH 8
#define HELIX_HALF_NATIVE_F16 1
#define HELIX_HALF_TABLE kAvx2HalfOps
#define HELIX_HALF_TARGET "avx2,fma,f16c"
#include "HalfKernels.inc"
#endif
