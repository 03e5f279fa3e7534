//===- Softmax.cpp - the online softmax between attention's block GEMMs ---===//
//
// In a prefill chunk, attention's score and value products run as sgemm and
// what is left between them is this: per query row, the block's max, the
// exponentials against the running max and their sum. Strict IEEE floats
// keep the compiler from vectorising the max and the sum (reductions need
// reassociation), and the runtime is built for baseline x86-64, so the
// loops keep 16 explicit lanes (one AVX-512 register, two AVX2 ones) and
// are cloned per instruction set, chosen at load time. The results do not
// depend on the clone: each lane's sum runs in the same order everywhere.
//
//===----------------------------------------------------------------------===//
#include "KernelUtil.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace helix_rt::kernels::detail {

namespace {

constexpr int kLanes = 16;

#if defined(__x86_64__) && defined(__clang__)
#define HELIX_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define HELIX_CLONES
#endif

/// The largest of row[0, n), -inf when n = 0.
/// Inlined into each clone, so that it is compiled for the clone's ISA.
__attribute__((always_inline)) inline float rowMax(const float *__restrict row,
                                                  int64_t n) {
  float lane[kLanes];
  std::fill(lane, lane + kLanes, -std::numeric_limits<float>::infinity());
  int64_t t = 0;
  for (; t + kLanes <= n; t += kLanes)
    for (int j = 0; j < kLanes; ++j)
      lane[j] = std::max(lane[j], row[t + j]);
  for (int j = 0; t < n; ++t, ++j)
    lane[j] = std::max(lane[j], row[t]);
  float m = lane[0];
  for (int j = 1; j < kLanes; ++j)
    m = std::max(m, lane[j]);
  return m;
}

/// row[t] = exp(row[t] - max) for t < n; returns their sum.
__attribute__((always_inline)) inline float
expAndSum(float *__restrict row, int64_t n, float max) {
  float lane[kLanes] = {};
  int64_t t = 0;
  for (; t + kLanes <= n; t += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      row[t + j] = expNonPositive(row[t + j] - max);
      lane[j] += row[t + j];
    }
  for (int j = 0; t < n; ++t, ++j) {
    row[t] = expNonPositive(row[t] - max);
    lane[j] += row[t];
  }
  float sum = 0.0f;
  for (int j = 0; j < kLanes; ++j)
    sum += lane[j];
  return sum;
}

} // namespace

HELIX_CLONES
void onlineSoftmaxBlock(float *scores, int64_t rows, int64_t n,
                        const int64_t *seen, float *runMax, float *denom,
                        float *out, int64_t dv) {
  for (int64_t i = 0; i < rows; ++i) {
    float *row = scores + i * n;
    const int64_t s = std::clamp<int64_t>(seen[i], 0, n);
    const float blockMax = rowMax(row, s);
    if (blockMax > runMax[i]) {
      // Rescale what was accumulated under the old max (exp(-inf) = 0 on
      // the first block, when out and denom are still 0).
      const float factor = std::exp(runMax[i] - blockMax);
      denom[i] *= factor;
      scaleBy(factor, out + i * dv, dv);
      runMax[i] = blockMax;
    }
    denom[i] += expAndSum(row, s, runMax[i]);
    std::fill(row + s, row + n, 0.0f);
  }
}

} // namespace helix_rt::kernels::detail
