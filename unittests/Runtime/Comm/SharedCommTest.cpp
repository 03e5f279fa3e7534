//===- SharedCommTest.cpp - the shared comm's logic on the host twin ------===//
//
// runtime/src/comm/SharedComm.cpp drives the CUDA backend of ranks sharing
// a process; here it runs with the host twin engine (synchronous copies,
// events that fail a wait for a record they have moved past, copies that
// yield first). Each rank overwrites its `in` right after every wait, so a
// wait that returned before the peers had read it shows up as a wrong
// result; the twin's events catch an event recorded again too early.
//
//===----------------------------------------------------------------------===//
#include "comm/SharedComm.h"

#include "gtest/gtest.h"

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace helix_rt::comm;

namespace {

constexpr int64_t kLongTimeoutMs = 60000;
const float kPoison = std::numeric_limits<float>::quiet_NaN();

void runShared(int size, int64_t timeoutMs,
               const std::function<void(helix_comm *)> &body) {
  std::vector<std::unique_ptr<PeerEngine>> engines;
  for (int r = 0; r < size; ++r)
    engines.push_back(makeHostPeerEngine(/*jitter=*/true));
  std::vector<helix_comm *> ranks(size, nullptr);
  ASSERT_EQ(sharedCreate("shared-host", std::move(engines), timeoutMs,
                         ranks.data()),
            HELIX_OK);
  std::vector<std::thread> threads;
  for (helix_comm *comm : ranks)
    threads.emplace_back([&body, comm] { body(comm); });
  for (std::thread &thread : threads)
    thread.join();
  for (helix_comm *comm : ranks)
    helix_comm_destroy(comm);
}

// Rank r's value i of round `round` (exact in float).
float value(int round, int rank, int64_t i) {
  return float((round * 7 + rank * 13 + i * 3) % 1000);
}

struct Started {
  CollectiveKind kind;
  int64_t count;
  int round;
  std::vector<float> in, out;
  helix_comm_request *request = nullptr;
  bool inPlace = false;
};

void startOne(helix_comm *comm, Started &s) {
  int size = helix_comm_size(comm), rank = helix_comm_rank(comm);
  int64_t inCount = s.kind == CollectiveKind::AllToAll ? s.count * size
                                                       : s.count;
  int64_t outCount = s.kind == CollectiveKind::AllReduceSum ? s.count
                                                            : s.count * size;
  s.in.resize(size_t(inCount));
  for (int64_t i = 0; i < inCount; ++i)
    s.in[i] = value(s.round, rank, i);
  s.out.assign(size_t(outCount), kPoison);
  if (s.inPlace)
    s.out = s.in;
  float *out = s.inPlace ? s.in.data() : s.out.data();
  helix_status status = HELIX_OK;
  switch (s.kind) {
  case CollectiveKind::AllReduceSum:
    status = helix_comm_start_all_reduce_sum(comm, s.in.data(), out, s.count,
                                             &s.request);
    break;
  case CollectiveKind::AllToAll:
    status = helix_comm_start_all_to_all(comm, s.in.data(), out, s.count,
                                         &s.request);
    break;
  case CollectiveKind::AllGather:
    status = helix_comm_start_all_gather(comm, s.in.data(), out, s.count,
                                         &s.request);
    break;
  case CollectiveKind::Barrier:
    status = helix_comm_barrier(comm);
    break;
  }
  EXPECT_EQ(status, HELIX_OK) << helix_comm_error(comm);
}

// Waits, poisons `in` at once (peers must have read it), checks `out`.
void finishOne(helix_comm *comm, Started &s) {
  if (s.kind == CollectiveKind::Barrier)
    return;
  ASSERT_EQ(helix_comm_wait(s.request), HELIX_OK) << helix_comm_error(comm);
  if (s.inPlace)
    s.out = s.in;
  std::fill(s.in.begin(), s.in.end(), kPoison);
  int size = helix_comm_size(comm), rank = helix_comm_rank(comm);
  for (int j = 0; j < (s.kind == CollectiveKind::AllReduceSum ? 1 : size); ++j)
    for (int64_t i = 0; i < s.count; ++i) {
      float expected = 0;
      if (s.kind == CollectiveKind::AllReduceSum)
        for (int p = 0; p < size; ++p)
          expected += value(s.round, p, i);
      else if (s.kind == CollectiveKind::AllToAll)
        expected = value(s.round, j, int64_t(rank) * s.count + i);
      else
        expected = value(s.round, j, i);
      ASSERT_EQ(s.out[size_t(j * s.count + i)], expected)
          << collectiveName(s.kind) << " round " << s.round << " rank "
          << rank << " block " << j << " index " << i;
    }
}

const CollectiveKind kKinds[] = {CollectiveKind::AllReduceSum,
                                 CollectiveKind::AllToAll,
                                 CollectiveKind::AllGather,
                                 CollectiveKind::Barrier};

TEST(SharedCommTest, EveryCollectiveAtEverySize) {
  for (int size : {1, 2, 3, 4, 8})
    runShared(size, kLongTimeoutMs, [](helix_comm *comm) {
      int round = 0;
      for (CollectiveKind kind : kKinds)
        for (int64_t count : {0, 1, 5, 64})
          for (bool inPlace : {false, true}) {
            if (inPlace && kind != CollectiveKind::AllReduceSum)
              continue;
            Started s{kind, count, round++, {}, {}, nullptr, inPlace};
            startOne(comm, s);
            finishOne(comm, s);
          }
      EXPECT_STREQ(helix_comm_error(comm), "");
    });
}

// HOP-B's pattern over a grid's row and column groups: several collectives
// of both groups in flight, waited in another order than started.
TEST(SharedCommTest, InterleavedStartsOverSplitGroups) {
  const int rows = 2, cols = 3;
  runShared(rows * cols, kLongTimeoutMs, [&](helix_comm *world) {
    int rank = helix_comm_rank(world);
    helix_comm *row = nullptr, *col = nullptr, *none = nullptr;
    ASSERT_EQ(helix_comm_split(world, rank / cols, rank % cols, &row),
              HELIX_OK);
    ASSERT_EQ(helix_comm_split(world, rank % cols, rank / cols, &col),
              HELIX_OK);
    // Reversed keys and an empty group for ranks of negative color.
    helix_comm *odd = nullptr;
    ASSERT_EQ(helix_comm_split(world, rank % 2 ? 1 : -1, -rank, &odd),
              HELIX_OK);
    ASSERT_EQ(odd != nullptr, rank % 2 == 1);
    if (odd) {
      EXPECT_EQ(helix_comm_size(odd), rows * cols / 2);
      EXPECT_EQ(helix_comm_rank(odd), (rows * cols - 1 - rank) / 2);
    }
    std::mt19937 random(1234); // the same sequence on every rank
    for (int round = 0; round < 300; ++round) {
      helix_comm *groups[] = {row, col, odd ? odd : world};
      std::vector<Started> started;
      int inFlight = 1 + int(random() % 4);
      for (int k = 0; k < inFlight; ++k) {
        CollectiveKind kind = kKinds[random() % 3];
        int64_t count = int64_t(random() % 9);
        bool inPlace = kind == CollectiveKind::AllReduceSum && random() % 2;
        started.push_back({kind, count, round * 8 + k, {}, {}, nullptr,
                           inPlace});
      }
      // Group of each collective, the same on every rank; the odd group
      // only on its members (others use the world, in a separate order).
      std::vector<helix_comm *> on;
      for (int k = 0; k < inFlight; ++k)
        on.push_back(groups[random() % 2]);
      for (int k = 0; k < inFlight; ++k)
        startOne(on[k], started[k]);
      bool reverse = random() % 2;
      for (int k = 0; k < inFlight; ++k) {
        int i = reverse ? inFlight - 1 - k : k;
        finishOne(on[i], started[i]);
      }
      if (odd && round % 10 == 0) {
        Started s{CollectiveKind::AllGather, 3, round, {}, {}, nullptr, false};
        startOne(odd, s);
        finishOne(odd, s);
      }
    }
    EXPECT_STREQ(helix_comm_error(world), "");
    for (helix_comm *c : {row, col, odd, none})
      if (c)
        helix_comm_destroy(c);
  });
}

TEST(SharedCommTest, AbortWakesPeersWaitingToStart) {
  runShared(4, kLongTimeoutMs, [](helix_comm *comm) {
    std::vector<float> in(4, 1.0f), out(4);
    if (helix_comm_rank(comm) == 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      helix_comm_abort(comm, "rank 2 gave up");
      return;
    }
    EXPECT_EQ(helix_comm_all_reduce_sum(comm, in.data(), out.data(), 4),
              HELIX_ERROR_COMM);
    EXPECT_STREQ(helix_comm_error(comm), "rank 2 gave up");
  });
}

TEST(SharedCommTest, TimeoutNamesTheCollectiveAndTheMissingRanks) {
  runShared(3, 200, [](helix_comm *comm) {
    std::vector<float> in(6, 1.0f), out(6);
    if (helix_comm_rank(comm) == 1)
      return; // never arrives
    EXPECT_EQ(helix_comm_all_to_all(comm, in.data(), out.data(), 2),
              HELIX_ERROR_COMM);
    std::string error = helix_comm_error(comm);
    EXPECT_NE(error.find("all_to_all(count 2) #0 on the world communicator "
                         "timed out after 200 ms"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("ranks 1 did not start it"), std::string::npos)
        << error;
  });
}

TEST(SharedCommTest, MismatchedCollectivesFailTheWorld) {
  runShared(2, kLongTimeoutMs, [](helix_comm *comm) {
    std::vector<float> in(2, 1.0f), out(4);
    helix_status status =
        helix_comm_rank(comm) == 0
            ? helix_comm_all_gather(comm, in.data(), out.data(), 2)
            : helix_comm_all_reduce_sum(comm, in.data(), out.data(), 2);
    EXPECT_EQ(status, HELIX_ERROR_COMM);
    EXPECT_NE(std::string(helix_comm_error(comm)).find("mismatched"),
              std::string::npos);
  });
}

TEST(SharedCommTest, ExchangeGathersHostValues) {
  runShared(3, kLongTimeoutMs, [](helix_comm *comm) {
    std::vector<int64_t> values;
    std::vector<int> devices;
    ASSERT_EQ(sharedExchange(comm, 10 + helix_comm_rank(comm), values, devices),
              HELIX_OK);
    EXPECT_EQ(values, (std::vector<int64_t>{10, 11, 12}));
    EXPECT_EQ(devices, (std::vector<int>{0, 0, 0}));
  });
}

// The twin's own check: a wait for a record the event has moved past fails.
TEST(SharedCommTest, HostTwinRefusesAStaleRecord) {
  std::unique_ptr<PeerEngine> engine = makeHostPeerEngine(false);
  std::string error;
  void *event = engine->createEvent(error);
  PeerEvent first{event, 0};
  EXPECT_FALSE(engine->waitFor(Lane::Comm, first, error)); // never recorded
  ASSERT_TRUE(engine->record(Lane::Compute, event, first.token, error));
  EXPECT_TRUE(engine->waitFor(Lane::Comm, first, error));
  PeerEvent second{event, 0};
  ASSERT_TRUE(engine->record(Lane::Compute, event, second.token, error));
  EXPECT_FALSE(engine->waitFor(Lane::Comm, first, error));
  EXPECT_NE(error.find("recorded again"), std::string::npos) << error;
  engine->destroyEvent(event);
}

TEST(SharedCommTest, PublicHostCreateRunsCollectives) {
  std::vector<helix_comm *> ranks(2, nullptr);
  ASSERT_EQ(helix_comm_shared_host_create(2, 0, ranks.data()), HELIX_OK);
  std::vector<std::thread> threads;
  for (helix_comm *comm : ranks)
    threads.emplace_back([comm] {
      float in[2] = {1.0f + float(helix_comm_rank(comm)), 2.0f};
      float out[2];
      EXPECT_EQ(helix_comm_all_reduce_sum(comm, in, out, 2), HELIX_OK);
      EXPECT_EQ(out[0], 3.0f);
      EXPECT_EQ(out[1], 4.0f);
    });
  for (std::thread &t : threads)
    t.join();
  for (helix_comm *comm : ranks)
    helix_comm_destroy(comm);
  EXPECT_EQ(helix_comm_shared_host_create(0, 0, ranks.data()),
            HELIX_ERROR_INVALID_ARGUMENT);
}

} // namespace
