//===- LseMergeTest.cpp - the runtime's LSE merge against a direct softmax ===//
//
// Properties of helix_rt::kernels::lseMerge, the merge every CPU step runs
// (and the CUDA merge kernel's reference): one query over K partials equals
// one softmax over all the KV tokens, empty shards weigh 0, large scores
// neither overflow nor underflow.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>


namespace {

const float kNegInf = -std::numeric_limits<float>::infinity();

/// Merges one query's partials (`shards` outputs of `dim` and their LSEs)
/// with the kernel, which takes them packed as [shards, 1, 1, dim + 1].
void merge(const float *partialOut, const float *partialLse, int64_t shards,
           int64_t dim, float *out) {
  std::vector<float> packed(static_cast<size_t>(shards * (dim + 1)));
  for (int64_t s = 0; s < shards; ++s) {
    std::copy(partialOut + s * dim, partialOut + (s + 1) * dim,
              packed.begin() + s * (dim + 1));
    packed[s * (dim + 1) + dim] = partialLse[s];
  }
  helix_rt::kernels::lseMerge(packed.data(), shards, /*batch=*/1,
                              /*heads=*/1, dim, out);
}

/// One KVP shard's slice of the attention of one query: a score and a value
/// vector per KV token it holds (possibly none).
struct Shard {
  std::vector<double> scores;
  std::vector<std::vector<double>> values;
};

struct Attention {
  std::vector<double> out;
  double lse;
};

/// Softmax-weighted sum of the values, in double, with the max subtracted.
Attention directSoftmax(const std::vector<double> &scores,
                        const std::vector<std::vector<double>> &values,
                        int64_t dim) {
  Attention result{std::vector<double>(dim, 0.0),
                   -std::numeric_limits<double>::infinity()};
  if (scores.empty())
    return result;
  double maxScore = *std::max_element(scores.begin(), scores.end());
  double sum = 0.0;
  for (double score : scores)
    sum += std::exp(score - maxScore);
  for (size_t t = 0; t < scores.size(); ++t)
    for (int64_t d = 0; d < dim; ++d)
      result.out[d] += std::exp(scores[t] - maxScore) / sum * values[t][d];
  result.lse = maxScore + std::log(sum);
  return result;
}

/// The merge formula evaluated in double on the same fp32 inputs: isolates
/// the merge's own rounding from the rounding of the fp32 LSEs it is given.
Attention mergeInDouble(const std::vector<float> &partialOut,
                        const std::vector<float> &partialLse, int64_t dim) {
  Attention result{std::vector<double>(dim, 0.0),
                   -std::numeric_limits<double>::infinity()};
  double maxLse = result.lse;
  for (float lse : partialLse)
    maxLse = std::max(maxLse, static_cast<double>(lse));
  if (std::isinf(maxLse))
    return result;
  double sum = 0.0;
  for (float lse : partialLse)
    sum += std::exp(lse - maxLse);
  for (size_t i = 0; i < partialLse.size(); ++i)
    if (!std::isinf(partialLse[i]))
      for (int64_t d = 0; d < dim; ++d)
        result.out[d] +=
            std::exp(partialLse[i] - maxLse) / sum * partialOut[i * dim + d];
  result.lse = maxLse + std::log(sum);
  return result;
}

void expectNear(const std::vector<float> &out, const Attention &expected,
                double tolerance) {
  for (size_t d = 0; d < out.size(); ++d) {
    EXPECT_FALSE(std::isnan(out[d])) << "d = " << d;
    EXPECT_NEAR(out[d], expected.out[d],
                tolerance * std::max(1.0, std::fabs(expected.out[d])))
        << "d = " << d;
  }
}

/// Computes every shard's partial (O_i, LSE_i), rounds them to fp32 as the
/// all-to-all carries them, merges, and checks against one softmax over the
/// concatenated scores. `softmaxTolerance` covers the fp32 rounding of the
/// inputs (one ulp of an LSE near 1e4 is 1e-3); the merge itself must match
/// the double-precision merge of the same inputs to 1e-5.
void expectMergeMatchesSoftmax(const std::vector<Shard> &shards, int64_t dim,
                               double softmaxTolerance = 1e-5) {
  std::vector<float> partialOut, partialLse;
  std::vector<double> allScores;
  std::vector<std::vector<double>> allValues;
  for (const Shard &shard : shards) {
    Attention partial = directSoftmax(shard.scores, shard.values, dim);
    for (double value : partial.out)
      partialOut.push_back(static_cast<float>(value));
    partialLse.push_back(static_cast<float>(partial.lse));
    allScores.insert(allScores.end(), shard.scores.begin(), shard.scores.end());
    allValues.insert(allValues.end(), shard.values.begin(), shard.values.end());
  }

  std::vector<float> out(dim, 123.0f);
  merge(partialOut.data(), partialLse.data(),
        static_cast<int64_t>(shards.size()), dim, out.data());
  {
    SCOPED_TRACE("against the direct softmax");
    expectNear(out, directSoftmax(allScores, allValues, dim),
               softmaxTolerance);
  }
  {
    SCOPED_TRACE("against the merge in double");
    expectNear(out, mergeInDouble(partialOut, partialLse, dim), 1e-5);
  }
}

Shard randomShard(std::mt19937 &rng, int64_t tokens, int64_t dim,
                  double scoreScale, double scoreOffset = 0.0) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Shard shard;
  for (int64_t t = 0; t < tokens; ++t) {
    shard.scores.push_back(scoreOffset + scoreScale * normal(rng));
    std::vector<double> value(dim);
    for (double &v : value)
      v = normal(rng);
    shard.values.push_back(value);
  }
  return shard;
}

TEST(LseMerge, RandomShardsMatchDirectSoftmax) {
  std::mt19937 rng(20250710);
  std::uniform_int_distribution<int64_t> shardCount(1, 64), tokenCount(1, 40);
  for (int trial = 0; trial < 200; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    int64_t dim = 1 + trial % 17;
    std::vector<Shard> shards;
    for (int64_t i = shardCount(rng); i > 0; --i)
      shards.push_back(randomShard(rng, tokenCount(rng), dim, 3.0));
    expectMergeMatchesSoftmax(shards, dim);
  }
}

TEST(LseMerge, OneShardIsTheIdentity) {
  std::mt19937 rng(7);
  Shard shard = randomShard(rng, 25, 8, 2.0);
  expectMergeMatchesSoftmax({shard}, 8);

  const float partialOut[] = {0.5f, -2.0f, 3.25f};
  const float partialLse[] = {4.75f};
  float out[3];
  merge(partialOut, partialLse, 1, 3, out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], 3.25f);
}

TEST(LseMerge, AllEmptyGivesZero) {
  const float partialOut[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  const float partialLse[] = {kNegInf, kNegInf, kNegInf};
  float out[2] = {7.0f, 7.0f};
  merge(partialOut, partialLse, 3, 2, out);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.0f);
  // No shards at all behaves the same.
  out[0] = out[1] = 7.0f;
  merge(partialOut, partialLse, 0, 2, out);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.0f);
  expectMergeMatchesSoftmax({Shard(), Shard(), Shard()}, 4);
}

TEST(LseMerge, EmptyShardsGetWeightZero) {
  std::mt19937 rng(11);
  // Short prompt: only rank 0 holds KV, ranks 1..7 are empty.
  std::vector<Shard> shards(8);
  shards[0] = randomShard(rng, 5, 6, 1.0);
  expectMergeMatchesSoftmax(shards, 6);
  // Empty shards in the middle.
  shards[3] = randomShard(rng, 16, 6, 1.0);
  shards[6] = randomShard(rng, 2, 6, 1.0);
  expectMergeMatchesSoftmax(shards, 6);

  // An empty shard's O is ignored even if it holds garbage.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float partialOut[] = {1.0f, 2.0f, nan, nan};
  const float partialLse[] = {0.0f, kNegInf};
  float out[2];
  merge(partialOut, partialLse, 2, 2, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 2.0f);
}

TEST(LseMerge, LargeMagnitudesDoNotOverflow) {
  std::mt19937 rng(13);
  // Scores near +1e4 (exp overflows even in double without the max trick).
  std::vector<Shard> shards;
  for (int i = 0; i < 8; ++i)
    shards.push_back(randomShard(rng, 10, 4, 5.0, 1e4));
  expectMergeMatchesSoftmax(shards, 4, /*softmaxTolerance=*/2e-3);
  // Scores near -1e4 (exp underflows to 0 without the trick).
  shards.clear();
  for (int i = 0; i < 8; ++i)
    shards.push_back(randomShard(rng, 10, 4, 5.0, -1e4));
  expectMergeMatchesSoftmax(shards, 4, /*softmaxTolerance=*/2e-3);
  // One shard dominates by 1e4: the others' weights underflow to exactly 0.
  const float partialOut[] = {1.0f, 2.0f, 3.0f, 4.0f};
  const float partialLse[] = {1e4f, 0.0f};
  float out[2];
  merge(partialOut, partialLse, 2, 2, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 2.0f);
}

TEST(LseMerge, EqualLsesAverage) {
  const float partialOut[] = {1.0f, 3.0f, 5.0f, 7.0f};
  const float partialLse[] = {2.0f, 2.0f};
  float out[2];
  merge(partialOut, partialLse, 2, 2, out);
  EXPECT_FLOAT_EQ(out[0], 3.0f);
  EXPECT_FLOAT_EQ(out[1], 5.0f);
}

} // namespace
