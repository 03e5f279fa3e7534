//===- ThreadsSplitTest.cpp - sub-communicators of the threads backend ----===//
//
// World 8 as the 4x2 grid of a Helix layout: world rank = row * 2 + column.
// The ranks of one column (same TPA shard, KVP 0..3) form the all-to-all
// group; the ranks of one row form the TPA group that all-reduces.
//
//===----------------------------------------------------------------------===//
#include "ThreadsTestUtil.h"

#include <vector>

using helix_test::kLongTimeoutMs;
using helix_test::runWorld;

namespace {

constexpr int kRows = 4, kColumns = 2;

TEST(ThreadsSplit, GridColumnsAndRows) {
  runWorld(kRows * kColumns, kLongTimeoutMs, [](helix_comm *world) {
    int worldRank = helix_comm_rank(world);
    int row = worldRank / kColumns, column = worldRank % kColumns;
    helix_comm *columnComm = nullptr, *rowComm = nullptr;
    ASSERT_EQ(helix_comm_split(world, column, row, &columnComm), HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, row, column, &rowComm), HELIX_OK);
    ASSERT_NE(columnComm, nullptr);
    ASSERT_NE(rowComm, nullptr);
    EXPECT_EQ(helix_comm_size(columnComm), kRows);
    EXPECT_EQ(helix_comm_rank(columnComm), row);
    EXPECT_EQ(helix_comm_size(rowComm), kColumns);
    EXPECT_EQ(helix_comm_rank(rowComm), column);

    // Column group: gather world ranks, then all-to-all blocks.
    float me = float(worldRank);
    std::vector<float> gathered(kRows, -1.0f);
    EXPECT_EQ(helix_comm_all_gather(columnComm, &me, gathered.data(), 1),
              HELIX_OK);
    for (int r = 0; r < kRows; ++r)
      EXPECT_EQ(gathered[r], float(r * kColumns + column));
    std::vector<float> in(kRows), out(kRows, -1.0f);
    for (int r = 0; r < kRows; ++r)
      in[r] = float(worldRank * 100 + r);
    EXPECT_EQ(helix_comm_all_to_all(columnComm, in.data(), out.data(), 1),
              HELIX_OK);
    for (int r = 0; r < kRows; ++r)
      EXPECT_EQ(out[r], float((r * kColumns + column) * 100 + row));

    // Row group: all-reduce of world ranks.
    float sum = -1.0f;
    EXPECT_EQ(helix_comm_all_reduce_sum(rowComm, &me, &sum, 1), HELIX_OK);
    EXPECT_EQ(sum, float(row * kColumns * 2 + 1));

    // The parent still works after its splits.
    EXPECT_EQ(helix_comm_all_reduce_sum(world, &me, &sum, 1), HELIX_OK);
    EXPECT_EQ(sum, 28.0f);

    // A split of a split: the column halves by row parity.
    helix_comm *half = nullptr;
    ASSERT_EQ(helix_comm_split(columnComm, row % 2, row, &half), HELIX_OK);
    ASSERT_NE(half, nullptr);
    EXPECT_EQ(helix_comm_size(half), 2);
    EXPECT_EQ(helix_comm_rank(half), row / 2);
    std::vector<float> pair(2, -1.0f);
    EXPECT_EQ(helix_comm_all_gather(half, &me, pair.data(), 1), HELIX_OK);
    EXPECT_EQ(pair[0], float((row % 2) * kColumns + column));
    EXPECT_EQ(pair[1], float((row % 2 + 2) * kColumns + column));

    helix_comm_destroy(half);
    helix_comm_destroy(rowComm);
    helix_comm_destroy(columnComm);
  });
}

// Collectives on different communicators in flight together (HOP-B: the
// column all-to-all of one micro-batch overlaps the row all-reduce of the
// next).
TEST(ThreadsSplit, InFlightAcrossCommunicators) {
  runWorld(kRows * kColumns, kLongTimeoutMs, [](helix_comm *world) {
    int worldRank = helix_comm_rank(world);
    int row = worldRank / kColumns, column = worldRank % kColumns;
    helix_comm *columnComm = nullptr, *rowComm = nullptr;
    ASSERT_EQ(helix_comm_split(world, column, row, &columnComm), HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, row, column, &rowComm), HELIX_OK);
    float me = float(worldRank), sum = -1.0f;
    std::vector<float> gathered(kRows, -1.0f);
    helix_comm_request *gather = nullptr, *reduce = nullptr;
    ASSERT_EQ(helix_comm_start_all_gather(columnComm, &me, gathered.data(), 1,
                                          &gather),
              HELIX_OK);
    ASSERT_EQ(helix_comm_start_all_reduce_sum(rowComm, &me, &sum, 1, &reduce),
              HELIX_OK);
    // Odd columns wait in the other order.
    if (column % 2) {
      EXPECT_EQ(helix_comm_wait(reduce), HELIX_OK);
      EXPECT_EQ(helix_comm_wait(gather), HELIX_OK);
    } else {
      EXPECT_EQ(helix_comm_wait(gather), HELIX_OK);
      EXPECT_EQ(helix_comm_wait(reduce), HELIX_OK);
    }
    EXPECT_EQ(sum, float(row * kColumns * 2 + 1));
    for (int r = 0; r < kRows; ++r)
      EXPECT_EQ(gathered[r], float(r * kColumns + column));
    helix_comm_destroy(rowComm);
    helix_comm_destroy(columnComm);
  });
}

// New rank order: key first, ties by parent rank.
TEST(ThreadsSplit, OrderedByKeyThenParentRank) {
  runWorld(4, kLongTimeoutMs, [](helix_comm *world) {
    int rank = helix_comm_rank(world);
    helix_comm *reversed = nullptr, *tied = nullptr, *same = nullptr;
    ASSERT_EQ(helix_comm_split(world, 7, -rank, &reversed), HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, 7, rank % 2, &tied), HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, 7, 0, &same), HELIX_OK);
    EXPECT_EQ(helix_comm_rank(reversed), 3 - rank);
    const int tiedRank[] = {0, 2, 1, 3}; // Keys 0,1,0,1 -> 0,2 then 1,3.
    EXPECT_EQ(helix_comm_rank(tied), tiedRank[rank]);
    EXPECT_EQ(helix_comm_rank(same), rank);
    float me = float(rank);
    std::vector<float> order(4, -1.0f);
    EXPECT_EQ(helix_comm_all_gather(reversed, &me, order.data(), 1), HELIX_OK);
    EXPECT_EQ(order, (std::vector<float>{3, 2, 1, 0}));
    EXPECT_EQ(helix_comm_all_gather(tied, &me, order.data(), 1), HELIX_OK);
    EXPECT_EQ(order, (std::vector<float>{0, 2, 1, 3}));
    helix_comm_destroy(same);
    helix_comm_destroy(tied);
    helix_comm_destroy(reversed);
  });
}

// A negative color (MPI_UNDEFINED) leaves the rank out of every group.
TEST(ThreadsSplit, NegativeColorGivesNoCommunicator) {
  runWorld(3, kLongTimeoutMs, [](helix_comm *world) {
    int rank = helix_comm_rank(world);
    helix_comm *sub = reinterpret_cast<helix_comm *>(&rank); // Not null.
    ASSERT_EQ(helix_comm_split(world, rank == 1 ? -1 : 0, 0, &sub), HELIX_OK);
    if (rank == 1) {
      EXPECT_EQ(sub, nullptr);
      return;
    }
    ASSERT_NE(sub, nullptr);
    EXPECT_EQ(helix_comm_size(sub), 2);
    EXPECT_EQ(helix_comm_rank(sub), rank / 2);
    float me = float(rank), sum = 0.0f;
    EXPECT_EQ(helix_comm_all_reduce_sum(sub, &me, &sum, 1), HELIX_OK);
    EXPECT_EQ(sum, 2.0f);
    helix_comm_destroy(sub);
  });
}

TEST(ThreadsSplit, EveryWorldSizeIntoSingletonsAndWhole) {
  for (int size : helix_test::worldSizes()) {
    runWorld(size, kLongTimeoutMs, [size](helix_comm *world) {
      int rank = helix_comm_rank(world);
      helix_comm *alone = nullptr, *whole = nullptr;
      ASSERT_EQ(helix_comm_split(world, rank, 0, &alone), HELIX_OK);
      ASSERT_EQ(helix_comm_split(world, 0, rank, &whole), HELIX_OK);
      EXPECT_EQ(helix_comm_size(alone), 1);
      EXPECT_EQ(helix_comm_rank(alone), 0);
      EXPECT_EQ(helix_comm_size(whole), size);
      EXPECT_EQ(helix_comm_rank(whole), rank);
      float me = float(rank + 1), out = 0.0f;
      EXPECT_EQ(helix_comm_all_reduce_sum(alone, &me, &out, 1), HELIX_OK);
      EXPECT_EQ(out, me);
      EXPECT_EQ(helix_comm_all_reduce_sum(whole, &me, &out, 1), HELIX_OK);
      EXPECT_EQ(out, float(size * (size + 1) / 2));
      helix_comm_destroy(whole);
      helix_comm_destroy(alone);
    });
  }
}

} // namespace
