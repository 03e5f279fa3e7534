//===- KernelTestUtil.h - Random inputs and tolerances for kernel tests ---===//
#ifndef HELIX_UNITTESTS_RUNTIME_KERNELS_KERNELTESTUTIL_H
#define HELIX_UNITTESTS_RUNTIME_KERNELS_KERNELTESTUTIL_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace helix_kernel_test {

/// A float's bits and back.
inline uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

inline float fromBits(uint32_t b) {
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}

/// Fixed-seed uniform values in [lo, hi).
inline std::vector<float> randomVector(size_t n, uint32_t seed,
                                       float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Relative error of `got` against a double reference, measured against the
/// largest reference magnitude (dot products may cancel to ~0 elementwise).
inline double relativeError(const std::vector<double> &ref, const float *got) {
  double scale = 0.0, err = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    scale = std::max(scale, std::fabs(ref[i]));
    err = std::max(err, std::fabs(ref[i] - static_cast<double>(got[i])));
  }
  return scale == 0.0 ? err : err / scale;
}

inline void expectClose(const std::vector<double> &ref, const float *got,
                        double tol = 1e-5) {
  EXPECT_LE(relativeError(ref, got), tol);
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_FALSE(std::isnan(got[i])) << "NaN at " << i;
}

inline double negInf() { return -std::numeric_limits<double>::infinity(); }

/// Softmax attention of one query over rows of keys/values, in double:
/// returns the output (dv values) followed by the natural-log LSE.
inline std::vector<double>
naiveAttention(const std::vector<double> &q,
               const std::vector<std::vector<double>> &keys,
               const std::vector<std::vector<double>> &values, size_t dv,
               double scale) {
  std::vector<double> out(dv + 1, 0.0);
  if (keys.empty()) {
    out[dv] = negInf();
    return out;
  }
  std::vector<double> s(keys.size());
  double m = negInf();
  for (size_t t = 0; t < keys.size(); ++t) {
    double d = 0.0;
    for (size_t i = 0; i < q.size(); ++i)
      d += q[i] * keys[t][i];
    s[t] = scale * d;
    m = std::max(m, s[t]);
  }
  double sum = 0.0;
  for (double x : s)
    sum += std::exp(x - m);
  for (size_t t = 0; t < keys.size(); ++t)
    for (size_t i = 0; i < dv; ++i)
      out[i] += std::exp(s[t] - m) / sum * values[t][i];
  out[dv] = m + std::log(sum);
  return out;
}

/// Checks one packed [output..., LSE] row against a naive one.
inline void expectAttentionRow(const std::vector<double> &ref,
                               const float *got) {
  const size_t dv = ref.size() - 1;
  if (ref[dv] == negInf()) {
    for (size_t i = 0; i < dv; ++i)
      EXPECT_EQ(got[i], 0.0f);
    EXPECT_EQ(got[dv], -std::numeric_limits<float>::infinity());
    return;
  }
  expectClose(std::vector<double>(ref.begin(), ref.end() - 1), got);
  EXPECT_NEAR(got[dv], ref[dv], 1e-5 * std::max(1.0, std::fabs(ref[dv])));
}

} // namespace helix_kernel_test

#endif // HELIX_UNITTESTS_RUNTIME_KERNELS_KERNELTESTUTIL_H
