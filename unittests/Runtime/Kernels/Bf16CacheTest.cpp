//===- Bf16CacheTest.cpp - attention over a bf16 KV cache
//------------------===//
//
// A bf16 cache holds each appended value rounded to nearest even; attention
// widens it exactly and runs the fp32 code. So attention over the bf16
// cache must equal attention over an fp32 cache holding the rounded values
// (up to float rounding), and stay within bf16's precision of the fp32
// cache of the unrounded ones. Decode queries and prefill chunks (the sgemm
// path from 32 queries per stream) are covered, on every instruction set
// this CPU has, the portable loops forced included.
//
//===----------------------------------------------------------------------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

namespace k = helix_rt::kernels;
using helix_kernel_test::bitsOf;
using helix_kernel_test::fromBits;
using helix_kernel_test::randomVector;
using k::Isa;

namespace {

/// Round to nearest even, from first principles: the two neighbouring bf16
/// values and the distance to each.
uint16_t bf16Reference(float v) {
  uint32_t b = bitsOf(v);
  if (std::isnan(v))
    return uint16_t((b >> 16) | 0x40u);
  uint16_t down = uint16_t(b >> 16), up = uint16_t(down + 1);
  double lo = fromBits(uint32_t(down) << 16);
  double hi = fromBits(uint32_t(up) << 16);
  if (std::isinf(v))
    return down;
  if (std::isinf(hi)) // past the largest finite: 2^128 decides, as IEEE says
    hi = std::copysign(0x1p128, double(v));
  double dLo = std::fabs(double(v) - lo), dHi = std::fabs(hi - double(v));
  if (dLo != dHi)
    return dLo < dHi ? down : up;
  return (down & 1u) ? up : down;
}

/// A cache as bf16 bits, as the fp32 values they hold, and unrounded.
struct Cache {
  std::vector<float> exact, rounded;
  std::vector<uint16_t> bits;
};

Cache makeCache(size_t n, uint32_t seed) {
  Cache c;
  c.exact = randomVector(n, seed);
  c.bits.resize(n);
  k::toBf16(c.exact.data(), int64_t(n), c.bits.data());
  for (uint16_t h : c.bits)
    c.rounded.push_back(fromBits(uint32_t(h) << 16));
  return c;
}

/// Equal up to float rounding where `tol` is small, within it relative to
/// the row's largest magnitude otherwise; -inf LSEs (empty slices) equal.
void expectRowsNear(const std::vector<float> &want,
                    const std::vector<float> &got, double tol) {
  ASSERT_EQ(want.size(), got.size());
  double scale = 0.0;
  for (float v : want)
    if (std::isfinite(v))
      scale = std::max(scale, double(std::fabs(v)));
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isinf(want[i])) {
      EXPECT_EQ(want[i], got[i]) << i;
      continue;
    }
    ASSERT_FALSE(std::isnan(got[i])) << i;
    EXPECT_NEAR(want[i], got[i], tol * std::max(1.0, scale)) << i;
  }
}

class Bf16Cache : public ::testing::TestWithParam<Isa> {
protected:
  void SetUp() override {
    previous = k::activeIsa();
    if (!k::setIsa(GetParam()))
      GTEST_SKIP() << k::isaName(GetParam()) << " is not supported on this CPU";
  }
  void TearDown() override { k::setIsa(previous); }

  Isa previous = Isa::Portable;
};

TEST_P(Bf16Cache, ToBf16RoundsToNearestEven) {
  std::vector<float> v = randomVector(1000, 1, -3.0f, 3.0f);
  // Ties (both parities), the largest finite (rounds to infinity), infinities,
  // subnormals, signed zeros and NaNs whose payload sits in the low half.
  for (uint32_t b :
       {0x3f808000u, 0x3f818000u, 0xbf808000u, 0x7f7fffffu, 0x7f800000u,
        0xff800000u, 0x00000001u, 0x00018000u, 0x80000000u, 0x00000000u,
        0x7f800001u, 0xffc00001u, 0x7fc00000u, 0x3f80ffffu, 0x3f807fffu})
    v.push_back(fromBits(b));
  // Offset by one: the vector body and the scalar tail.
  std::vector<uint16_t> got(v.size());
  k::toBf16(v.data() + 1, int64_t(v.size()) - 1, got.data());
  for (size_t i = 1; i < v.size(); ++i)
    ASSERT_EQ(got[i - 1], bf16Reference(v[i]))
        << "bits 0x" << std::hex << bitsOf(v[i]);
  // Exact for values that already are bf16.
  std::vector<float> back(got.size());
  for (size_t i = 0; i < got.size(); ++i)
    back[i] = fromBits(uint32_t(got[i]) << 16);
  std::vector<uint16_t> again(back.size());
  k::toBf16(back.data(), int64_t(back.size()), again.data());
  EXPECT_EQ(got, again);
}

// Decode (a GQA group per stream, 1..4 queries) and prefill chunks (rows x
// group >= 32 queries: the sgemm path), over sequences of different rows,
// lengths within and across the 32- and 256-token blocks, and an empty one.
TEST_P(Bf16Cache, GqaAttentionMatchesFp32Cache) {
  const int64_t heads = 8, kvHeads = 2, headDim = 24, tokens = 600;
  const int64_t width = kvHeads * headDim;
  Cache key = makeCache(3 * tokens * width, 2);
  Cache value = makeCache(3 * tokens * width, 3);
  for (int64_t rows : {3, 20}) {
    SCOPED_TRACE("rows=" + std::to_string(rows));
    std::vector<float> q = randomVector(rows * heads * headDim, 4, -2.0f, 2.0f);
    std::vector<const float *> kx(rows), vx(rows), kr(rows), vr(rows);
    std::vector<const uint16_t *> kh(rows), vh(rows);
    std::vector<int64_t> length(rows);
    for (int64_t b = 0; b < rows; ++b) {
      // 3 rows: three sequences. 20: two chunks of 10 rows (40 queries per
      // stream) and the empty row.
      int64_t seq = rows == 3 ? b : b < rows / 2 ? 0 : 1;
      int64_t at = seq * tokens * width;
      kx[b] = key.exact.data() + at;
      vx[b] = value.exact.data() + at;
      kr[b] = key.rounded.data() + at;
      vr[b] = value.rounded.data() + at;
      kh[b] = key.bits.data() + at;
      vh[b] = value.bits.data() + at;
      length[b] = 200 + 20 * b; // up to 580: across 32- and 256-token blocks
    }
    length[rows - 1] = 0;
    kx[rows - 1] = vx[rows - 1] = kr[rows - 1] = vr[rows - 1] = nullptr;
    kh[rows - 1] = vh[rows - 1] = nullptr; // an empty slice
    const size_t outSize = rows * heads * (headDim + 1);
    std::vector<float> exact(outSize), rounded(outSize), got(outSize);
    k::gqaPartialAttention(q.data(), kx.data(), vx.data(), length.data(), rows,
                           heads, kvHeads, headDim, 0.2f, exact.data());
    k::gqaPartialAttention(q.data(), kr.data(), vr.data(), length.data(), rows,
                           heads, kvHeads, headDim, 0.2f, rounded.data());
    k::gqaPartialAttention(q.data(), kh.data(), vh.data(), length.data(), rows,
                           heads, kvHeads, headDim, 0.2f, got.data());
    expectRowsNear(rounded, got, 1e-6);
    expectRowsNear(exact, got, 1e-2); // bf16 keeps 8 significant bits
  }
}

TEST_P(Bf16Cache, MlaAttentionMatchesFp32Cache) {
  const int64_t heads = 4, nope = 8, ropeDim = 4, vDim = 6, rank = 20,
                tokens = 300;
  const int64_t width = rank + ropeDim;
  Cache latent = makeCache(2 * tokens * width, 5);
  std::vector<float> kvB = randomVector(heads * (nope + vDim) * rank, 6);
  // 2 rows: decode (4 heads per stream); 10 rows of one sequence: 40
  // queries, the sgemm path.
  for (int64_t rows : {2, 10}) {
    SCOPED_TRACE("rows=" + std::to_string(rows));
    std::vector<float> q = randomVector(rows * heads * (nope + ropeDim), 7);
    std::vector<const float *> lx(rows), lr(rows);
    std::vector<const uint16_t *> lh(rows);
    std::vector<int64_t> length(rows);
    for (int64_t b = 0; b < rows; ++b) {
      int64_t at = (rows == 2 ? b : 0) * tokens * width;
      lx[b] = latent.exact.data() + at;
      lr[b] = latent.rounded.data() + at;
      lh[b] = latent.bits.data() + at;
      length[b] = 31 + 27 * b;
    }
    const size_t outSize = rows * heads * (rank + 1);
    std::vector<float> exact(outSize), rounded(outSize), got(outSize);
    k::mlaPartialAttention(q.data(), lx.data(), length.data(), kvB.data(), rows,
                           heads, nope, ropeDim, vDim, rank, 0.3f,
                           exact.data());
    k::mlaPartialAttention(q.data(), lr.data(), length.data(), kvB.data(), rows,
                           heads, nope, ropeDim, vDim, rank, 0.3f,
                           rounded.data());
    k::mlaPartialAttention(q.data(), lh.data(), length.data(), kvB.data(), rows,
                           heads, nope, ropeDim, vDim, rank, 0.3f, got.data());
    expectRowsNear(rounded, got, 1e-6);
    expectRowsNear(exact, got, 1e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Isas, Bf16Cache, ::testing::Values(Isa::Portable, Isa::Avx2, Isa::Avx512),
    [](const auto &info) { return std::string(k::isaName(info.param)); });

} // namespace
