//===- LayoutOwnershipTest.cpp - which rank owns which heads and columns --===//
#include "ShardingTestUtils.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

using namespace helix::sharding;
using namespace helix::sharding::testing;

namespace {

/// Small MoE grid where every axis is > 1: N = 8 = kvp 4 x tpa 2 = ep 4 x
/// tpf 2.
ModelShape smallMoeShape() {
  return {/*numHeads=*/16,         /*numKvHeads=*/2,
          /*mla=*/false,
          /*denseFfnWidth=*/64,    /*numExperts=*/8,
          /*expertWidth=*/64,
          /*sharedExpertWidth=*/32};
}
Layout smallMoeLayout() {
  Layout layout;
  layout.kvp = 4;
  layout.tpa = 2;
  layout.tpf = 2;
  layout.ep = 4;
  return layout;
}

/// How often each index of [0, total) is covered by the ranges.
std::vector<int> coverage(const std::vector<Range> &ranges, int64_t total) {
  std::vector<int> count(total, 0);
  for (const Range &range : ranges)
    for (int64_t i = range.begin; i < range.end; ++i)
      if (i >= 0 && i < total)
        ++count[i];
  return count;
}

void expectCoveredExactly(const std::vector<Range> &ranges, int64_t total,
                          int times) {
  int64_t sizes = 0;
  for (const Range &range : ranges)
    sizes += range.size();
  EXPECT_EQ(sizes, total * times); // also catches ranges outside [0, total)
  std::vector<int> count = coverage(ranges, total);
  for (int64_t i = 0; i < total; ++i)
    EXPECT_EQ(count[i], times) << "index " << i;
}

template <typename F>
std::vector<Range> perRank(const Layout &layout, F rangeOf) {
  std::vector<Range> ranges;
  for (int64_t rank = 0; rank < layout.worldSize(); ++rank)
    ranges.push_back(rangeOf(rank));
  return ranges;
}

/// Checks that the groups built by `groupOf` partition the ranks into
/// `numGroups` groups of `groupSize`, each containing the rank that built it.
template <typename F>
void expectGroupsPartitionRanks(const Layout &layout, F groupOf,
                                int64_t numGroups, int64_t groupSize) {
  std::map<std::vector<int64_t>, int> groups;
  for (int64_t rank = 0; rank < layout.worldSize(); ++rank) {
    std::vector<int64_t> group = groupOf(rank);
    EXPECT_EQ(static_cast<int64_t>(group.size()), groupSize);
    EXPECT_NE(std::find(group.begin(), group.end(), rank), group.end())
        << "rank " << rank;
    ++groups[group];
  }
  EXPECT_EQ(static_cast<int64_t>(groups.size()), numGroups);
  std::vector<Range> singles;
  for (const auto &[group, members] : groups) {
    EXPECT_EQ(members, groupSize); // every member builds the same group
    for (int64_t rank : group)
      singles.push_back({rank, rank + 1});
  }
  expectCoveredExactly(singles, layout.worldSize(), 1);
}

TEST(LayoutTest, WorldSizeAndString) {
  Layout layout = llama405bLayout();
  EXPECT_EQ(layout.worldSize(), 64);
  EXPECT_EQ(layout.str(), "kvp=8 tpa=8 tpf=64 ep=1 microbatches=1 kv-block=16");
  layout.microbatches = 3;
  layout.kvBlock = 32;
  EXPECT_EQ(layout.str(), "kvp=8 tpa=8 tpf=64 ep=1 microbatches=3 kv-block=32");
  EXPECT_EQ(Layout().str(),
            "kvp=1 tpa=1 tpf=1 ep=1 microbatches=1 kv-block=16");
}

TEST(LayoutTest, RangeBasics) {
  Range range{16, 32};
  EXPECT_EQ(range.size(), 16);
  EXPECT_TRUE(range.contains(16));
  EXPECT_TRUE(range.contains(31));
  EXPECT_FALSE(range.contains(32));
  EXPECT_FALSE(range.contains(15));
  EXPECT_FALSE(range.empty());
  EXPECT_TRUE(Range({3, 3}).empty());
  EXPECT_EQ(range.str(), "[16, 32)");
  EXPECT_EQ(range, (Range{16, 32}));
  EXPECT_NE(range, (Range{16, 31}));
  EXPECT_EQ(blockOf(12, 3, 0), (Range{0, 4}));
  EXPECT_EQ(blockOf(12, 3, 2), (Range{8, 12}));
  EXPECT_EQ(blockOf(7, 1, 0), (Range{0, 7}));
  EXPECT_EQ(blockOf(0, 4, 3), (Range{0, 0}));
}

TEST(LayoutTest, RankNumbering) {
  Layout layout = smallMoeLayout(); // kvp 4 x tpa 2, ep 4 x tpf 2
  for (int64_t rank = 0; rank < 8; ++rank) {
    AttentionCoord attention = attentionCoord(layout, rank);
    EXPECT_EQ(attention.kvp * layout.tpa + attention.tpa, rank);
    FfnCoord ffn = ffnCoord(layout, rank);
    EXPECT_EQ(ffn.ep * layout.tpf + ffn.tpf, rank);
  }
  AttentionCoord a5 = attentionCoord(layout, 5);
  EXPECT_EQ(a5.kvp, 2);
  EXPECT_EQ(a5.tpa, 1);
  FfnCoord f5 = ffnCoord(layout, 5);
  EXPECT_EQ(f5.ep, 2);
  EXPECT_EQ(f5.tpf, 1);
}

TEST(LayoutTest, Llama405bHeads) {
  Layout layout = llama405bLayout();
  ModelShape model = llama405bShape();
  ASSERT_EQ(validateLayout(layout, model), std::nullopt);

  // Rank 9 is (kvp 1, tpa 1): TPA shard 1 = query heads 16..31, KV head 1.
  EXPECT_EQ(queryHeadsOfRank(layout, 128, 0), (Range{0, 16}));
  EXPECT_EQ(queryHeadsOfRank(layout, 128, 9), (Range{16, 32}));
  EXPECT_EQ(queryHeadsOfRank(layout, 128, 1), (Range{16, 32}));
  EXPECT_EQ(queryHeadsOfRank(layout, 128, 63), (Range{112, 128}));
  EXPECT_EQ(kvHeadsOfRank(layout, 8, 0), (Range{0, 1}));
  EXPECT_EQ(kvHeadsOfRank(layout, 8, 9), (Range{1, 2}));
  EXPECT_EQ(kvHeadsOfRank(layout, 8, 63), (Range{7, 8}));
  for (int64_t rank = 0; rank < 64; ++rank) {
    EXPECT_EQ(queryHeadsOfRank(layout, 128, rank).size(), 16);
    EXPECT_EQ(kvHeadsOfRank(layout, 8, rank), (Range{rank % 8, rank % 8 + 1}));
  }

  // After the all-to-all: KVP peer i of TPA shard j merges heads
  // 16 j + 2 i .. +2.
  EXPECT_EQ(headBlockAfterAllToAll(layout, 0), 0);
  EXPECT_EQ(headBlockAfterAllToAll(layout, 1), 8);
  EXPECT_EQ(headBlockAfterAllToAll(layout, 8), 1);
  EXPECT_EQ(headBlockAfterAllToAll(layout, 9), 9);
  EXPECT_EQ(headBlockAfterAllToAll(layout, 63), 63);
  EXPECT_EQ(queryHeadsAfterAllToAll(layout, 128, 0), (Range{0, 2}));
  EXPECT_EQ(queryHeadsAfterAllToAll(layout, 128, 8), (Range{2, 4}));
  EXPECT_EQ(queryHeadsAfterAllToAll(layout, 128, 1), (Range{16, 18}));
  EXPECT_EQ(queryHeadsAfterAllToAll(layout, 128, 9), (Range{18, 20}));
  EXPECT_EQ(queryHeadsAfterAllToAll(layout, 128, 63), (Range{126, 128}));

  EXPECT_EQ(kvpGroup(layout, 9),
            (std::vector<int64_t>{1, 9, 17, 25, 33, 41, 49, 57}));
  EXPECT_EQ(kvpGroup(layout, 0),
            (std::vector<int64_t>{0, 8, 16, 24, 32, 40, 48, 56}));
}

TEST(LayoutTest, Llama405bFfn) {
  Layout layout = llama405bLayout();
  // Dense TP over all 64 ranks: 53248 / 64 = 832 columns each.
  EXPECT_EQ(ffnColumnsOfRank(53248, 64, 0), (Range{0, 832}));
  EXPECT_EQ(ffnColumnsOfRank(53248, 64, 1), (Range{832, 1664}));
  EXPECT_EQ(ffnColumnsOfRank(53248, 64, 63), (Range{52416, 53248}));
  // One expert group of all 64 ranks; the all-gather group is the rank alone.
  std::vector<int64_t> all;
  for (int64_t rank = 0; rank < 64; ++rank)
    all.push_back(rank);
  EXPECT_EQ(epGroupRanks(layout, 17), all);
  EXPECT_EQ(tpfGroup(layout, 17), (std::vector<int64_t>{17}));
  EXPECT_EQ(expertsOfRank(layout, 0, 17), (Range{0, 0}));
  EXPECT_EQ(ffnCoord(layout, 17).tpf, 17);
}

TEST(LayoutTest, Llama405bPartitions) {
  Layout layout = llama405bLayout();
  // Local attention: every head is computed once per KVP rank (replicated
  // over KVP, sharded over TPA); after the all-to-all exactly once.
  expectCoveredExactly(
      perRank(layout,
              [&](int64_t r) { return queryHeadsOfRank(layout, 128, r); }),
      128, 8);
  expectCoveredExactly(
      perRank(layout, [&](int64_t r) { return kvHeadsOfRank(layout, 8, r); }),
      8, 8);
  expectCoveredExactly(perRank(layout,
                               [&](int64_t r) {
                                 return queryHeadsAfterAllToAll(layout, 128, r);
                               }),
                       128, 1);
  expectCoveredExactly(
      perRank(layout,
              [&](int64_t r) { return ffnColumnsOfRank(53248, 64, r); }),
      53248, 1);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return kvpGroup(layout, r); }, 8, 8);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return epGroupRanks(layout, r); }, 1, 64);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return tpfGroup(layout, r); }, 64, 1);
}

TEST(LayoutTest, DeepseekR1Attention) {
  Layout layout = deepseekR1Layout();
  ModelShape model = deepseekR1Shape();
  ASSERT_EQ(validateLayout(layout, model), std::nullopt);
  // tpa = 1: every rank attends with all 128 heads over the one latent cache,
  // then merges 2 heads.
  for (int64_t rank = 0; rank < 64; ++rank) {
    EXPECT_EQ(attentionCoord(layout, rank).kvp, rank);
    EXPECT_EQ(attentionCoord(layout, rank).tpa, 0);
    EXPECT_EQ(queryHeadsOfRank(layout, 128, rank), (Range{0, 128}));
    EXPECT_EQ(kvHeadsOfRank(layout, 1, rank), (Range{0, 1}));
    EXPECT_EQ(headBlockAfterAllToAll(layout, rank), rank);
    EXPECT_EQ(queryHeadsAfterAllToAll(layout, 128, rank),
              (Range{2 * rank, 2 * rank + 2}));
  }
  std::vector<int64_t> all;
  for (int64_t rank = 0; rank < 64; ++rank)
    all.push_back(rank);
  EXPECT_EQ(kvpGroup(layout, 0), all);
  EXPECT_EQ(kvpGroup(layout, 40), all);
  expectCoveredExactly(perRank(layout,
                               [&](int64_t r) {
                                 return queryHeadsAfterAllToAll(layout, 128, r);
                               }),
                       128, 1);
}

TEST(LayoutTest, DeepseekR1Ffn) {
  Layout layout = deepseekR1Layout();
  // ep = 64, tpf = 1: rank r owns experts 4r..4r+3 whole.
  EXPECT_EQ(expertsOfRank(layout, 256, 0), (Range{0, 4}));
  EXPECT_EQ(expertsOfRank(layout, 256, 1), (Range{4, 8}));
  EXPECT_EQ(expertsOfRank(layout, 256, 63), (Range{252, 256}));
  for (int64_t rank = 0; rank < 64; ++rank) {
    FfnCoord coord = ffnCoord(layout, rank);
    EXPECT_EQ(coord.ep, rank);
    EXPECT_EQ(coord.tpf, 0);
    EXPECT_EQ(expertsOfRank(layout, 256, rank),
              (Range{4 * rank, 4 * rank + 4}));
    EXPECT_EQ(ffnColumnsOfRank(2048, layout.tpf, coord.tpf), (Range{0, 2048}));
    // Shared expert and dense layers: TP over all 64 ranks.
    EXPECT_EQ(ffnColumnsOfRank(2048, 64, rank),
              (Range{32 * rank, 32 * rank + 32}));
    EXPECT_EQ(ffnColumnsOfRank(18432, 64, rank),
              (Range{288 * rank, 288 * rank + 288}));
    EXPECT_EQ(epGroupRanks(layout, rank), (std::vector<int64_t>{rank}));
  }
  std::vector<int64_t> all;
  for (int64_t rank = 0; rank < 64; ++rank)
    all.push_back(rank);
  EXPECT_EQ(tpfGroup(layout, 5), all);
  expectCoveredExactly(
      perRank(layout, [&](int64_t r) { return expertsOfRank(layout, 256, r); }),
      256, 1);
  expectCoveredExactly(
      perRank(layout, [&](int64_t r) { return ffnColumnsOfRank(2048, 64, r); }),
      2048, 1);
  expectCoveredExactly(
      perRank(layout,
              [&](int64_t r) { return ffnColumnsOfRank(18432, 64, r); }),
      18432, 1);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return epGroupRanks(layout, r); }, 64, 1);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return tpfGroup(layout, r); }, 1, 64);
}

TEST(LayoutTest, SixQueryHeadsThreeKvHeads) {
  Layout layout = sixHeadsLayout(); // kvp 2 x tpa 3
  ModelShape model = sixHeadsShape();
  ASSERT_EQ(validateLayout(layout, model), std::nullopt);
  // rank: (kvp, tpa) -> local query heads, KV head, merged head
  struct Expected {
    int64_t kvp, tpa;
    Range query, kv, merged;
  };
  const Expected expected[] = {
      {0, 0, {0, 2}, {0, 1}, {0, 1}}, {0, 1, {2, 4}, {1, 2}, {2, 3}},
      {0, 2, {4, 6}, {2, 3}, {4, 5}}, {1, 0, {0, 2}, {0, 1}, {1, 2}},
      {1, 1, {2, 4}, {1, 2}, {3, 4}}, {1, 2, {4, 6}, {2, 3}, {5, 6}},
  };
  for (int64_t rank = 0; rank < 6; ++rank) {
    SCOPED_TRACE("rank " + std::to_string(rank));
    const Expected &e = expected[rank];
    EXPECT_EQ(attentionCoord(layout, rank).kvp, e.kvp);
    EXPECT_EQ(attentionCoord(layout, rank).tpa, e.tpa);
    EXPECT_EQ(queryHeadsOfRank(layout, 6, rank), e.query);
    EXPECT_EQ(kvHeadsOfRank(layout, 3, rank), e.kv);
    EXPECT_EQ(queryHeadsAfterAllToAll(layout, 6, rank), e.merged);
    // The merged head stays inside the rank's own TPA shard, so the
    // all-to-all never crosses KVP groups.
    EXPECT_TRUE(e.query.contains(e.merged.begin));
    EXPECT_EQ(ffnColumnsOfRank(12, 6, rank), (Range{2 * rank, 2 * rank + 2}));
  }
  EXPECT_EQ(kvpGroup(layout, 4), (std::vector<int64_t>{1, 4}));
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return kvpGroup(layout, r); }, 3, 2);
}

TEST(LayoutTest, SmallMoeGroups) {
  Layout layout = smallMoeLayout(); // kvp 4 x tpa 2 = ep 4 x tpf 2
  ModelShape model = smallMoeShape();
  ASSERT_EQ(validateLayout(layout, model), std::nullopt);
  EXPECT_EQ(epGroupRanks(layout, 5), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(tpfGroup(layout, 5), (std::vector<int64_t>{1, 3, 5, 7}));
  EXPECT_EQ(kvpGroup(layout, 5), (std::vector<int64_t>{1, 3, 5, 7}));
  EXPECT_EQ(expertsOfRank(layout, 8, 5), (Range{4, 6}));
  EXPECT_EQ(ffnColumnsOfRank(64, layout.tpf, ffnCoord(layout, 5).tpf),
            (Range{32, 64}));
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return epGroupRanks(layout, r); }, 4, 2);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return tpfGroup(layout, r); }, 2, 4);
  expectGroupsPartitionRanks(
      layout, [&](int64_t r) { return kvpGroup(layout, r); }, 2, 4);

  // Every (expert, column) pair is owned by exactly one rank.
  std::vector<Range> cells; // expert e, column c -> index e * 64 + c
  for (int64_t rank = 0; rank < 8; ++rank) {
    Range experts = expertsOfRank(layout, 8, rank);
    Range columns =
        ffnColumnsOfRank(64, layout.tpf, ffnCoord(layout, rank).tpf);
    for (int64_t e = experts.begin; e < experts.end; ++e)
      cells.push_back({e * 64 + columns.begin, e * 64 + columns.end});
  }
  expectCoveredExactly(cells, 8 * 64, 1);
}

} // namespace
