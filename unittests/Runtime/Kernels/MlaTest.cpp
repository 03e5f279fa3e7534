//===- MlaTest.cpp - Absorbed MLA attention against the naive form --------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

struct MlaCase {
  int64_t heads = 4, nope = 16, ropeDim = 8, vDim = 12, rank = 32;
  std::vector<int64_t> length;
  std::vector<float> q, kvB;
  std::vector<std::vector<float>> latent; // [len, rank + ropeDim]
  float scale = 0.15f;

  MlaCase(std::vector<int64_t> lengths, uint32_t seed)
      : length(std::move(lengths)) {
    q = randomVector(batch() * heads * (nope + ropeDim), seed, -2.0f, 2.0f);
    kvB = randomVector(heads * (nope + vDim) * rank, seed + 1, -0.5f, 0.5f);
    for (int64_t b = 0; b < batch(); ++b)
      latent.push_back(
          randomVector(length[b] * (rank + ropeDim), seed + 10 + b));
  }
  int64_t batch() const { return static_cast<int64_t>(length.size()); }
  float w(int64_t h, int64_t row, int64_t col) const {
    return kvB[(h * (nope + vDim) + row) * rank + col];
  }

  /// Kernel over tokens [begin, end): [B, heads, rank + 1].
  std::vector<float> run(int64_t begin = 0, int64_t end = -1) const {
    std::vector<const float *> lp;
    std::vector<int64_t> len;
    for (int64_t b = 0; b < batch(); ++b) {
      const int64_t e = end < 0 ? length[b] : std::min(end, length[b]);
      const int64_t s = std::min(begin, e);
      lp.push_back(latent[b].data() + s * (rank + ropeDim));
      len.push_back(e - s);
    }
    std::vector<float> out(batch() * heads * (rank + 1), 77.0f);
    k::mlaPartialAttention(q.data(), lp.data(), len.data(), kvB.data(),
                           batch(), heads, nope, ropeDim, vDim, rank, scale,
                           out.data());
    return out;
  }

  /// Non-absorbed attention: K = [W_UK c ; k_rope], V = W_UV c per head.
  std::vector<double> naive(int64_t b, int64_t h) const {
    const float *qh = q.data() + (b * heads + h) * (nope + ropeDim);
    std::vector<double> qv(qh, qh + nope + ropeDim);
    std::vector<std::vector<double>> ks, vs;
    for (int64_t t = 0; t < length[b]; ++t) {
      const float *c = latent[b].data() + t * (rank + ropeDim);
      std::vector<double> key(nope + ropeDim, 0.0), value(vDim, 0.0);
      for (int64_t n = 0; n < nope; ++n)
        for (int64_t r = 0; r < rank; ++r)
          key[n] += double(w(h, n, r)) * c[r];
      for (int64_t i = 0; i < ropeDim; ++i)
        key[nope + i] = c[rank + i];
      for (int64_t v = 0; v < vDim; ++v)
        for (int64_t r = 0; r < rank; ++r)
          value[v] += double(w(h, nope + v, r)) * c[r];
      ks.push_back(key);
      vs.push_back(value);
    }
    return naiveAttention(qv, ks, vs, vDim, scale);
  }

  /// Strips the LSE and applies W_UV: [B, heads * vDim].
  std::vector<float> project(const float *packed, int64_t lde) const {
    std::vector<float> in(batch() * heads * rank);
    for (int64_t bh = 0; bh < batch() * heads; ++bh)
      for (int64_t r = 0; r < rank; ++r)
        in[bh * rank + r] = packed[bh * lde + r];
    std::vector<float> out(batch() * heads * vDim);
    k::mlaValueProjection(in.data(), kvB.data(), batch(), heads, nope, vDim,
                          rank, out.data());
    return out;
  }
};

void expectMatchesNaive(const MlaCase &c, const std::vector<float> &values,
                        const float *lse, int64_t lseStride) {
  for (int64_t b = 0; b < c.batch(); ++b)
    for (int64_t h = 0; h < c.heads; ++h) {
      SCOPED_TRACE("b=" + std::to_string(b) + " h=" + std::to_string(h));
      std::vector<double> ref = c.naive(b, h);
      const double refLse = ref.back();
      ref.pop_back();
      expectClose(ref, values.data() + (b * c.heads + h) * c.vDim);
      if (!lse)
        continue;
      const float got = lse[(b * c.heads + h) * lseStride];
      if (refLse == negInf())
        EXPECT_EQ(got, -std::numeric_limits<float>::infinity());
      else
        EXPECT_NEAR(got, refLse, 1e-5 * std::max(1.0, std::fabs(refLse)));
    }
}

TEST(MlaAttention, AbsorbedEqualsNaiveExpansion) {
  MlaCase c({9, 0, 45, 33}, 21);
  std::vector<float> out = c.run();
  expectMatchesNaive(c, c.project(out.data(), c.rank + 1),
                     out.data() + c.rank, c.rank + 1);
  // The empty sequence: latent output 0 and LSE -inf.
  for (int64_t h = 0; h < c.heads; ++h) {
    const float *row = out.data() + (1 * c.heads + h) * (c.rank + 1);
    for (int64_t r = 0; r < c.rank; ++r)
      EXPECT_EQ(row[r], 0.0f);
    EXPECT_EQ(row[c.rank], -std::numeric_limits<float>::infinity());
  }
}

TEST(MlaAttention, ShardsMergeToNaive) {
  // Helix KVP: latent shards merged in latent space, then W_UV.
  MlaCase c({40, 3, 0, 64}, 31);
  std::vector<float> stacked;
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, 20}, {20, 20},
                            {20, -1}}) {
    std::vector<float> part = c.run(begin, end);
    stacked.insert(stacked.end(), part.begin(), part.end());
  }
  std::vector<float> merged(c.batch() * c.heads * c.rank);
  k::lseMerge(stacked.data(), 3, c.batch(), c.heads, c.rank, merged.data());
  expectMatchesNaive(c, c.project(merged.data(), c.rank), nullptr, 0);
}

TEST(MlaAttention, ValueProjectionMatchesDouble) {
  MlaCase c({1, 1, 1, 1, 1}, 41);
  std::vector<float> in = randomVector(c.batch() * c.heads * c.rank, 42);
  std::vector<float> out(c.batch() * c.heads * c.vDim);
  k::mlaValueProjection(in.data(), c.kvB.data(), c.batch(), c.heads, c.nope,
                        c.vDim, c.rank, out.data());
  std::vector<double> ref(out.size(), 0.0);
  for (int64_t b = 0; b < c.batch(); ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t v = 0; v < c.vDim; ++v)
        for (int64_t r = 0; r < c.rank; ++r)
          ref[(b * c.heads + h) * c.vDim + v] +=
              double(c.w(h, c.nope + v, r)) * in[(b * c.heads + h) * c.rank + r];
  expectClose(ref, out.data());
  // A block of heads: kvB offset to head 2's rows, two heads.
  std::vector<float> in2(c.batch() * 2 * c.rank), out2(c.batch() * 2 * c.vDim);
  for (int64_t b = 0; b < c.batch(); ++b)
    for (int64_t i = 0; i < 2 * c.rank; ++i)
      in2[b * 2 * c.rank + i] = in[(b * c.heads + 2) * c.rank + i];
  k::mlaValueProjection(in2.data(),
                        c.kvB.data() + 2 * (c.nope + c.vDim) * c.rank,
                        c.batch(), 2, c.nope, c.vDim, c.rank, out2.data());
  for (int64_t b = 0; b < c.batch(); ++b)
    for (int64_t i = 0; i < 2 * c.vDim; ++i)
      EXPECT_EQ(out2[b * 2 * c.vDim + i], out[(b * c.heads + 2) * c.vDim + i]);
  // An empty HOP-B micro-batch: null buffers, nothing to do (UBSan flagged
  // the offsets this used to take from null).
  k::mlaValueProjection(nullptr, c.kvB.data(), 0, c.heads, c.nope, c.vDim,
                        c.rank, nullptr);
}

} // namespace
