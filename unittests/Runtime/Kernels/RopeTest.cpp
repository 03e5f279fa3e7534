//===- RopeTest.cpp - Rotary frequencies (default/llama3/YaRN) and rope ---===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

const double kPi = 3.14159265358979323846;

std::vector<double> frequencies(const k::RopeParams &p, int64_t rd,
                                double *factor = nullptr) {
  std::vector<double> f(rd / 2);
  double af = -1.0;
  k::ropeFrequencies(p, rd, f.data(), &af);
  if (factor)
    *factor = af;
  return f;
}

k::RopeParams llama31() {
  k::RopeParams p;
  p.theta = 500000.0;
  p.scaling = k::RopeScaling::Llama3;
  p.factor = 8.0;
  p.lowFreqFactor = 1.0;
  p.highFreqFactor = 4.0;
  p.originalMaxPosition = 8192;
  return p;
}

k::RopeParams yarn(double mscale, double mscaleAllDim) {
  k::RopeParams p;
  p.theta = 10000.0;
  p.scaling = k::RopeScaling::Yarn;
  p.factor = 40.0;
  p.betaFast = 32.0;
  p.betaSlow = 1.0;
  p.originalMaxPosition = 4096;
  p.mscale = mscale;
  p.mscaleAllDim = mscaleAllDim;
  return p;
}

TEST(Rope, DefaultFrequencies) {
  k::RopeParams p;
  p.theta = 10000.0;
  double af = 0.0;
  std::vector<double> f = frequencies(p, 64, &af);
  EXPECT_EQ(af, 1.0);
  for (int i = 0; i < 32; ++i)
    EXPECT_NEAR(f[i], 1.0 / std::pow(10000.0, 2.0 * i / 64), 1e-15);
}

TEST(Rope, Llama3BandsMatchHandComputedValues) {
  // Llama 3.1: wavelen = 2 pi 500000^(i/64); high band (wavelen < 8192/4)
  // for i <= 28, low band (wavelen > 8192) for i >= 35, medium in between.
  double af = 0.0;
  std::vector<double> f = frequencies(llama31(), 128, &af);
  EXPECT_EQ(af, 1.0);
  // High band, unchanged: 500000^0 and 500000^(-28/64).
  EXPECT_DOUBLE_EQ(f[0], 1.0);
  EXPECT_NEAR(f[28], 0.0032114459947525913, 1e-17);
  // Medium band: inv = 500000^(-30/64) = 0.0021311195369119653, smooth =
  // (8192 / (2 pi / inv) - 1) / 3 = 0.5928492950029659, value =
  // (1 - smooth) inv / 8 + smooth inv.
  EXPECT_NEAR(f[30], 0.0013718935677611381, 1e-16);
  // i = 32: inv = 1/sqrt(500000), smooth = 0.28128260516325104.
  EXPECT_NEAR(f[32], 0.0005248461609929547, 1e-16);
  // Low band, divided by 8: 500000^(-40/64) / 8.
  EXPECT_NEAR(f[40], 3.428102195952591e-05, 1e-19);
  EXPECT_NEAR(f[63], 3.068925988914511e-07, 1e-21);
  // Every entry against a transcription of _compute_llama3_parameters.
  for (int i = 0; i < 64; ++i) {
    const double inv = 1.0 / std::pow(500000.0, 2.0 * i / 128);
    const double wavelen = 2 * kPi / inv;
    double expect = wavelen > 8192.0 ? inv / 8 : inv;
    if (!(wavelen < 2048.0) && !(wavelen > 8192.0)) {
      const double smooth = (8192.0 / wavelen - 1.0) / 3.0;
      expect = (1 - smooth) * expect / 8 + smooth * expect;
    }
    EXPECT_NEAR(f[i], expect, 1e-12 * expect) << i;
  }
}

TEST(Rope, YarnCorrectionRangeAndFrequencies) {
  // find_correction_dim(32) = 10.47 -> low = 10; find_correction_dim(1) =
  // 22.51 -> high = 23; the ramp is (i - 10) / 13 over i < 32.
  std::vector<double> f = frequencies(yarn(1.0, 1.0), 64);
  auto pos = [](int i) { return std::pow(10000.0, 2.0 * i / 64); };
  // i <= low: pure extrapolation (the original frequency).
  EXPECT_DOUBLE_EQ(f[0], 1.0);
  EXPECT_NEAR(f[10], 0.056234132519034905, 1e-16);
  EXPECT_NEAR(f[10], 1.0 / pos(10), 1e-16);
  // Inside the ramp: i = 11 mixes with weight 1/13, i = 15 with 5/13.
  EXPECT_NEAR(f[11], 0.03900692656714386, 1e-16);
  EXPECT_NEAR(f[15], 0.008334508951020777, 1e-17);
  EXPECT_NEAR(f[22], 0.0001778279410038922, 1e-18);
  // i >= high: pure interpolation (frequency / factor).
  EXPECT_NEAR(f[23], 3.33380358040831e-05, 1e-19);
  EXPECT_NEAR(f[31], 1.0 / (40.0 * pos(31)), 1e-20);
  for (int i = 0; i < 32; ++i) {
    const double ramp = std::min(1.0, std::max(0.0, (i - 10.0) / 13.0));
    const double expect =
        1.0 / (40.0 * pos(i)) * ramp + 1.0 / pos(i) * (1.0 - ramp);
    EXPECT_NEAR(f[i], expect, 1e-12 * expect) << i;
  }
}

TEST(Rope, YarnAttentionFactor) {
  double af = 0.0;
  frequencies(yarn(1.0, 1.0), 64, &af); // DeepSeek-V3: mscale = all_dim
  EXPECT_DOUBLE_EQ(af, 1.0);
  frequencies(yarn(1.0, 0.0), 64, &af); // get_mscale(40)
  EXPECT_DOUBLE_EQ(af, 0.1 * std::log(40.0) + 1.0);
  frequencies(yarn(0.707, 0.0), 64, &af); // mscale alone is ignored
  EXPECT_DOUBLE_EQ(af, 0.1 * std::log(40.0) + 1.0);
  frequencies(yarn(2.0, 1.0), 64, &af);
  EXPECT_DOUBLE_EQ(af, (0.2 * std::log(40.0) + 1) / (0.1 * std::log(40.0) + 1));
}

/// Rope in double from the kernel's own frequencies (checked above).
std::vector<double> naiveRope(const std::vector<float> &x,
                              const std::vector<int64_t> &pos, int64_t heads,
                              int64_t headDim, int64_t rd,
                              const k::RopeParams &p) {
  double af = 0.0;
  std::vector<double> f = frequencies(p, rd, &af);
  std::vector<double> out(x.begin(), x.end());
  const int64_t half = rd / 2, pass = headDim - rd;
  for (size_t b = 0; b < pos.size(); ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const size_t base = (b * heads + h) * headDim + pass;
      for (int64_t j = 0; j < half; ++j) {
        const double c = std::cos(pos[b] * f[j]) * af;
        const double s = std::sin(pos[b] * f[j]) * af;
        const size_t i0 = base + (p.interleaved ? 2 * j : j);
        const size_t i1 = base + (p.interleaved ? 2 * j + 1 : j + half);
        out[i0] = x[i0] * c - x[i1] * s;
        out[i1] = x[i1] * c + x[i0] * s;
      }
    }
  return out;
}

TEST(Rope, MatchesDoubleWithPassThroughChannels) {
  const int64_t batch = 3, heads = 4, headDim = 24, rd = 16;
  const std::vector<int64_t> pos = {0, 17, 130000};
  std::vector<float> x = randomVector(batch * heads * headDim, 50);
  for (bool interleaved : {false, true})
    for (k::RopeParams p : {k::RopeParams(), llama31(), yarn(1.0, 0.0)}) {
      p.interleaved = interleaved;
      std::vector<float> out(x.size());
      k::rope(x.data(), pos.data(), batch, heads, headDim, rd, p, out.data());
      expectClose(naiveRope(x, pos, heads, headDim, rd, p), out.data());
      for (int64_t bh = 0; bh < batch * heads; ++bh)
        for (int64_t i = 0; i < headDim - rd; ++i) // copied exactly
          EXPECT_EQ(out[bh * headDim + i], x[bh * headDim + i]);
      std::vector<float> inPlace = x;
      k::rope(inPlace.data(), pos.data(), batch, heads, headDim, rd, p,
              inPlace.data());
      EXPECT_EQ(inPlace, out);
    }
}

TEST(Rope, InterleavedEqualsHalfSplitAfterPermutation) {
  // DeepSeek's rope_interleave de-interleaves (2j, 2j+1) -> (j, j + d/2)
  // before rotate_half; rotating in place gives the same values permuted,
  // hence the same q.k.
  const int64_t rd = 32, half = rd / 2;
  const std::vector<int64_t> pos = {5, 4096};
  std::vector<float> q = randomVector(2 * rd, 60), kk = randomVector(2 * rd, 61);
  auto permute = [&](const std::vector<float> &v) {
    std::vector<float> out(v.size());
    for (size_t b = 0; b < 2; ++b)
      for (int64_t j = 0; j < half; ++j) {
        out[b * rd + j] = v[b * rd + 2 * j];
        out[b * rd + j + half] = v[b * rd + 2 * j + 1];
      }
    return out;
  };
  k::RopeParams inter = yarn(1.0, 1.0), split = yarn(1.0, 1.0);
  inter.interleaved = true;
  std::vector<float> qi(q.size()), ki(q.size()), qs(q.size()), ks(q.size());
  k::rope(q.data(), pos.data(), 2, 1, rd, rd, inter, qi.data());
  k::rope(kk.data(), pos.data(), 2, 1, rd, rd, inter, ki.data());
  std::vector<float> qp = permute(q), kp = permute(kk);
  k::rope(qp.data(), pos.data(), 2, 1, rd, rd, split, qs.data());
  k::rope(kp.data(), pos.data(), 2, 1, rd, rd, split, ks.data());
  EXPECT_EQ(permute(qi), qs);
  EXPECT_EQ(permute(ki), ks);
  for (size_t b = 0; b < 2; ++b) {
    double di = 0.0, ds = 0.0;
    for (int64_t i = 0; i < rd; ++i) {
      di += double(qi[b * rd + i]) * ki[b * rd + i];
      ds += double(qs[b * rd + i]) * ks[b * rd + i];
    }
    EXPECT_NEAR(di, ds, 1e-12);
  }
}

} // namespace
