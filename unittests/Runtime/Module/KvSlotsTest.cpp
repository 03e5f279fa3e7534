//===- KvSlotsTest.cpp - the runtime's KV rule equals the compiler's ------===//
#include "../../../runtime/src/module/KvSlots.h"
#include "helix/Sharding/KvOwnership.h"

#include <gtest/gtest.h>

#include <map>

namespace {

struct Rule {
  int64_t block, shards;
};

const Rule kRules[] = {{1, 1}, {16, 1}, {1, 2}, {2, 2}, {3, 4},
                       {16, 8}, {4, 8}, {16, 64}, {5, 3}};

TEST(KvSlots, MatchTheShardingAlgebra) {
  for (Rule r : kRules)
    for (int64_t p = 0; p < 700; ++p) {
      if (r.shards > 1)
        EXPECT_EQ(helix_rt::kvSlot(p, r.block, r.shards),
                  helix::sharding::kvLocalSlot(p, r.block, r.shards))
            << "block " << r.block << " shards " << r.shards << " p " << p;
      for (int64_t rank = 0; rank < r.shards; ++rank)
        EXPECT_EQ(helix_rt::kvLength(p, r.block, r.shards, rank),
                  helix::sharding::kvLocalLength(p, r.block, r.shards, rank));
      EXPECT_EQ(helix_rt::kvCapacity(p, r.block, r.shards),
                helix::sharding::kvLocalCapacity(p, r.block, r.shards));
    }
}

TEST(KvSlots, OwnersFillContiguousSlotsInOrder) {
  for (Rule r : kRules) {
    std::map<int64_t, int64_t> next; // rank -> next free slot
    for (int64_t p = 0; p < 500; ++p) {
      int64_t owner = r.shards > 1 ? (p / r.block) % r.shards : 0;
      EXPECT_EQ(helix_rt::kvSlot(p, r.block, r.shards), next[owner]++);
      // After appending p, the owner's length counts it; the others' don't
      // change.
      for (int64_t rank = 0; rank < r.shards; ++rank)
        EXPECT_EQ(helix_rt::kvLength(p + 1, r.block, r.shards, rank),
                  next[rank]);
    }
    for (auto [rank, used] : next)
      EXPECT_LE(used, helix_rt::kvCapacity(500, r.block, r.shards));
  }
}

TEST(KvSlots, UnshardedAndNoRankSeeEverything) {
  EXPECT_EQ(helix_rt::kvLength(37, 16, 8, -1), 37);
  EXPECT_EQ(helix_rt::kvLength(37, 16, 1, 0), 37);
  EXPECT_EQ(helix_rt::kvSlot(37, 16, 1), 37);
  // A prompt shorter than one block: ranks 1.. hold nothing yet.
  EXPECT_EQ(helix_rt::kvLength(3, 16, 8, 0), 3);
  for (int64_t rank = 1; rank < 8; ++rank)
    EXPECT_EQ(helix_rt::kvLength(3, 16, 8, rank), 0);
}

} // namespace
