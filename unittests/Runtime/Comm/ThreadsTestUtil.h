//===- ThreadsTestUtil.h - run one function per rank of a threads world ---===//
#ifndef HELIX_UNITTESTS_RUNTIME_COMM_THREADSTESTUTIL_H
#define HELIX_UNITTESTS_RUNTIME_COMM_THREADSTESTUTIL_H

#include "helix_rt/comm.h"

#include "gtest/gtest.h"

#include <functional>
#include <thread>
#include <vector>

namespace helix_test {

// The world sizes every collective is checked at.
inline const std::vector<int> &worldSizes() {
  static const std::vector<int> sizes = {1, 2, 3, 4, 8};
  return sizes;
}

// Creates a world, runs body(comm) on one thread per rank, joins and
// destroys. gtest assertions are thread-safe; a failed ASSERT only returns
// from that rank's body, so bodies that can block should use EXPECT.
inline void runWorld(int size, int64_t timeoutMs,
                     const std::function<void(helix_comm *)> &body) {
  std::vector<helix_comm *> ranks(size, nullptr);
  ASSERT_EQ(helix_comm_threads_create(size, timeoutMs, ranks.data()), HELIX_OK);
  std::vector<std::thread> threads;
  for (helix_comm *comm : ranks)
    threads.emplace_back([&body, comm] { body(comm); });
  for (std::thread &thread : threads)
    thread.join();
  for (helix_comm *comm : ranks)
    helix_comm_destroy(comm);
}

// A generous timeout for tests that must not time out (they finish in ms).
constexpr int64_t kLongTimeoutMs = 60000;

} // namespace helix_test

#endif // HELIX_UNITTESTS_RUNTIME_COMM_THREADSTESTUTIL_H
