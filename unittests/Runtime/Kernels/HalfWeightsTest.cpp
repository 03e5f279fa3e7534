//===- HalfWeightsTest.cpp - bf16/f16 weights against the fp32 kernels ---===//
//
// Every kernel that reads weight matrices, given bf16 or f16 weights, must
// compute what it computes from the same values widened to fp32: the
// conversion exactly (every bit pattern), the products within float
// rounding of a different summation order. Each case runs on every
// instruction set this CPU has, the portable loops forced included.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

namespace k = helix_rt::kernels;
using helix_kernel_test::bitsOf;
using helix_kernel_test::fromBits;
using helix_kernel_test::randomVector;
using k::Isa;
using k::WeightType;

namespace {

/// bf16 (round to nearest even) or f16 (the compiler's conversion) bits.
uint16_t toHalf(float v, WeightType type) {
  if (type == WeightType::BF16) {
    uint32_t b = bitsOf(v);
    return uint16_t((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
  }
  _Float16 h = static_cast<_Float16>(v);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}

/// The value of a half, from first principles (NaNs keep their payload).
float widenReference(uint16_t h, WeightType type) {
  if (type == WeightType::BF16)
    return fromBits(uint32_t(h) << 16);
  int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  if (exponent == 0x1f)
    return fromBits(sign | 0x7f800000u | (uint32_t(mantissa) << 13));
  float magnitude = exponent == 0
                        ? std::ldexp(float(mantissa), -24)
                        : std::ldexp(float(mantissa + 1024), exponent - 25);
  return fromBits(sign | bitsOf(magnitude));
}

/// A weight as halves and as the fp32 values they hold.
struct HalfMatrix {
  std::vector<uint16_t> bits;
  std::vector<float> widened;
  WeightType type;
  k::Weights half() const { return {bits.data(), type}; }
};

HalfMatrix makeHalf(size_t n, uint32_t seed, WeightType type,
                    float scale = 1.0f) {
  HalfMatrix m{{}, {}, type};
  for (float v : randomVector(n, seed, -scale, scale)) {
    m.bits.push_back(toHalf(v, type));
    m.widened.push_back(widenReference(m.bits.back(), type));
  }
  return m;
}

/// Relative to the largest fp32-path magnitude.
void expectNear(const std::vector<float> &want, const std::vector<float> &got,
                double tol = 2e-6) {
  ASSERT_EQ(want.size(), got.size());
  std::vector<double> ref(want.begin(), want.end());
  helix_kernel_test::expectClose(ref, got.data(), tol);
}

class HalfWeights
    : public ::testing::TestWithParam<std::tuple<Isa, WeightType>> {
protected:
  void SetUp() override {
    previous = k::activeIsa();
    if (!k::setIsa(isa()))
      GTEST_SKIP() << k::isaName(isa()) << " is not supported on this CPU";
    ASSERT_EQ(k::activeIsa(), isa());
  }
  void TearDown() override { k::setIsa(previous); }
  Isa isa() const { return std::get<0>(GetParam()); }
  WeightType type() const { return std::get<1>(GetParam()); }

  Isa previous = Isa::Portable;
};

TEST_P(HalfWeights, ToFloatIsExactForEveryBitPattern) {
  std::vector<uint16_t> all(65536 + 5);
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = uint16_t(i);
  std::vector<float> got(all.size());
  // An odd start and count: the vector body and the scalar tail.
  k::toFloat({all.data() + 1, type()}, int64_t(all.size()) - 1, got.data());
  for (size_t i = 1; i < all.size(); ++i) {
    float want = widenReference(all[i], type());
    // The hardware conversion (vcvtph2ps) quiets signalling NaNs: a NaN
    // stays a NaN of the same sign, its payload may gain the quiet bit.
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got[i - 1])) << "bits 0x" << std::hex << all[i];
      ASSERT_EQ(bitsOf(got[i - 1]) | 0x00400000u, bitsOf(want) | 0x00400000u);
      continue;
    }
    ASSERT_EQ(bitsOf(got[i - 1]), bitsOf(want))
        << "bits 0x" << std::hex << all[i];
  }
}

TEST_P(HalfWeights, LinearMatchesFp32OnEveryPath) {
  // Decode rows (1..5: the 4-, 2- and 1-row dot products) and a prefill
  // chunk (sgemm over widened panels); k not a multiple of any vector.
  for (int64_t kk : {77, 256}) {
    const int64_t n = 37;
    HalfMatrix w = makeHalf(n * kk, 7, type());
    for (int64_t batch : {1, 2, 3, 5, 20}) {
      SCOPED_TRACE("k=" + std::to_string(kk) +
                   " batch=" + std::to_string(batch));
      std::vector<float> x = randomVector(batch * kk, 8, -2.0f, 2.0f);
      std::vector<float> want(batch * n), got(batch * n, -1.0f);
      k::linear(x.data(), w.widened.data(), batch, kk, n, want.data());
      k::linear(x.data(), w.half(), batch, kk, n, got.data());
      expectNear(want, got);
    }
  }
}

TEST_P(HalfWeights, EmbeddingGathersExactRows) {
  const int64_t vocab = 11, hidden = 21;
  HalfMatrix table = makeHalf(vocab * hidden, 9, type());
  const std::vector<int64_t> tokens = {3, 0, 10, 3};
  std::vector<float> want(4 * hidden), got(4 * hidden);
  k::embed(table.widened.data(), hidden, tokens.data(), 4, want.data());
  k::embed(table.half(), hidden, tokens.data(), 4, got.data());
  EXPECT_EQ(want, got);
}

TEST_P(HalfWeights, SwigluMatchesFp32) {
  const int64_t hidden = 40, width = 72;
  HalfMatrix g = makeHalf(width * hidden, 10, type());
  HalfMatrix u = makeHalf(width * hidden, 11, type());
  HalfMatrix d = makeHalf(hidden * width, 12, type());
  for (int64_t batch : {1, 3, 17}) {
    SCOPED_TRACE("batch=" + std::to_string(batch));
    std::vector<float> x = randomVector(batch * hidden, 13);
    std::vector<float> want(batch * hidden), got(batch * hidden);
    k::swiglu(x.data(), g.widened.data(), u.widened.data(), d.widened.data(),
              batch, hidden, width, want.data());
    k::swiglu(x.data(), g.half(), u.half(), d.half(), batch, hidden, width,
              got.data());
    expectNear(want, got);
  }
}

TEST_P(HalfWeights, MoeRouterAndExpertsMatchFp32) {
  const int64_t batch = 5, hidden = 24, width = 10, topK = 2, experts = 6;
  std::vector<float> x = randomVector(batch * hidden, 14, -2.0f, 2.0f);
  HalfMatrix gate = makeHalf(experts * hidden, 15, type());
  std::vector<float> bias = randomVector(experts, 16, -0.1f, 0.1f);
  std::vector<int64_t> wantIds(batch * topK), gotIds(batch * topK);
  std::vector<float> wantW(batch * topK), gotW(batch * topK);
  k::moeRoute(x.data(), gate.widened.data(), bias.data(), batch, hidden,
              experts, topK, 2, 1, true, 2.5f, wantIds.data(), wantW.data());
  k::moeRoute(x.data(), gate.half(), bias.data(), batch, hidden, experts, topK,
              2, 1, true, 2.5f, gotIds.data(), gotW.data());
  EXPECT_EQ(wantIds, gotIds);
  expectNear(wantW, gotW);

  std::vector<HalfMatrix> mats;
  for (int64_t e = 0; e < 3 * 3; ++e)
    mats.push_back(makeHalf(width * hidden, 20 + uint32_t(e), type()));
  std::vector<k::Weights> fp32[3], half[3];
  for (int64_t e = 0; e < 3; ++e)
    for (int m = 0; m < 3; ++m) {
      fp32[m].push_back(mats[e * 3 + m].widened.data());
      half[m].push_back(mats[e * 3 + m].half());
    }
  const std::vector<int64_t> ids = {2, 4, 0, 3, 5, 1, 4, 3, 2, 3};
  std::vector<float> weights = randomVector(batch * topK, 30, 0.1f, 1.0f);
  std::vector<float> want(batch * hidden), got(batch * hidden);
  k::moeExperts(x.data(), ids.data(), weights.data(), batch, hidden, topK, 2, 3,
                width, fp32[0].data(), fp32[1].data(), fp32[2].data(),
                want.data());
  k::moeExperts(x.data(), ids.data(), weights.data(), batch, hidden, topK, 2, 3,
                width, half[0].data(), half[1].data(), half[2].data(),
                got.data());
  expectNear(want, got);
}

TEST_P(HalfWeights, MlaAbsorbedProjectionsMatchFp32) {
  const int64_t batch = 3, heads = 2, nope = 8, ropeDim = 4, vDim = 6,
                rank = 20, tokens = 5;
  HalfMatrix kvB = makeHalf(heads * (nope + vDim) * rank, 31, type());
  std::vector<float> q = randomVector(batch * heads * (nope + ropeDim), 32);
  std::vector<float> cache = randomVector(tokens * (rank + ropeDim), 33);
  std::vector<const float *> latent(batch, cache.data());
  latent[2] = nullptr; // an empty shard
  const std::vector<int64_t> length = {5, 3, 0};
  std::vector<float> want(batch * heads * (rank + 1)),
      got(batch * heads * (rank + 1));
  k::mlaPartialAttention(q.data(), latent.data(), length.data(),
                         kvB.widened.data(), batch, heads, nope, ropeDim, vDim,
                         rank, 0.3f, want.data());
  k::mlaPartialAttention(q.data(), latent.data(), length.data(), kvB.half(),
                         batch, heads, nope, ropeDim, vDim, rank, 0.3f,
                         got.data());
  // The empty shard's LSE is -inf in both; compare the finite rest.
  for (int64_t h = 0; h < heads; ++h) {
    float *w = want.data() + (2 * heads + h) * (rank + 1) + rank;
    float *g = got.data() + (2 * heads + h) * (rank + 1) + rank;
    EXPECT_EQ(*w, *g);
    *w = *g = 0.0f;
  }
  expectNear(want, got);

  std::vector<float> in = randomVector(batch * heads * rank, 34);
  std::vector<float> wantV(batch * heads * vDim), gotV(batch * heads * vDim);
  k::mlaValueProjection(in.data(), kvB.widened.data(), batch, heads, nope, vDim,
                        rank, wantV.data());
  k::mlaValueProjection(in.data(), kvB.half(), batch, heads, nope, vDim, rank,
                        gotV.data());
  expectNear(wantV, gotV);
}

INSTANTIATE_TEST_SUITE_P(
    IsasAndTypes, HalfWeights,
    ::testing::Combine(::testing::Values(Isa::Portable, Isa::Avx2, Isa::Avx512),
                       ::testing::Values(WeightType::BF16, WeightType::F16)),
    [](const auto &info) {
      return std::string(k::isaName(std::get<0>(info.param))) +
             (std::get<1>(info.param) == WeightType::BF16 ? "_bf16" : "_f16");
    });

TEST(Isa, ChoiceIsTheBestSupportedAndRefusesOthers) {
  EXPECT_TRUE(k::isaSupported(Isa::Portable));
  Isa active = k::activeIsa();
  EXPECT_TRUE(k::isaSupported(active));
  // Nothing the CPU lacks can be chosen.
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    EXPECT_EQ(k::setIsa(isa), k::isaSupported(isa));
    EXPECT_EQ(k::activeIsa(), k::isaSupported(isa) ? isa : k::activeIsa());
  }
  k::setIsa(active);
}

} // namespace
