//===- AttentionTest.cpp - GQA partial attention, LSE merge, fast exp -----===//
#include "KernelTestUtil.h"

#include <cmath>
#include "KernelUtil.h"
#include "helix_rt/kernels.h"

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

/// B sequences of cached tokens [length, kvHeads, headDim] and queries.
struct GqaCase {
  int64_t heads, kvHeads, headDim;
  std::vector<int64_t> length;
  std::vector<float> q;
  std::vector<std::vector<float>> keys, values;
  float scale;

  GqaCase(int64_t heads, int64_t kvHeads, int64_t headDim,
          std::vector<int64_t> lengths, uint32_t seed)
      : heads(heads), kvHeads(kvHeads), headDim(headDim),
        length(std::move(lengths)),
        scale(1.0f / std::sqrt(static_cast<float>(headDim))) {
    const int64_t batch = static_cast<int64_t>(length.size());
    q = randomVector(batch * heads * headDim, seed, -2.0f, 2.0f);
    for (int64_t b = 0; b < batch; ++b) {
      keys.push_back(randomVector(length[b] * kvHeads * headDim,
                                  seed + 100 + b, -2.0f, 2.0f));
      values.push_back(randomVector(length[b] * kvHeads * headDim,
                                    seed + 200 + b));
    }
  }
  int64_t batch() const { return static_cast<int64_t>(length.size()); }

  /// Runs the kernel over tokens [begin, end) of every sequence.
  std::vector<float> run(int64_t begin = 0, int64_t end = -1) const {
    std::vector<const float *> kp, vp;
    std::vector<int64_t> len;
    for (int64_t b = 0; b < batch(); ++b) {
      const int64_t e = end < 0 ? length[b] : std::min(end, length[b]);
      const int64_t s = std::min(begin, e);
      kp.push_back(keys[b].data() + s * kvHeads * headDim);
      vp.push_back(values[b].data() + s * kvHeads * headDim);
      len.push_back(e - s);
    }
    std::vector<float> out(batch() * heads * (headDim + 1), 123.0f);
    k::gqaPartialAttention(q.data(), kp.data(), vp.data(), len.data(),
                           batch(), heads, kvHeads, headDim, scale,
                           out.data());
    return out;
  }

  std::vector<double> naive(int64_t b, int64_t h) const {
    const int64_t g = h / (heads / kvHeads);
    std::vector<double> qh(q.begin() + (b * heads + h) * headDim,
                           q.begin() + (b * heads + h + 1) * headDim);
    std::vector<std::vector<double>> ks, vs;
    for (int64_t t = 0; t < length[b]; ++t) {
      const int64_t off = (t * kvHeads + g) * headDim;
      ks.emplace_back(keys[b].begin() + off, keys[b].begin() + off + headDim);
      vs.emplace_back(values[b].begin() + off,
                      values[b].begin() + off + headDim);
    }
    return naiveAttention(qh, ks, vs, headDim, scale);
  }
};

void expectMatchesNaive(const GqaCase &c, const std::vector<float> &out) {
  for (int64_t b = 0; b < c.batch(); ++b)
    for (int64_t h = 0; h < c.heads; ++h) {
      SCOPED_TRACE("b=" + std::to_string(b) + " h=" + std::to_string(h));
      expectAttentionRow(c.naive(b, h),
                         out.data() + (b * c.heads + h) * (c.headDim + 1));
    }
}

TEST(GqaAttention, MatchesDoubleForGroupSizes) {
  // Lengths cross the 32-token blocks and the 4-token inner steps.
  for (int64_t group : {1, 2, 4})
    for (int64_t headDim : {16, 20, 128}) {
      SCOPED_TRACE("group=" + std::to_string(group) +
                   " headDim=" + std::to_string(headDim));
      GqaCase c(2 * group, 2, headDim, {5, 0, 37, 70, 1}, 7 + group);
      expectMatchesNaive(c, c.run());
    }
}

TEST(GqaAttention, EmptySequenceGivesZeroAndMinusInf) {
  GqaCase c(4, 2, 8, {0, 0}, 3);
  std::vector<float> out = c.run();
  for (int64_t bh = 0; bh < 8; ++bh) {
    for (int64_t i = 0; i < 8; ++i)
      EXPECT_EQ(out[bh * 9 + i], 0.0f);
    EXPECT_EQ(out[bh * 9 + 8], -std::numeric_limits<float>::infinity());
  }
}

TEST(GqaAttention, RisingScoresRescaleEveryBlock) {
  // Keys grow along the sequence so that every block raises the max; large
  // scores also check the max-subtraction (exp would overflow without it).
  GqaCase c(2, 1, 8, {100}, 5);
  for (int64_t t = 0; t < 100; ++t)
    for (int64_t i = 0; i < 8; ++i)
      c.keys[0][t * 8 + i] = 0.5f * t * (i % 2 ? 1.0f : 0.5f);
  for (float &x : c.q)
    x = std::fabs(x) + 1.0f;
  c.scale = 2.0f;
  expectMatchesNaive(c, c.run());
}

TEST(LseMerge, ShardsMergeToFullAttention) {
  // Tokens [0, 23), an empty middle shard, and [23, L): the merge equals
  // attention over the whole sequence.
  GqaCase c(8, 2, 16, {70, 23, 0, 1, 45}, 11);
  const int64_t b = c.batch(), heads = c.heads, w = c.headDim;
  const int64_t partSize = b * heads * (w + 1);
  std::vector<float> stacked;
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, 23}, {23, 23},
                            {23, -1}}) {
    std::vector<float> part = c.run(begin, end);
    stacked.insert(stacked.end(), part.begin(), part.end());
  }
  // The empty shard's outputs must never be read: poison them.
  for (int64_t i = 0; i < b * heads; ++i)
    for (int64_t j = 0; j < w; ++j)
      stacked[partSize + i * (w + 1) + j] =
          std::numeric_limits<float>::quiet_NaN();
  std::vector<float> merged(b * heads * w);
  k::lseMerge(stacked.data(), 3, b, heads, w, merged.data());
  std::vector<float> full = c.run();
  for (int64_t s = 0; s < b; ++s)
    for (int64_t h = 0; h < heads; ++h) {
      std::vector<double> ref = c.naive(s, h);
      ref.pop_back();
      expectClose(ref, merged.data() + (s * heads + h) * w);
      for (int64_t j = 0; j < w; ++j)
        EXPECT_NEAR(merged[(s * heads + h) * w + j],
                    full[(s * heads + h) * (w + 1) + j], 1e-6);
    }
  // Sequence 2 (length 0) is empty in every shard: 0.
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < w; ++j)
      EXPECT_EQ(merged[(2 * heads + h) * w + j], 0.0f);
}

TEST(LseMerge, MatchesFormulaWithEmptyShards) {
  const int64_t shards = 4, batch = 2, heads = 3, w = 5;
  std::vector<float> in = randomVector(shards * batch * heads * (w + 1), 12);
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t s = 0; s < shards; ++s)
    for (int64_t bh = 0; bh < batch * heads; ++bh)
      in[(s * batch * heads + bh) * (w + 1) + w] =
          (s + bh) % 3 == 0 ? -inf : 20.0f * in[(s + bh) * 7 % in.size()];
  std::vector<float> out(batch * heads * w);
  k::lseMerge(in.data(), shards, batch, heads, w, out.data());
  for (int64_t bh = 0; bh < batch * heads; ++bh) {
    double g = 0.0, m = negInf();
    for (int64_t s = 0; s < shards; ++s)
      m = std::max(m, double(in[(s * batch * heads + bh) * (w + 1) + w]));
    for (int64_t s = 0; s < shards; ++s)
      g += std::exp(in[(s * batch * heads + bh) * (w + 1) + w] - m);
    const double lseG = m + std::log(g);
    std::vector<double> ref(w, 0.0);
    for (int64_t s = 0; s < shards; ++s) {
      const float *row = in.data() + (s * batch * heads + bh) * (w + 1);
      if (row[w] == -inf)
        continue;
      for (int64_t j = 0; j < w; ++j)
        ref[j] += std::exp(row[w] - lseG) * row[j];
    }
    expectClose(ref, out.data() + bh * w);
  }
}

TEST(FastExp, RelativeErrorBelowOneMillionth) {
  double worst = 0.0;
  const int steps = 2000000;
  for (int i = 0; i <= steps; ++i) {
    const float x = -87.0f * static_cast<float>(i) / steps;
    const double ref = std::exp(static_cast<double>(x));
    const double got = helix_rt::kernels::detail::expNonPositive(x);
    worst = std::max(worst, std::fabs(got - ref) / ref);
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_EQ(helix_rt::kernels::detail::expNonPositive(0.0f), 1.0f);
  // Far below the range the result is tiny, never NaN or negative.
  const float tiny = helix_rt::kernels::detail::expNonPositive(-1e30f);
  EXPECT_GE(tiny, 0.0f);
  EXPECT_LT(tiny, 1e-37f);
}

// Rows of one sequence in one call (a prefill chunk: same cache row, each
// row one token further) give exactly what each row gives alone.
TEST(Kernels, ChunkRowsEqualRowsAlone) {
  const int64_t heads = 4, kvHeads = 2, headDim = 8, tokens = 70, rows = 5;
  std::vector<float> cacheK = randomVector(tokens * kvHeads * headDim, 41);
  std::vector<float> cacheV = randomVector(tokens * kvHeads * headDim, 42);
  std::vector<float> q = randomVector(rows * heads * headDim, 43, -2.0f, 2.0f);
  std::vector<const float *> keys(rows, cacheK.data()), values(rows, cacheV.data());
  std::vector<int64_t> length = {33, 34, 35, 64, 70}; // across 32-token blocks
  const int64_t rowOut = heads * (headDim + 1);
  std::vector<float> chunk(rows * rowOut);
  k::gqaPartialAttention(q.data(), keys.data(), values.data(), length.data(),
                         rows, heads, kvHeads, headDim, 0.3f, chunk.data());
  for (int64_t b = 0; b < rows; ++b) {
    std::vector<float> alone(rowOut);
    k::gqaPartialAttention(q.data() + b * heads * headDim, &keys[b], &values[b],
                           &length[b], 1, heads, kvHeads, headDim, 0.3f,
                           alone.data());
    for (int64_t i = 0; i < rowOut; ++i)
      EXPECT_EQ(chunk[b * rowOut + i], alone[i]) << "row " << b << " " << i;
  }

  // MLA: every head of every row reads the one latent stream.
  const int64_t nope = 4, rope = 2, vDim = 4, rank = 6;
  std::vector<float> latent = randomVector(tokens * (rank + rope), 44);
  std::vector<float> kvB = randomVector(heads * (nope + vDim) * rank, 45);
  std::vector<float> mq = randomVector(rows * heads * (nope + rope), 46);
  std::vector<const float *> lat(rows, latent.data());
  const int64_t mlaOut = heads * (rank + 1);
  std::vector<float> mlaChunk(rows * mlaOut);
  k::mlaPartialAttention(mq.data(), lat.data(), length.data(), kvB.data(), rows,
                         heads, nope, rope, vDim, rank, 0.3f, mlaChunk.data());
  for (int64_t b = 0; b < rows; ++b) {
    std::vector<float> alone(mlaOut);
    k::mlaPartialAttention(mq.data() + b * heads * (nope + rope), &lat[b],
                           &length[b], kvB.data(), 1, heads, nope, rope, vDim,
                           rank, 0.3f, alone.data());
    for (int64_t i = 0; i < mlaOut; ++i)
      EXPECT_EQ(mlaChunk[b * mlaOut + i], alone[i]) << "row " << b << " " << i;
  }
}

// A long chunk (rows x heads >= 32 queries on one stream) takes the sgemm
// path; it must agree with the per-query path each row takes alone, for
// lengths inside, at and across blocks, out of order and empty.
TEST(Kernels, ManyChunkRowsMatchTheSmallPath) {
  const int64_t heads = 4, kvHeads = 2, headDim = 16, tokens = 600, rows = 20;
  std::vector<float> cacheK = randomVector(tokens * kvHeads * headDim, 51);
  std::vector<float> cacheV = randomVector(tokens * kvHeads * headDim, 52);
  std::vector<float> q = randomVector(rows * heads * headDim, 53, -2.0f, 2.0f);
  std::vector<const float *> keys(rows, cacheK.data()), values(rows, cacheV.data());
  std::vector<int64_t> length(rows);
  for (int64_t b = 0; b < rows; ++b)
    length[b] = 200 + 20 * b; // 200 .. 580: within and across blocks
  length[3] = 256;            // a block boundary of the sgemm path
  length[4] = 32;             // one of the small path
  length[7] = 1;              // out of order
  length[0] = 0;              // empty: zeros and -inf
  const int64_t rowOut = heads * (headDim + 1);
  std::vector<float> chunk(rows * rowOut);
  k::gqaPartialAttention(q.data(), keys.data(), values.data(), length.data(),
                         rows, heads, kvHeads, headDim, 0.25f, chunk.data());
  for (int64_t b = 0; b < rows; ++b) {
    std::vector<float> alone(rowOut);
    k::gqaPartialAttention(q.data() + b * heads * headDim, &keys[b], &values[b],
                           &length[b], 1, heads, kvHeads, headDim, 0.25f,
                           alone.data());
    for (int64_t i = 0; i < rowOut; ++i) {
      if (std::isinf(alone[i])) {
        EXPECT_EQ(chunk[b * rowOut + i], alone[i]) << "row " << b;
        continue;
      }
      EXPECT_NEAR(chunk[b * rowOut + i], alone[i],
                  1e-5f * std::max(1.0f, std::fabs(alone[i])))
          << "row " << b << " " << i;
    }
  }
}

} // namespace
