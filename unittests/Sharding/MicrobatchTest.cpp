//===- MicrobatchTest.cpp - HOP-B micro-batch rows, even and uneven -------===//
#include "helix/Sharding/Microbatch.h"

#include "ShardingTestUtils.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace helix::sharding;

namespace {

TEST(MicrobatchTest, Even) {
  EXPECT_EQ(microbatchRows(8, 2, 0), (Range{0, 4}));
  EXPECT_EQ(microbatchRows(8, 2, 1), (Range{4, 8}));
  EXPECT_EQ(microbatchRows(8, 1, 0), (Range{0, 8}));
}

TEST(MicrobatchTest, UnevenFirstOnesGetTheExtraRow) {
  // 10 rows over 4: 3, 3, 2, 2.
  EXPECT_EQ(microbatchRows(10, 4, 0), (Range{0, 3}));
  EXPECT_EQ(microbatchRows(10, 4, 1), (Range{3, 6}));
  EXPECT_EQ(microbatchRows(10, 4, 2), (Range{6, 8}));
  EXPECT_EQ(microbatchRows(10, 4, 3), (Range{8, 10}));
  // 7 rows over 3: 3, 2, 2.
  EXPECT_EQ(microbatchRows(7, 3, 0), (Range{0, 3}));
  EXPECT_EQ(microbatchRows(7, 3, 1), (Range{3, 5}));
  EXPECT_EQ(microbatchRows(7, 3, 2), (Range{5, 7}));
}

TEST(MicrobatchTest, MoreMicrobatchesThanRows) {
  EXPECT_EQ(microbatchRows(2, 4, 0), (Range{0, 1}));
  EXPECT_EQ(microbatchRows(2, 4, 1), (Range{1, 2}));
  EXPECT_EQ(microbatchRows(2, 4, 2), (Range{2, 2}));
  EXPECT_EQ(microbatchRows(2, 4, 3), (Range{2, 2}));
  EXPECT_EQ(microbatchRows(0, 3, 1), (Range{0, 0}));
}

TEST(MicrobatchTest, PartitionsEveryBatch) {
  for (int64_t batch = 0; batch <= 40; ++batch) {
    for (int64_t microbatches = 1; microbatches <= 12; ++microbatches) {
      int64_t next = 0, smallest = batch, largest = 0;
      for (int64_t index = 0; index < microbatches; ++index) {
        Range rows = microbatchRows(batch, microbatches, index);
        ASSERT_EQ(rows.begin, next) << batch << "/" << microbatches;
        ASSERT_GE(rows.size(), 0);
        next = rows.end;
        smallest = std::min(smallest, rows.size());
        largest = std::max(largest, rows.size());
        // Non-increasing sizes: the extra rows go to the first ones.
        if (index > 0)
          ASSERT_LE(rows.size(),
                    microbatchRows(batch, microbatches, index - 1).size());
      }
      ASSERT_EQ(next, batch);
      ASSERT_LE(largest - smallest, 1);
    }
  }
}

} // namespace
