//===- HalfOps.h - The half-precision inner loops of one ISA ----*- C++ -*-===//
//
// Each instruction set compiles HalfKernels.inc once (HalfPortable.cpp,
// HalfAvx2.cpp, HalfAvx512.cpp) into a table of these functions; Isa.cpp
// picks the table at run time (kernels::activeIsa). Weights are bf16 or f16
// (`type` is never F32 here); activations and sums are fp32. toBf16
// narrows a bf16 KV cache's appends.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_RT_KERNELS_HALFOPS_H
#define HELIX_RT_KERNELS_HALFOPS_H

#include "helix_rt/kernels.h"

#include <cstdint>

namespace helix_rt::kernels::detail {

struct HalfOps {
  /// dst[i] = float(src[i]) for `count` values.
  void (*toFloat)(WeightType type, const uint16_t *src, int64_t count,
                  float *dst);
  /// out[b * ldo + j] = x_b . w_j for b < batch, j < n: w is [n, k], x rows
  /// have stride ldx. Each weight row is read once for up to four rows.
  void (*gemv)(WeightType type, const float *x, int64_t ldx, const uint16_t *w,
               int64_t batch, int64_t k, int64_t n, float *out, int64_t ldo);
  /// dst[i] = bf16(src[i]), nearest even (kernels::toBf16).
  void (*toBf16)(const float *src, int64_t count, uint16_t *dst);
};

extern const HalfOps kPortableHalfOps;
#if defined(__x86_64__)
extern const HalfOps kAvx2HalfOps;
extern const HalfOps kAvx512HalfOps;
#endif

/// The active instruction set's table.
const HalfOps &halfOps();

} // namespace helix_rt::kernels::detail

#endif // HELIX_RT_KERNELS_HALFOPS_H
