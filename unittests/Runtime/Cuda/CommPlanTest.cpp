//===- CommPlanTest.cpp - NCCL groups and exchange buffer sizes -----------===//
#include "CommPlan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace helix_rt::cuda::plan;

namespace {

TEST(CommPlan, ValidatesGrids) {
  EXPECT_EQ(validateGrid({8, 8, 1, 64}), "");
  EXPECT_EQ(validateGrid({64, 1, 64, 1}), "");
  EXPECT_NE(validateGrid({8, 8, 2, 64}), "");
  EXPECT_NE(validateGrid({0, 8, 1, 0}), "");
}

// docs/sharding.md: rank = kvp_index * tpa + tpa_index; the KVP group is
// the ranks with the same tpa index, ordered by kvp index.
TEST(CommPlan, KvpGroupsOfLlama405BLayout) {
  const HelixGrid g{8, 8, 1, 64};
  EXPECT_EQ(groupMembers(g, Group::Kvp, 0),
            (std::vector<int32_t>{0, 8, 16, 24, 32, 40, 48, 56}));
  EXPECT_EQ(groupMembers(g, Group::Kvp, 19),
            (std::vector<int32_t>{3, 11, 19, 27, 35, 43, 51, 59}));
  const SplitArgs s = splitFor(g, Group::Kvp, 19);
  EXPECT_EQ(s.color, 3); // tpa index
  EXPECT_EQ(s.key, 2);   // kvp index = rank within the group
  EXPECT_EQ(groupMembers(g, Group::World, 5).size(), 64u);
}

TEST(CommPlan, ExpertGroupsOfFfnGrid) {
  // ep x tpf = 4 x 2: rank = ep_index * 2 + tpf_index.
  const HelixGrid g{8, 1, 4, 2};
  EXPECT_EQ(groupMembers(g, Group::Expert, 5), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(groupMembers(g, Group::ExpertGather, 5),
            (std::vector<int32_t>{1, 3, 5, 7}));
  EXPECT_EQ(splitFor(g, Group::ExpertGather, 5).key, 2); // ep index
}

TEST(CommPlan, GroupsPartitionTheWorld) {
  for (const HelixGrid &g : {HelixGrid{4, 2, 2, 4}, HelixGrid{2, 4, 8, 1},
                             HelixGrid{1, 8, 1, 8}, HelixGrid{3, 2, 6, 1}}) {
    for (Group group : {Group::World, Group::Kvp, Group::Expert,
                        Group::ExpertGather}) {
      std::set<int32_t> seen;
      for (int32_t r = 0; r < g.worldSize(); ++r) {
        std::vector<int32_t> m = groupMembers(g, group, r);
        // The rank sits at its key, and every member agrees on the group.
        ASSERT_EQ(m[size_t(splitFor(g, group, r).key)], r) << groupName(group);
        for (int32_t peer : m)
          EXPECT_EQ(groupMembers(g, group, peer), m) << groupName(group);
        seen.insert(r);
      }
      EXPECT_EQ(seen.size(), size_t(g.worldSize()));
    }
  }
}

TEST(CommPlan, SplitOnGridMatchesTheNamedGroups) {
  // The module runtime's generic rule on the same grids gives the same
  // color/key as the named groups.
  const HelixGrid g{4, 2, 2, 4};
  for (int32_t r = 0; r < g.worldSize(); ++r) {
    SplitArgs kvp = splitOnGrid({g.kvp, g.tpa}, {0}, r);
    EXPECT_EQ(kvp.color, splitFor(g, Group::Kvp, r).color);
    EXPECT_EQ(kvp.key, splitFor(g, Group::Kvp, r).key);
    SplitArgs expert = splitOnGrid({g.ep, g.tpf}, {1}, r);
    EXPECT_EQ(expert.key, splitFor(g, Group::Expert, r).key);
    SplitArgs gather = splitOnGrid({g.ep, g.tpf}, {0}, r);
    EXPECT_EQ(gather.color, splitFor(g, Group::ExpertGather, r).color);
  }
}

TEST(CommPlan, MicrobatchRowsDifferByAtMostOne) {
  EXPECT_EQ(microbatchRows(7, 2), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(microbatchRows(2, 3), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(microbatchRows(32, 4), (std::vector<int64_t>{8, 8, 8, 8}));
  EXPECT_TRUE(microbatchRows(4, 0).empty());
}

// docs/sharding.md's Llama-3.1-405B numbers: 16 heads per TPA shard, 2 per
// KVP peer, 129 floats each: 7 x B x 2 x 129 x 4 bytes leave a rank.
TEST(CommPlan, ExchangeSizesOfLlama405B) {
  ExchangeRequest r;
  r.grid = {8, 8, 1, 64};
  r.maxBatch = 16;
  r.microbatches = 2;
  r.localHeads = 16;
  r.width = 128;
  r.hidden = 16384;
  ExchangeSizes s;
  std::string error;
  ASSERT_TRUE(exchangeSizes(r, &s, &error)) << error;
  EXPECT_EQ(s.rows, 8);
  EXPECT_EQ(s.allToAllBlock, 8 * 2 * 129);
  EXPECT_EQ(s.allToAllFloats, 8 * s.allToAllBlock);
  EXPECT_EQ((r.grid.kvp - 1) * s.allToAllBlock * 4, 7 * 8 * 2 * 129 * 4);
  EXPECT_EQ(s.allReduceFloats, 8 * 16384);
  EXPECT_EQ(s.allGatherFloats, 0); // dense model: no all-gather
  EXPECT_EQ(s.totalBytes, 2 * s.bytesPerMicrobatch);
}

TEST(CommPlan, ExchangeLayoutNeverOverlaps) {
  ExchangeRequest r;
  r.grid = {64, 1, 64, 1};
  r.maxBatch = 33;
  r.microbatches = 3;
  r.localHeads = 128;
  r.width = 512;
  r.hidden = 7168;
  r.moe = true;
  ExchangeSizes s;
  std::string error;
  ASSERT_TRUE(exchangeSizes(r, &s, &error)) << error;
  EXPECT_EQ(s.allToAllBlock, 11 * 2 * 513);
  EXPECT_EQ(s.allGatherFloats, 64 * 11 * 7168);
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int32_t m = 0; m < r.microbatches; ++m) {
    ExchangeLayout l = exchangeLayout(s, m);
    spans.push_back({l.allToAllSend, s.allToAllFloats * 4});
    spans.push_back({l.allToAllRecv, s.allToAllFloats * 4});
    spans.push_back({l.allReduce, s.allReduceFloats * 4});
    spans.push_back({l.allGatherRecv, s.allGatherFloats * 4});
    for (int64_t off : {l.allToAllSend, l.allToAllRecv, l.allReduce,
                        l.allGatherRecv})
      EXPECT_EQ(off % 256, 0);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    EXPECT_LE(spans[i - 1].first + spans[i - 1].second, spans[i].first);
  EXPECT_LE(spans.back().first + spans.back().second, s.totalBytes);
}

TEST(CommPlan, ExchangeSizesRejectsUnevenHeads) {
  ExchangeRequest r;
  r.grid = {8, 1, 8, 1};
  r.maxBatch = 4;
  r.localHeads = 12;
  r.width = 128;
  r.hidden = 4096;
  ExchangeSizes s;
  std::string error;
  EXPECT_FALSE(exchangeSizes(r, &s, &error));
  EXPECT_NE(error.find("do not split"), std::string::npos);
}

} // namespace
