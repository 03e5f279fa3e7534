//===- ThreadsInFlightTest.cpp - several collectives in flight at once ----===//
#include "ThreadsTestUtil.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using helix_test::kLongTimeoutMs;
using helix_test::runWorld;
using helix_test::worldSizes;

namespace {

constexpr int kInFlight = 6;
constexpr int64_t kCount = 3;

// Collective k (k < kInFlight) cycles through the three kinds; inputs name
// the rank, the collective and the element so a mix-up shows.
struct Pending {
  int kind = 0;
  std::vector<float> in, out;
  helix_comm_request *request = nullptr;
};

float value(int rank, int k, int64_t i) {
  return float(rank * 1000 + k * 10 + i);
}

Pending startCollective(helix_comm *comm, int k) {
  int rank = helix_comm_rank(comm), size = helix_comm_size(comm);
  Pending p;
  p.kind = k % 3;
  if (p.kind == 0) {
    p.in.resize(kCount);
    p.out.assign(kCount, -1.0f);
    for (int64_t i = 0; i < kCount; ++i)
      p.in[i] = value(rank, k, i);
    EXPECT_EQ(helix_comm_start_all_reduce_sum(comm, p.in.data(), p.out.data(),
                                              kCount, &p.request),
              HELIX_OK);
  } else if (p.kind == 1) {
    p.in.resize(size * kCount);
    p.out.assign(size * kCount, -1.0f);
    for (int j = 0; j < size; ++j)
      for (int64_t i = 0; i < kCount; ++i)
        p.in[j * kCount + i] = value(rank, k, i) + float(j) * 0.25f;
    EXPECT_EQ(helix_comm_start_all_to_all(comm, p.in.data(), p.out.data(),
                                          kCount, &p.request),
              HELIX_OK);
  } else {
    p.in.resize(kCount);
    p.out.assign(size * kCount, -1.0f);
    for (int64_t i = 0; i < kCount; ++i)
      p.in[i] = value(rank, k, i);
    EXPECT_EQ(helix_comm_start_all_gather(comm, p.in.data(), p.out.data(),
                                          kCount, &p.request),
              HELIX_OK);
  }
  return p;
}

void checkCollective(helix_comm *comm, int k, const Pending &p) {
  int rank = helix_comm_rank(comm), size = helix_comm_size(comm);
  for (int64_t i = 0; i < kCount; ++i) {
    if (p.kind == 0) {
      float sum = 0.0f;
      for (int r = 0; r < size; ++r)
        sum += value(r, k, i);
      EXPECT_EQ(p.out[i], sum) << "collective " << k;
      continue;
    }
    for (int r = 0; r < size; ++r) {
      float expected = value(r, k, i);
      if (p.kind == 1)
        expected += float(rank) * 0.25f;
      EXPECT_EQ(p.out[r * kCount + i], expected)
          << "collective " << k << " block " << r;
    }
  }
}

enum class WaitOrder { Started, Reversed, RotatedByRank };

void startAllThenWait(helix_comm *comm, WaitOrder order) {
  std::vector<Pending> pending;
  for (int k = 0; k < kInFlight; ++k)
    pending.push_back(startCollective(comm, k));
  std::vector<int> waitOrder(kInFlight);
  for (int k = 0; k < kInFlight; ++k)
    waitOrder[k] = k;
  if (order == WaitOrder::Reversed)
    std::reverse(waitOrder.begin(), waitOrder.end());
  if (order == WaitOrder::RotatedByRank)
    std::rotate(waitOrder.begin(),
                waitOrder.begin() + helix_comm_rank(comm) % kInFlight,
                waitOrder.end());
  for (int k : waitOrder) {
    EXPECT_EQ(helix_comm_wait(pending[k].request), HELIX_OK);
    checkCollective(comm, k, pending[k]);
  }
}

class ThreadsInFlight : public testing::TestWithParam<int> {};

TEST_P(ThreadsInFlight, WaitedInOrder) {
  runWorld(GetParam(), kLongTimeoutMs, [](helix_comm *comm) {
    startAllThenWait(comm, WaitOrder::Started);
  });
}

TEST_P(ThreadsInFlight, WaitedInReverse) {
  runWorld(GetParam(), kLongTimeoutMs, [](helix_comm *comm) {
    startAllThenWait(comm, WaitOrder::Reversed);
  });
}

TEST_P(ThreadsInFlight, EachRankWaitsInItsOwnOrder) {
  runWorld(GetParam(), kLongTimeoutMs, [](helix_comm *comm) {
    startAllThenWait(comm, WaitOrder::RotatedByRank);
  });
}

// The HOP-B loop: start micro-batch m + 1's collective before waiting m's,
// with blocking collectives mixed in between.
TEST_P(ThreadsInFlight, HopbPipeline) {
  runWorld(GetParam(), kLongTimeoutMs, [](helix_comm *comm) {
    constexpr int microBatches = 8;
    std::unique_ptr<Pending> current =
        std::make_unique<Pending>(startCollective(comm, 0));
    for (int m = 0; m < microBatches; ++m) {
      std::unique_ptr<Pending> next;
      if (m + 1 < microBatches)
        next = std::make_unique<Pending>(startCollective(comm, m + 1));
      EXPECT_EQ(helix_comm_barrier(comm), HELIX_OK);
      EXPECT_EQ(helix_comm_wait(current->request), HELIX_OK);
      checkCollective(comm, m, *current);
      current = std::move(next);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, ThreadsInFlight,
                         testing::ValuesIn(worldSizes()),
                         [](const testing::TestParamInfo<int> &info) {
                           return "World" + std::to_string(info.param);
                         });

} // namespace
