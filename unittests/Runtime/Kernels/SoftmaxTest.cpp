//===- SoftmaxTest.cpp - the online softmax block against doubles ---------===//
#include "KernelTestUtil.h"
#include "KernelUtil.h"

#include <cmath>
#include <limits>

using namespace helix_kernel_test;
namespace d = helix_rt::kernels::detail;

namespace {

TEST(OnlineSoftmax, TwoBlocksEqualOneSoftmaxOverBoth) {
  const float inf = std::numeric_limits<float>::infinity();
  // Rows that see none, part of, or all of each block; n not a multiple of
  // the 16 lanes.
  const int64_t rows = 5, n = 37, dv = 3;
  const int64_t seen1[rows] = {0, 1, 20, 37, 37};
  const int64_t seen2[rows] = {0, 0, 5, 17, 37};
  std::vector<float> b1 = randomVector(rows * n, 1, -8.0f, 8.0f);
  std::vector<float> b2 = randomVector(rows * n, 2, -8.0f, 8.0f);
  // Row 4's second block holds its maximum, so its first block's output
  // must be rescaled.
  b2[4 * n + 3] = 30.0f;
  std::vector<float> runMax(rows, -inf), denom(rows, 0.0f);
  std::vector<float> out(rows * dv, 0.0f);
  std::vector<float> s1 = b1, s2 = b2;
  d::onlineSoftmaxBlock(s1.data(), rows, n, seen1, runMax.data(), denom.data(),
                        out.data(), dv);
  // What attention accumulates from block 1: here, 1 per output value.
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < dv; ++c)
      out[i * dv + c] = seen1[i] > 0 ? 1.0f : 0.0f;
  const std::vector<float> max1 = runMax;
  d::onlineSoftmaxBlock(s2.data(), rows, n, seen2, runMax.data(), denom.data(),
                        out.data(), dv);
  for (int64_t i = 0; i < rows; ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    double m = -INFINITY, sum = 0.0;
    for (int64_t t = 0; t < seen1[i]; ++t)
      m = std::max<double>(m, b1[i * n + t]);
    for (int64_t t = 0; t < seen2[i]; ++t)
      m = std::max<double>(m, b2[i * n + t]);
    if (seen1[i] + seen2[i] == 0) {
      EXPECT_EQ(runMax[i], -inf);
      EXPECT_EQ(denom[i], 0.0f);
    } else {
      for (int64_t t = 0; t < seen1[i]; ++t)
        sum += std::exp(double(b1[i * n + t]) - m);
      for (int64_t t = 0; t < seen2[i]; ++t)
        sum += std::exp(double(b2[i * n + t]) - m);
      EXPECT_EQ(runMax[i], float(m));
      EXPECT_NEAR(denom[i], sum, 1e-5 * sum);
    }
    // Block 2's probabilities against the final max; unseen tokens are 0.
    for (int64_t t = 0; t < n; ++t) {
      double want = t < seen2[i] ? std::exp(double(b2[i * n + t]) - m) : 0.0;
      EXPECT_NEAR(s2[i * n + t], want, 1e-6 + 1e-6 * want) << "token " << t;
    }
    // Block 1's output, rescaled from its max to the final one.
    double factor = seen1[i] > 0 ? std::exp(double(max1[i]) - m) : 0.0;
    for (int64_t c = 0; c < dv; ++c)
      EXPECT_NEAR(out[i * dv + c], factor, 1e-6 + 1e-6 * factor);
  }
}

} // namespace
