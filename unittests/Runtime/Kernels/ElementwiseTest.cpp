//===- ElementwiseTest.cpp - embed, rmsNorm, add, argmax, sumShards -------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

TEST(Kernels, EmbedGathersRows) {
  const int64_t vocab = 7, hidden = 5;
  std::vector<float> table = randomVector(vocab * hidden, 1);
  const int64_t tokens[] = {3, 0, 6, 3};
  std::vector<float> out(4 * hidden);
  k::embed(table.data(), hidden, tokens, 4, out.data());
  for (int64_t b = 0; b < 4; ++b)
    for (int64_t i = 0; i < hidden; ++i)
      EXPECT_EQ(out[b * hidden + i], table[tokens[b] * hidden + i]);
}

TEST(Kernels, RmsNormMatchesDouble) {
  for (int64_t n : {1, 7, 64, 1029}) {
    const int64_t batch = 3;
    const float eps = 1e-6f;
    std::vector<float> x = randomVector(batch * n, 2, -3.0f, 3.0f);
    std::vector<float> w = randomVector(n, 3, 0.5f, 1.5f);
    std::vector<float> out(batch * n);
    k::rmsNorm(x.data(), w.data(), batch, n, eps, out.data());
    for (int64_t b = 0; b < batch; ++b) {
      double ss = 0.0;
      for (int64_t i = 0; i < n; ++i)
        ss += double(x[b * n + i]) * x[b * n + i];
      const double inv = 1.0 / std::sqrt(ss / n + eps);
      std::vector<double> ref(n);
      for (int64_t i = 0; i < n; ++i)
        ref[i] = x[b * n + i] * inv * w[i];
      expectClose(ref, out.data() + b * n);
    }
    // In place gives the same values.
    std::vector<float> inPlace = x;
    k::rmsNorm(inPlace.data(), w.data(), batch, n, eps, inPlace.data());
    EXPECT_EQ(inPlace, out);
  }
}

TEST(Kernels, AddIsElementwise) {
  std::vector<float> a = randomVector(37, 4), b = randomVector(37, 5);
  std::vector<float> out(37);
  k::add(a.data(), b.data(), 37, out.data());
  for (int i = 0; i < 37; ++i)
    EXPECT_EQ(out[i], a[i] + b[i]);
}

TEST(Kernels, ArgmaxTiesGoToLowestIndex) {
  const float logits[] = {1.0f, 3.0f, 3.0f, -2.0f,   // tie at 1 and 2
                          -5.0f, -4.0f, -4.0f, -4.5f, // negatives
                          0.0f, 0.0f, 0.0f, 0.0f,     // all equal
                          -1.0f, 0.0f, 2.0f, 2.5f};   // last
  int64_t out[4];
  k::argmax(logits, 4, 4, out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 1);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[3], 3);
}

TEST(Kernels, ArgmaxMarksNaNRows) {
  const float nan = std::nanf("");
  const float logits[] = {1.0f, nan, 3.0f,   // NaN beside a maximum
                          nan, nan, nan,     // all NaN
                          -1.0f, 2.0f, 0.5f}; // finite
  int64_t out[3];
  k::argmax(logits, 3, 3, out);
  EXPECT_EQ(out[0], -1);
  EXPECT_EQ(out[1], -1);
  EXPECT_EQ(out[2], 1);
}

TEST(Kernels, SumShardsAddsLeadingDimension) {
  const int64_t shards = 5, batch = 3, n = 11;
  std::vector<float> in = randomVector(shards * batch * n, 6);
  std::vector<float> out(batch * n);
  k::sumShards(in.data(), shards, batch, n, out.data());
  std::vector<double> ref(batch * n, 0.0);
  for (int64_t s = 0; s < shards; ++s)
    for (int64_t i = 0; i < batch * n; ++i)
      ref[i] += in[s * batch * n + i];
  expectClose(ref, out.data());
  k::sumShards(in.data(), 1, batch, n, out.data());
  for (int64_t i = 0; i < batch * n; ++i)
    EXPECT_EQ(out[i], in[i]);
}

} // namespace
