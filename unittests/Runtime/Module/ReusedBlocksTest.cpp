//===- ReusedBlocksTest.cpp - big step buffers are reused, within a cap ---===//
#include "../../../runtime/src/module/ReusedBlocks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using helix_rt::ReusedBlocks;

namespace {

constexpr size_t kMiB = size_t(1) << 20;

TEST(ReusedBlocks, AFreedBlockServesTheNextRequestOfItsSize) {
  ReusedBlocks blocks;
  void *a = blocks.take(4 * kMiB);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 1, 4 * kMiB);
  EXPECT_TRUE(blocks.give(a));
  EXPECT_EQ(blocks.spareBytes(), 4 * kMiB);
  // Another size gets a block of its own; the same size gets `a` back.
  void *b = blocks.take(2 * kMiB);
  EXPECT_NE(b, a);
  EXPECT_EQ(blocks.take(4 * kMiB), a);
  EXPECT_EQ(blocks.spareBytes(), 0u);
  EXPECT_TRUE(blocks.give(a));
  EXPECT_TRUE(blocks.give(b));
}

TEST(ReusedBlocks, KeepsAtMostTheCapAndRefusesForeignPointers) {
  ReusedBlocks blocks;
  const size_t size = 64 * kMiB;
  void *held[5];
  for (void *&p : held)
    ASSERT_NE(p = blocks.take(size), nullptr);
  for (void *p : held)
    EXPECT_TRUE(blocks.give(p));
  EXPECT_EQ(blocks.spareBytes(), ReusedBlocks::kMaxSpare);
  void *foreign = std::malloc(64);
  EXPECT_FALSE(blocks.give(foreign));
  std::free(foreign);
}

} // namespace
