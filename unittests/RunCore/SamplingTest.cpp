//===- SamplingTest.cpp - temperature, top-k, top-p ------------------------===//
#include "RunCore/Sampling.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

using namespace helix::run;

namespace {

const std::vector<float> kLogits = {0.5f, 2.0f, 1.0f, 2.0f, -1.0f, 0.0f};

Sampling sampling(double t, double p = 1, int64_t k = 0, uint64_t seed = 0) {
  Sampling s;
  s.temperature = t;
  s.topP = p;
  s.topK = k;
  s.seed = seed;
  return s;
}

TEST(Sampling, ChecksItsValues) {
  EXPECT_EQ(checkSampling(sampling(0)), "");
  EXPECT_NE(checkSampling(sampling(-0.1)), "");
  EXPECT_NE(checkSampling(sampling(1, 0)), "");
  EXPECT_NE(checkSampling(sampling(1, 1.01)), "");
  EXPECT_NE(checkSampling(sampling(1, 1, -1)), "");
}

TEST(Sampling, TopKOneIsTheArgmaxWithTiesToTheLowerId) {
  for (int64_t index = 0; index < 50; ++index)
    EXPECT_EQ(sampleToken(kLogits.data(), 6, sampling(1, 1, 1, 7), 0, index), 1);
}

TEST(Sampling, SmallTopPKeepsOnlyTheBest) {
  for (int64_t index = 0; index < 50; ++index)
    EXPECT_EQ(sampleToken(kLogits.data(), 6, sampling(1, 0.01, 0, 3), 2, index), 1);
}

TEST(Sampling, SameSeedSequenceAndIndexSameToken) {
  Sampling s = sampling(1.5, 0.9, 4, 42);
  for (int64_t index = 0; index < 20; ++index)
    EXPECT_EQ(sampleToken(kLogits.data(), 6, s, 3, index),
              sampleToken(kLogits.data(), 6, s, 3, index));
}

TEST(Sampling, DrawsFollowTheDistribution) {
  // T = 1 over two tokens with logits 0 and log(3): 1:3.
  std::vector<float> logits = {0.0f, 1.0986123f};
  std::map<int64_t, int> counts;
  for (int64_t index = 0; index < 4000; ++index)
    ++counts[sampleToken(logits.data(), 2, sampling(1, 1, 0, 9), 0, index)];
  EXPECT_NEAR(counts[1] / 4000.0, 0.75, 0.03);
}

TEST(Sampling, TopKLimitsTheCandidates) {
  for (int64_t index = 0; index < 200; ++index) {
    int64_t id = sampleToken(kLogits.data(), 6, sampling(5, 1, 3, 1), 0, index);
    EXPECT_TRUE(id == 1 || id == 3 || id == 2) << id;
  }
}

} // namespace
