//===- HopbScheduleTest.cpp - HOP-B stream/event schedule -----------------===//
#include "HopbSchedule.h"

#include <gtest/gtest.h>

using namespace helix_rt::cuda::plan;

namespace {

TEST(HopbSchedule, TwoEventsPerMicrobatchEachWaitBindsRight) {
  for (int32_t m = 1; m <= 4; ++m)
    for (int32_t s = 1; s <= 6; ++s) {
      std::vector<Step> steps = hopbSchedule(s, m);
      EXPECT_EQ(steps.size(), size_t(s * m * 6 - m));
      Timeline t = simulate(steps, m, 1.0, 0.5);
      EXPECT_TRUE(t.ok) << t.error;
      for (const Step &step : steps)
        if (step.event >= 0)
          EXPECT_LT(step.event, hopbEventCount(m));
    }
}

TEST(HopbSchedule, OverlapExposesOnlyTheLastCollective) {
  // Compute 1.0, collective 0.6: with two micro-batches the compute stream
  // never idles after the first segment, so the step takes all the compute
  // plus the last collective.
  const int32_t segments = 3 * 4; // 4 layers x (a2a, AR, AR)
  Timeline two = simulate(hopbSchedule(segments, 2), 2, 1.0, 0.6);
  ASSERT_TRUE(two.ok) << two.error;
  EXPECT_DOUBLE_EQ(two.computeBusy, segments * 2 * 1.0);
  EXPECT_DOUBLE_EQ(two.makespan, segments * 2 * 1.0 + 0.6);
  // One micro-batch (of twice the rows) serializes: every collective shows.
  Timeline one = simulate(hopbSchedule(segments, 1), 1, 2.0, 0.6);
  ASSERT_TRUE(one.ok) << one.error;
  EXPECT_DOUBLE_EQ(one.makespan, segments * (2.0 + 0.6));
}

TEST(HopbSchedule, CommBoundStepIsLimitedByTheCommStream) {
  Timeline t = simulate(hopbSchedule(5, 2), 2, 0.2, 1.0);
  ASSERT_TRUE(t.ok) << t.error;
  EXPECT_DOUBLE_EQ(t.makespan, 0.2 + 5 * 2 * 1.0);
}

TEST(HopbSchedule, SimulatorCatchesAMisboundWait) {
  std::vector<Step> steps = hopbSchedule(2, 2);
  // Point micro-batch 1's compute at micro-batch 0's collective.
  for (Step &s : steps)
    if (s.kind == StepKind::Wait && s.stream == Stream::Compute &&
        s.microbatch == 1)
      s.event = commDoneEvent(0);
  Timeline t = simulate(steps, 2, 1.0, 1.0);
  EXPECT_FALSE(t.ok);
  EXPECT_NE(t.error.find("wrong record"), std::string::npos);
}

TEST(HopbSchedule, EmptyForBadArguments) {
  EXPECT_TRUE(hopbSchedule(0, 2).empty());
  EXPECT_TRUE(hopbSchedule(3, 0).empty());
}

} // namespace
