//===- StepGraphsTest.cpp - the plan of recorded and replayed steps -------===//
//
// runtime/src/module/StepGraphs.h: a shape is recorded only after an eager
// step of it left the device as it was; its recording is replayed until
// the device's state changes or it is evicted; every recording is
// released exactly once; the length bound covers the length with at most
// 1/8 to spare.
//
//===----------------------------------------------------------------------===//
#include "../../../runtime/src/module/StepGraphs.h"

#include <gtest/gtest.h>

#include <map>

using namespace helix_rt;
using Action = StepGraphs::Action;

namespace {

/// Recordings are numbered; releasing one counts it.
struct Released {
  std::map<intptr_t, int> times;
  std::function<void(Recording &)> fn() {
    return [this](Recording &r) { ++times[reinterpret_cast<intptr_t>(r.graph)]; };
  }
};

Recording numbered(intptr_t id) {
  Recording r;
  r.graph = reinterpret_cast<void *>(id);
  return r;
}

TEST(LengthBucket, CoversTheLengthWithAtMostAnEighthToSpare) {
  EXPECT_EQ(lengthBucket(1), 256);
  EXPECT_EQ(lengthBucket(256), 256);
  EXPECT_EQ(lengthBucket(257), 288);
  EXPECT_EQ(lengthBucket(512), 512);
  EXPECT_EQ(lengthBucket(513), 576);
  int64_t previous = 0;
  for (int64_t n = 1; n <= (1 << 21); n += n / 97 + 1) {
    int64_t b = lengthBucket(n);
    EXPECT_GE(b, n);
    EXPECT_GE(b, previous) << "not monotone at " << n;
    if (n > 256)
      EXPECT_LE(b - n, n / 8) << n;
    EXPECT_EQ(lengthBucket(b), b) << "a bound is its own bucket";
    previous = b;
  }
  EXPECT_EQ(lengthBucket(int64_t(1) << 40), int64_t(1) << 40);
}

TEST(StepGraphs, RecordsOnlyAfterAnEagerStepThatChangedNothing) {
  Released released;
  StepGraphs graphs(4, released.fn());
  StepShape shape{4, 256};
  EXPECT_EQ(graphs.plan(shape, 0), Action::Eager);
  graphs.ranEagerly(shape, 0, 1); // made a table: not yet
  EXPECT_EQ(graphs.plan(shape, 1), Action::Eager);
  graphs.ranEagerly(shape, 1, 1);
  EXPECT_EQ(graphs.plan(shape, 1), Action::Record);
  EXPECT_EQ(graphs.recorded(shape, numbered(1), 1).graph,
            reinterpret_cast<void *>(1));
  const Recording *found = nullptr;
  for (int step = 0; step < 3; ++step) {
    EXPECT_EQ(graphs.plan(shape, 1, &found), Action::Replay);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->graph, reinterpret_cast<void *>(1));
  }
  EXPECT_EQ(graphs.recordedCount(), 1);
  EXPECT_EQ(graphs.replayedCount(), 3);
  EXPECT_TRUE(released.times.empty());
}

TEST(StepGraphs, AnotherShapeIsItsOwnRecording) {
  Released released;
  StepGraphs graphs(4, released.fn());
  StepShape a{4, 256}, b{4, 288}, c{2, 256};
  for (StepShape s : {a, b, c}) {
    EXPECT_EQ(graphs.plan(s, 0), Action::Eager);
    graphs.ranEagerly(s, 0, 0);
  }
  graphs.recorded(a, numbered(1), 0);
  EXPECT_EQ(graphs.plan(b, 0), Action::Record);
  EXPECT_EQ(graphs.plan(c, 0), Action::Record);
  const Recording *found = nullptr;
  EXPECT_EQ(graphs.plan(a, 0, &found), Action::Replay);
  EXPECT_EQ(found->graph, reinterpret_cast<void *>(1));
}

TEST(StepGraphs, ANewGenerationReleasesEveryRecording) {
  Released released;
  StepGraphs graphs(4, released.fn());
  StepShape a{1, 256}, b{8, 256};
  graphs.ranEagerly(a, 0, 0);
  graphs.ranEagerly(b, 0, 0);
  graphs.recorded(a, numbered(1), 0);
  graphs.recorded(b, numbered(2), 0);
  // Another shape's eager step grew a workspace: both may point to it.
  EXPECT_EQ(graphs.plan(a, 1), Action::Eager);
  EXPECT_EQ(graphs.size(), 0u);
  EXPECT_EQ(released.times[1], 1);
  EXPECT_EQ(released.times[2], 1);
  // Warm only for the old generation: eager again before a new recording.
  EXPECT_EQ(graphs.plan(b, 1), Action::Eager);
  graphs.ranEagerly(b, 1, 1);
  EXPECT_EQ(graphs.plan(b, 1), Action::Record);
}

TEST(StepGraphs, EvictsTheLeastRecentlyUsed) {
  Released released;
  StepGraphs graphs(2, released.fn());
  StepShape a{1, 256}, b{2, 256}, c{3, 256};
  for (StepShape s : {a, b, c})
    graphs.ranEagerly(s, 0, 0);
  graphs.recorded(a, numbered(1), 0);
  graphs.recorded(b, numbered(2), 0);
  EXPECT_EQ(graphs.plan(a, 0), Action::Replay); // a is now the most recent
  graphs.recorded(c, numbered(3), 0);
  EXPECT_EQ(graphs.size(), 2u);
  EXPECT_EQ(released.times[2], 1);
  EXPECT_EQ(released.times.count(1), 0u);
  EXPECT_EQ(graphs.plan(a, 0), Action::Replay);
  EXPECT_EQ(graphs.plan(c, 0), Action::Replay);
  // An evicted shape is no longer warm: eager first, as a new shape.
  EXPECT_EQ(graphs.plan(b, 0), Action::Eager);
}

TEST(StepGraphs, ReleasesWhatItKeepsWhenDestroyed) {
  Released released;
  {
    StepGraphs graphs(4, released.fn());
    graphs.recorded({1, 256}, numbered(1), 0);
    graphs.recorded({2, 256}, numbered(2), 0);
  }
  EXPECT_EQ(released.times[1], 1);
  EXPECT_EQ(released.times[2], 1);
}

TEST(StepGraphs, ForgetsOldWarmShapes) {
  Released released;
  StepGraphs graphs(4, released.fn());
  // A long decode passes through many buckets; the plan does not grow.
  for (int64_t bound = 256; bound < 256 + 1000 * 32; bound += 32)
    graphs.ranEagerly({1, bound}, 0, 0);
  EXPECT_EQ(graphs.plan({1, 256 + 999 * 32}, 0), Action::Record);
}

} // namespace
