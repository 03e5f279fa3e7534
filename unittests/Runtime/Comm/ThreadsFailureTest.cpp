//===- ThreadsFailureTest.cpp - abort, timeouts and bad arguments ---------===//
#include "ThreadsTestUtil.h"

#include "gmock/gmock.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using helix_test::kLongTimeoutMs;
using helix_test::runWorld;
using testing::HasSubstr;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(ThreadsFailure, AbortUnblocksEveryWaiterWithTheReason) {
  const char *reason = "rank 0: out of KV blocks";
  std::atomic<int> calling{0};
  Clock::time_point start = Clock::now();
  runWorld(4, kLongTimeoutMs, [&](helix_comm *comm) {
    int rank = helix_comm_rank(comm);
    float x = 1.0f, y = 0.0f;
    if (rank == 0) {
      // Abort once the others are (about to be) blocked in a collective.
      while (calling.load() < 3)
        std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      helix_comm_abort(comm, reason);
      helix_comm_abort(comm, "a later reason is dropped");
    } else if (rank == 1) {
      // A pending start/wait request wakes too.
      helix_comm_request *request = nullptr;
      ++calling;
      helix_status status =
          helix_comm_start_all_reduce_sum(comm, &x, &y, 1, &request);
      if (status == HELIX_OK)
        status = helix_comm_wait(request);
      EXPECT_EQ(status, HELIX_ERROR_COMM);
    } else {
      ++calling;
      EXPECT_EQ(helix_comm_all_reduce_sum(comm, &x, &y, 1), HELIX_ERROR_COMM);
    }
    EXPECT_STREQ(helix_comm_error(comm), reason);
    // Every later call fails the same way.
    helix_comm *sub = nullptr;
    helix_comm_request *request = nullptr;
    EXPECT_EQ(helix_comm_barrier(comm), HELIX_ERROR_COMM);
    EXPECT_EQ(helix_comm_split(comm, 0, 0, &sub), HELIX_ERROR_COMM);
    EXPECT_EQ(sub, nullptr);
    EXPECT_EQ(helix_comm_start_all_reduce_sum(comm, &x, &y, 1, &request),
              HELIX_ERROR_COMM);
    EXPECT_EQ(request, nullptr);
  });
  EXPECT_LT(secondsSince(start), 10.0);
}

// An abort on a sub-communicator fails the whole world.
TEST(ThreadsFailure, AbortOnSplitFailsTheWorld) {
  std::atomic<int> splitDone{0};
  runWorld(4, kLongTimeoutMs, [&](helix_comm *world) {
    int rank = helix_comm_rank(world);
    helix_comm *pair = nullptr;
    ASSERT_EQ(helix_comm_split(world, rank / 2, rank, &pair), HELIX_OK);
    ++splitDone;
    float x = 1.0f, y = 0.0f;
    // An abort fails pending calls too: let every split return first.
    if (rank == 3) {
      while (splitDone.load() < 4)
        std::this_thread::yield();
      helix_comm_abort(pair, "pair 1 failed");
    } else
      EXPECT_EQ(helix_comm_all_reduce_sum(world, &x, &y, 1), HELIX_ERROR_COMM);
    EXPECT_STREQ(helix_comm_error(world), "pair 1 failed");
    EXPECT_STREQ(helix_comm_error(pair), "pair 1 failed");
    EXPECT_EQ(helix_comm_all_reduce_sum(pair, &x, &y, 1), HELIX_ERROR_COMM);
    helix_comm_destroy(pair);
  });
}

TEST(ThreadsFailure, MissingRankTimesOut) {
  Clock::time_point start = Clock::now();
  runWorld(3, 300, [](helix_comm *comm) {
    int rank = helix_comm_rank(comm);
    float x = 1.0f, y = 0.0f;
    if (rank == 2) {
      // Arrives only after the others gave up: the world is failed by then.
      std::this_thread::sleep_for(std::chrono::milliseconds(900));
    }
    EXPECT_EQ(helix_comm_all_reduce_sum(comm, &x, &y, 1), HELIX_ERROR_COMM);
    std::string error = helix_comm_error(comm);
    EXPECT_THAT(error, HasSubstr("all_reduce_sum(count 1) #0"));
    EXPECT_THAT(error, HasSubstr("world communicator"));
    EXPECT_THAT(error, HasSubstr("timed out after 300 ms"));
    // Normally "ranks 2"; "ranks 1, 2" if a thread started very late.
    EXPECT_THAT(error, HasSubstr("2 did not arrive"));
  });
  EXPECT_LT(secondsSince(start), 10.0);
}

// On a sub-communicator the message also names the world ranks.
TEST(ThreadsFailure, TimeoutOnSplitNamesWorldRanks) {
  runWorld(4, 300, [](helix_comm *world) {
    int rank = helix_comm_rank(world);
    helix_comm *parity = nullptr;
    ASSERT_EQ(helix_comm_split(world, rank % 2, rank, &parity), HELIX_OK);
    std::vector<float> out(2);
    float x = 1.0f;
    // World rank 1 gathers over {1, 3}; world rank 3 never comes.
    if (rank == 1)
      EXPECT_EQ(helix_comm_all_gather(parity, &x, out.data(), 1),
                HELIX_ERROR_COMM);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(900));
    std::string error = helix_comm_error(world);
    EXPECT_THAT(error, HasSubstr("all_gather(count 1) #0 on a 2-rank "
                                 "communicator of world ranks 1, 3"));
    EXPECT_THAT(error, HasSubstr("ranks 1 (world ranks 3) did not arrive"));
    helix_comm_destroy(parity);
  });
}

TEST(ThreadsFailure, MismatchedCollectivesFailTheWorld) {
  runWorld(2, kLongTimeoutMs, [](helix_comm *comm) {
    std::vector<float> in(2, 1.0f), out(4, 0.0f);
    helix_status status =
        helix_comm_rank(comm) == 0
            ? helix_comm_all_gather(comm, in.data(), out.data(), 2)
            : helix_comm_all_reduce_sum(comm, in.data(), out.data(), 2);
    EXPECT_EQ(status, HELIX_ERROR_COMM);
    EXPECT_THAT(helix_comm_error(comm), HasSubstr("mismatched collectives"));
  });
}

TEST(ThreadsFailure, BadArgumentsFailOnlyTheCall) {
  helix_comm *comm = nullptr;
  ASSERT_EQ(helix_comm_threads_create(1, 0, &comm), HELIX_OK);
  std::vector<float> buffer(8, 1.0f);
  helix_comm_request *request = nullptr;
  EXPECT_EQ(helix_comm_all_reduce_sum(comm, buffer.data(), buffer.data(), -1),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(helix_comm_error(comm), HasSubstr("negative count"));
  EXPECT_EQ(helix_comm_all_gather(comm, nullptr, buffer.data(), 2),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(helix_comm_error(comm), HasSubstr("null buffer"));
  EXPECT_EQ(helix_comm_all_to_all(comm, buffer.data(), buffer.data(), 2),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(helix_comm_error(comm), HasSubstr("overlap"));
  EXPECT_EQ(
      helix_comm_all_reduce_sum(comm, buffer.data(), buffer.data() + 1, 4),
      HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(helix_comm_start_all_gather(comm, buffer.data(), buffer.data() + 4,
                                        2, nullptr),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(helix_comm_split(comm, 0, 0, nullptr),
            HELIX_ERROR_INVALID_ARGUMENT);
  // The world is healthy: the next collective works.
  EXPECT_EQ(helix_comm_start_all_reduce_sum(comm, buffer.data(), buffer.data(),
                                            8, &request),
            HELIX_OK);
  EXPECT_EQ(helix_comm_wait(request), HELIX_OK);
  EXPECT_EQ(buffer[0], 1.0f);
  helix_comm_destroy(comm);

  // Calls without a communicator keep their message per thread.
  EXPECT_EQ(helix_comm_barrier(nullptr), HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(helix_comm_error(nullptr), HasSubstr("null communicator"));
  EXPECT_EQ(helix_comm_wait(nullptr), HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(helix_comm_threads_create(0, 0, &comm),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(helix_comm_error(nullptr), HasSubstr("world size 0"));
  EXPECT_EQ(helix_comm_threads_create(2, -1, &comm),
            HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(helix_comm_rank(nullptr), -1);
  EXPECT_EQ(helix_comm_size(nullptr), -1);
  helix_comm_abort(nullptr, "ignored");
  helix_comm_destroy(nullptr);
}

#ifdef HELIX_TEST_WITHOUT_MPI
TEST(ThreadsFailure, MpiIsUnavailableWithoutMpi) {
  helix_comm *comm = reinterpret_cast<helix_comm *>(&comm);
  EXPECT_EQ(helix_comm_mpi_create(&comm), HELIX_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(comm, nullptr);
  EXPECT_STREQ(helix_comm_error(nullptr), "this runtime was built without MPI");
  helix_comm_mpi_finalize();
}
#endif

} // namespace
