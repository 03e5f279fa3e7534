//===- AppendixATest.cpp - The paper's worked roofline numbers ------------===//
#include "helix/Planner/AppendixA.h"

#include <gtest/gtest.h>

using namespace helix::planner;

namespace {

// Figure 1 of the paper: dense model, B=8, Q=128, K=8, Hsz=128, F=65536,
// FP4 (b = 0.5), 8 TB/s, S = 1M tokens.
AppendixAModel figureOne() {
  AppendixAModel m;
  m.batch = 8;
  m.queryHeads = 128;
  m.kvHeads = 8;
  m.headDim = 128;
  m.ffn = 65536;
  m.context = 1 << 20;
  m.bytesPerElement = 0.5;
  m.bandwidth = 8e12;
  return m;
}

TEST(AppendixA, TensorParallelEightMatchesPaper) {
  // TPA=8, KVP=1, TPF=8: 134 us of KV and 30 us of weights per layer.
  AppendixAModel m = figureOne();
  EXPECT_NEAR(appendixAKvSeconds(m, 8, 1) * 1e6, 134.2, 0.1);
  EXPECT_NEAR(appendixAWeightSeconds(m, 8, 8) * 1e6, 29.6, 0.1);
}

TEST(AppendixA, HelixSixtyFourMatchesPaper) {
  // TPA=8, KVP=8, TPF=64: 16.8 us and 7.6 us.
  AppendixAModel m = figureOne();
  EXPECT_NEAR(appendixAKvSeconds(m, 8, 8) * 1e6, 16.8, 0.05);
  EXPECT_NEAR(appendixAWeightSeconds(m, 8, 64) * 1e6, 7.6, 0.05);
}

TEST(AppendixA, KvIsDuplicatedBeyondKvHeads) {
  // ceil(K/TPA) stays 1 once TPA > K: per-GPU KV reads stop shrinking.
  AppendixAModel m = figureOne();
  EXPECT_DOUBLE_EQ(appendixAKvSeconds(m, 16, 1), appendixAKvSeconds(m, 8, 1));
  EXPECT_DOUBLE_EQ(appendixAKvSeconds(m, 4, 1),
                   2 * appendixAKvSeconds(m, 8, 1));
}

} // namespace
