//===- KvRuleTest.cpp - staggered owner, slot, length and inverse ---------===//
//
// The one statement of the KV rule (helix_rt/abi.h) that the runtime, its
// CUDA kernels and the compiler share.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/abi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using namespace helix_rt::abi;

namespace {

TEST(KvRule, PaperExampleBlocksOf16OverKvp8) {
  // Block b of 16 tokens goes to rank b % 8; rank 0 holds 0..15, 128..143.
  EXPECT_EQ(kvOwner(0, 16, 8), 0);
  EXPECT_EQ(kvOwner(15, 16, 8), 0);
  EXPECT_EQ(kvOwner(16, 16, 8), 1);
  EXPECT_EQ(kvOwner(127, 16, 8), 7);
  EXPECT_EQ(kvOwner(128, 16, 8), 0);
  EXPECT_EQ(kvOwner(130, 16, 8), 0);
  EXPECT_EQ(kvOwner(1000000, 16, 8), (1000000 / 16) % 8);

  EXPECT_EQ(kvSlot(0, 16, 8), 0);
  EXPECT_EQ(kvSlot(15, 16, 8), 15);
  EXPECT_EQ(kvSlot(16, 16, 8), 0);
  EXPECT_EQ(kvSlot(127, 16, 8), 15);
  EXPECT_EQ(kvSlot(128, 16, 8), 16);
  EXPECT_EQ(kvSlot(130, 16, 8), 18);
  EXPECT_EQ(kvSlot(300, 16, 8), 44); // round 2, block 18 (rank 2), +12

  EXPECT_EQ(kvPosition(18, 16, 8, 0), 130);
  EXPECT_EQ(kvPosition(44, 16, 8, 2), 300);
  EXPECT_EQ(kvPosition(0, 16, 8, 7), 112);

  // 300 tokens: two full rounds (32 each) plus 44 tokens: rank 0 gets 16,
  // rank 1 gets 16, rank 2 gets 12, the rest nothing.
  const int64_t lengths[] = {48, 48, 44, 32, 32, 32, 32, 32};
  for (int64_t rank = 0; rank < 8; ++rank)
    EXPECT_EQ(kvLength(300, 16, 8, rank), lengths[rank]) << rank;
}

TEST(KvRule, ShortPromptLeavesLaterRanksEmpty) {
  for (int64_t length = 0; length <= 16; ++length) {
    EXPECT_EQ(kvLength(length, 16, 8, 0), length);
    for (int64_t rank = 1; rank < 8; ++rank)
      EXPECT_EQ(kvLength(length, 16, 8, rank), 0);
  }
  EXPECT_EQ(kvLength(17, 16, 8, 1), 1);
}

TEST(KvRule, Capacity) {
  EXPECT_EQ(kvCapacity(0, 16, 8), 0);
  EXPECT_EQ(kvCapacity(1, 16, 8), 1);
  EXPECT_EQ(kvCapacity(128, 16, 8), 16);
  EXPECT_EQ(kvCapacity(129, 16, 8), 17);
  EXPECT_EQ(kvCapacity(1 << 20, 16, 64), (1 << 20) / 64);
  EXPECT_EQ(kvCapacity(1 << 20, 32, 8), (1 << 20) / 8);
}

struct Params {
  int64_t kvBlock, kvp;
};

class KvRuleProperty : public ::testing::TestWithParam<Params> {};

// Walks every position of a sequence that crosses many rounds and checks that
// each rank's slots are exactly 0..len-1 in position order, that the inverse
// holds, and that lengths add up at every prefix.
TEST_P(KvRuleProperty, SlotsAreContiguousAndInvertible) {
  const auto [kvBlock, kvp] = GetParam();
  const int64_t total = kvBlock * kvp * 7 + kvBlock * 2 + 3;
  std::vector<int64_t> nextSlot(kvp, 0);
  for (int64_t position = 0; position < total; ++position) {
    int64_t owner = kvOwner(position, kvBlock, kvp);
    ASSERT_GE(owner, 0);
    ASSERT_LT(owner, kvp);
    int64_t slot = kvSlot(position, kvBlock, kvp);
    ASSERT_EQ(slot, nextSlot[owner]) << "position " << position;
    ++nextSlot[owner];
    ASSERT_EQ(kvPosition(slot, kvBlock, kvp, owner), position);

    // After appending `position`, the prefix [0, position] has these lengths.
    int64_t sum = 0, maxLength = 0;
    for (int64_t rank = 0; rank < kvp; ++rank) {
      int64_t length = kvLength(position + 1, kvBlock, kvp, rank);
      ASSERT_EQ(length, nextSlot[rank]) << "rank " << rank;
      sum += length;
      maxLength = std::max(maxLength, length);
    }
    ASSERT_EQ(sum, position + 1);
    ASSERT_EQ(kvCapacity(position + 1, kvBlock, kvp), maxLength);
    // Balanced within one block.
    ASSERT_LE(maxLength - kvLength(position + 1, kvBlock, kvp, kvp - 1),
              kvBlock);
  }
}

TEST(KvRule, UnshardedAndNoRankSeeEverything) {
  EXPECT_EQ(kvLength(37, 16, 8, -1), 37);
  EXPECT_EQ(kvLength(37, 16, 1, 0), 37);
  EXPECT_EQ(kvSlot(37, 16, 1), 37);
  // A prompt shorter than one block sits on KVP rank 0 only.
  EXPECT_EQ(kvLength(3, 16, 8, 0), 3);
  for (int64_t rank = 1; rank < 8; ++rank)
    EXPECT_EQ(kvLength(3, 16, 8, rank), 0);
}

INSTANTIATE_TEST_SUITE_P(Layouts, KvRuleProperty,
                         ::testing::Values(Params{16, 8}, Params{16, 64},
                                           Params{32, 8}, Params{1, 1},
                                           Params{1, 5}, Params{7, 3},
                                           Params{16, 1}));

} // namespace
