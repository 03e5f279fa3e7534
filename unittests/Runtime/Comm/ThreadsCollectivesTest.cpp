//===- ThreadsCollectivesTest.cpp - collectives of the threads backend ----===//
#include "ThreadsTestUtil.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

using helix_test::kLongTimeoutMs;
using helix_test::runWorld;
using helix_test::worldSizes;

namespace {

constexpr int64_t kCount = 5;

// Exact in float: small integers.
float reduceInput(int rank, int64_t i) { return float(rank * 100 + i); }
float reduceExpected(int size, int64_t i) {
  return float(100 * size * (size - 1) / 2 + size * i);
}
// Block j of rank r's all_to_all input is meant for rank j.
float toAllInput(int rank, int64_t block, int64_t i) {
  return float(rank * 1000 + block * 10 + i);
}
float gatherInput(int rank, int64_t i) { return float(rank * 10 + i) + 0.5f; }

enum class Form { Blocking, StartWait };

void allReduce(helix_comm *comm, Form form) {
  int rank = helix_comm_rank(comm), size = helix_comm_size(comm);
  std::vector<float> in(kCount), out(kCount, -1.0f);
  for (int64_t i = 0; i < kCount; ++i)
    in[i] = reduceInput(rank, i);
  if (form == Form::Blocking) {
    EXPECT_EQ(helix_comm_all_reduce_sum(comm, in.data(), out.data(), kCount),
              HELIX_OK);
  } else {
    helix_comm_request *request = nullptr;
    ASSERT_EQ(helix_comm_start_all_reduce_sum(comm, in.data(), out.data(),
                                              kCount, &request),
              HELIX_OK);
    ASSERT_NE(request, nullptr);
    EXPECT_EQ(helix_comm_wait(request), HELIX_OK);
  }
  for (int64_t i = 0; i < kCount; ++i)
    EXPECT_EQ(out[i], reduceExpected(size, i)) << "rank " << rank << " i " << i;
  // In place: in == out.
  EXPECT_EQ(helix_comm_all_reduce_sum(comm, in.data(), in.data(), kCount),
            HELIX_OK);
  EXPECT_EQ(in, out);
}

void allToAll(helix_comm *comm, Form form) {
  int rank = helix_comm_rank(comm), size = helix_comm_size(comm);
  std::vector<float> in(size * kCount), out(size * kCount, -1.0f);
  for (int block = 0; block < size; ++block)
    for (int64_t i = 0; i < kCount; ++i)
      in[block * kCount + i] = toAllInput(rank, block, i);
  if (form == Form::Blocking) {
    EXPECT_EQ(helix_comm_all_to_all(comm, in.data(), out.data(), kCount),
              HELIX_OK);
  } else {
    helix_comm_request *request = nullptr;
    ASSERT_EQ(helix_comm_start_all_to_all(comm, in.data(), out.data(), kCount,
                                          &request),
              HELIX_OK);
    EXPECT_EQ(helix_comm_wait(request), HELIX_OK);
  }
  for (int source = 0; source < size; ++source)
    for (int64_t i = 0; i < kCount; ++i)
      EXPECT_EQ(out[source * kCount + i], toAllInput(source, rank, i))
          << "rank " << rank << " block " << source;
}

void allGather(helix_comm *comm, Form form) {
  int rank = helix_comm_rank(comm), size = helix_comm_size(comm);
  std::vector<float> in(kCount), out(size * kCount, -1.0f);
  for (int64_t i = 0; i < kCount; ++i)
    in[i] = gatherInput(rank, i);
  if (form == Form::Blocking) {
    EXPECT_EQ(helix_comm_all_gather(comm, in.data(), out.data(), kCount),
              HELIX_OK);
  } else {
    helix_comm_request *request = nullptr;
    ASSERT_EQ(helix_comm_start_all_gather(comm, in.data(), out.data(), kCount,
                                          &request),
              HELIX_OK);
    // The contribution is copied at start: `in` may be reused before wait.
    std::fill(in.begin(), in.end(), -7.0f);
    EXPECT_EQ(helix_comm_wait(request), HELIX_OK);
  }
  for (int source = 0; source < size; ++source)
    for (int64_t i = 0; i < kCount; ++i)
      EXPECT_EQ(out[source * kCount + i], gatherInput(source, i));
}

class ThreadsCollectives : public testing::TestWithParam<int> {};

TEST_P(ThreadsCollectives, QueriesOfEveryRank) {
  int size = GetParam();
  std::vector<std::atomic<int>> seen(size);
  runWorld(size, kLongTimeoutMs, [&](helix_comm *comm) {
    EXPECT_EQ(helix_comm_size(comm), size);
    int rank = helix_comm_rank(comm);
    ASSERT_GE(rank, 0);
    ASSERT_LT(rank, size);
    ++seen[rank];
    EXPECT_STREQ(helix_comm_error(comm), "");
  });
  for (int rank = 0; rank < size; ++rank)
    EXPECT_EQ(seen[rank].load(), 1) << "rank " << rank;
}

TEST_P(ThreadsCollectives, AllReduceSum) {
  runWorld(GetParam(), kLongTimeoutMs,
           [](helix_comm *comm) { allReduce(comm, Form::Blocking); });
}

TEST_P(ThreadsCollectives, StartWaitAllReduceSum) {
  runWorld(GetParam(), kLongTimeoutMs,
           [](helix_comm *comm) { allReduce(comm, Form::StartWait); });
}

TEST_P(ThreadsCollectives, AllToAll) {
  runWorld(GetParam(), kLongTimeoutMs,
           [](helix_comm *comm) { allToAll(comm, Form::Blocking); });
}

TEST_P(ThreadsCollectives, StartWaitAllToAll) {
  runWorld(GetParam(), kLongTimeoutMs,
           [](helix_comm *comm) { allToAll(comm, Form::StartWait); });
}

TEST_P(ThreadsCollectives, AllGather) {
  runWorld(GetParam(), kLongTimeoutMs,
           [](helix_comm *comm) { allGather(comm, Form::Blocking); });
}

TEST_P(ThreadsCollectives, StartWaitAllGather) {
  runWorld(GetParam(), kLongTimeoutMs,
           [](helix_comm *comm) { allGather(comm, Form::StartWait); });
}

// Inexact sums: every rank gets the same bits, those of the rank-order sum.
TEST_P(ThreadsCollectives, AllReduceIsBitwiseIdenticalInRankOrder) {
  int size = GetParam();
  constexpr int64_t count = 64;
  auto input = [](int rank, int64_t i) {
    return 0.1f * float(rank + 1) + 1e-3f * float(i) / float(rank + 3);
  };
  std::vector<float> expected(count);
  for (int64_t i = 0; i < count; ++i) {
    expected[i] = input(0, i);
    for (int rank = 1; rank < size; ++rank)
      expected[i] += input(rank, i);
  }
  runWorld(size, kLongTimeoutMs, [&](helix_comm *comm) {
    int rank = helix_comm_rank(comm);
    std::vector<float> data(count);
    for (int64_t i = 0; i < count; ++i)
      data[i] = input(rank, i);
    ASSERT_EQ(helix_comm_all_reduce_sum(comm, data.data(), data.data(), count),
              HELIX_OK);
    EXPECT_EQ(std::memcmp(data.data(), expected.data(), count * sizeof(float)),
              0)
        << "rank " << rank;
  });
}

TEST_P(ThreadsCollectives, ZeroCountAndBarrier) {
  int size = GetParam();
  std::atomic<int> before{0};
  runWorld(size, kLongTimeoutMs, [&](helix_comm *comm) {
    EXPECT_EQ(helix_comm_all_reduce_sum(comm, nullptr, nullptr, 0), HELIX_OK);
    EXPECT_EQ(helix_comm_all_gather(comm, nullptr, nullptr, 0), HELIX_OK);
    for (int round = 1; round <= 3; ++round) {
      ++before;
      EXPECT_EQ(helix_comm_barrier(comm), HELIX_OK);
      // Nobody leaves a barrier before everyone reached it.
      EXPECT_GE(before.load(), round * size);
      EXPECT_EQ(helix_comm_barrier(comm), HELIX_OK);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, ThreadsCollectives,
                         testing::ValuesIn(worldSizes()),
                         [](const testing::TestParamInfo<int> &info) {
                           return "World" + std::to_string(info.param);
                         });

} // namespace
