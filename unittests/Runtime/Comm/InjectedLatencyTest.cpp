//===- InjectedLatencyTest.cpp - helix_comm_set_injected_latency_us ------===//
//
// With a latency L injected, a collective completes no earlier than L after
// its start, and compute between start and wait overlaps it (the wait only
// sleeps out the rest), as on a real interconnect (issue #13).
//
//===----------------------------------------------------------------------===//
#include "ThreadsTestUtil.h"

#include <chrono>
#include <thread>
#include <vector>

using namespace helix_test;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

struct LatencyScope {
  explicit LatencyScope(int64_t us) { helix_comm_set_injected_latency_us(us); }
  ~LatencyScope() { helix_comm_set_injected_latency_us(0); }
};

TEST(InjectedLatency, BlockingCollectivesTakeAtLeastTheLatency) {
  LatencyScope latency(20000); // 20 ms
  EXPECT_EQ(helix_comm_injected_latency_us(), 20000);
  runWorld(3, kLongTimeoutMs, [](helix_comm *comm) {
    std::vector<float> in(8, 1.0f), out(8 * 3);
    auto start = Clock::now();
    EXPECT_EQ(helix_comm_all_reduce_sum(comm, in.data(), out.data(), 8),
              HELIX_OK);
    EXPECT_GE(msSince(start), 20.0);
    EXPECT_EQ(out[0], 3.0f); // and the result is still right
    start = Clock::now();
    EXPECT_EQ(helix_comm_all_gather(comm, in.data(), out.data(), 8), HELIX_OK);
    EXPECT_GE(msSince(start), 20.0);
    start = Clock::now();
    EXPECT_EQ(helix_comm_barrier(comm), HELIX_OK);
    EXPECT_GE(msSince(start), 20.0);
  });
}

TEST(InjectedLatency, ComputeBetweenStartAndWaitOverlapsIt) {
  LatencyScope latency(200000); // 200 ms
  runWorld(2, kLongTimeoutMs, [](helix_comm *comm) {
    std::vector<float> in(4, 1.0f), out(4);
    auto start = Clock::now();
    helix_comm_request *request = nullptr;
    ASSERT_EQ(helix_comm_start_all_reduce_sum(comm, in.data(), out.data(), 4,
                                              &request),
              HELIX_OK);
    // 100 ms of "compute" (a sleep: no core held) inside the 200 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(helix_comm_wait(request), HELIX_OK);
    const double total = msSince(start);
    EXPECT_GE(total, 200.0);
    // Not latency + compute (300 ms): they overlapped (80 ms of slack for
    // a loaded machine).
    EXPECT_LT(total, 280.0);
  });
}

TEST(InjectedLatency, OffByDefault) {
  EXPECT_EQ(helix_comm_injected_latency_us(), 0);
  runWorld(2, kLongTimeoutMs, [](helix_comm *comm) {
    auto start = Clock::now();
    for (int i = 0; i < 20; ++i)
      EXPECT_EQ(helix_comm_barrier(comm), HELIX_OK);
    EXPECT_LT(msSince(start), 1000.0); // no latency added (generous bound)
  });
}

} // namespace
