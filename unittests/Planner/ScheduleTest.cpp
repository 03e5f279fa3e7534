//===- ScheduleTest.cpp - HOP-B timeline ----------------------------------===//
#include "helix/Planner/Schedule.h"

#include <gtest/gtest.h>

using namespace helix::planner;

namespace {

TEST(Schedule, PaperFigureThreeLockstep) {
  // 8 requests, 2 units of compute then 1.2 units of all-to-all each, one
  // after the other: 8 * 3.2 = 25.6.
  std::vector<PhaseTime> serial(8, {2.0, 1.2});
  EXPECT_NEAR(stepSeconds({serial}), 25.6, 1e-9);
}

TEST(Schedule, PaperFigureThreeHopb) {
  // As 8 micro-batches: every exchange hides under the next compute; only
  // the last one is exposed: 8 * 2 + 1.2 = 17.2 (the paper's "about 17").
  std::vector<std::vector<PhaseTime>> program(8, {{2.0, 1.2}});
  EXPECT_NEAR(stepSeconds(program), 17.2, 1e-9);
}

TEST(Schedule, ShortSegmentsExposeTheirCollectives) {
  // Two micro-batches, a long phase then a short one, 5 units of comm after
  // each: the short phase of micro-batch 1 cannot cover micro-batch 0's
  // collective, so the compute stream waits.
  std::vector<std::vector<PhaseTime>> program(2, {{10, 5}, {1, 5}});
  // c0(m0) 0-10, c0(m1) 10-20, comm m0 10-15, comm m1 20-25;
  // c1(m0) 20-21, comm 25-30; c1(m1) 25-26, comm 30-35.
  EXPECT_NEAR(stepSeconds(program), 35.0, 1e-9);
}

TEST(Schedule, PureCollectivePhaseLeavesComputeFree) {
  // Micro-batch 0's second collective (no compute) must not block micro-batch
  // 1's compute.
  std::vector<std::vector<PhaseTime>> program = {
      {{1, 1}, {0, 10}, {1, 0}}, {{1, 1}, {0, 10}, {1, 0}}};
  // Computes 0-1 (m0) and 1-2 (m1); the comm stream in issue order: m0 1-2,
  // m1 2-3, m0 3-13, m1 13-23; the last computes run 13-14 and 23-24.
  EXPECT_NEAR(stepSeconds(program), 24.0, 1e-9);
}

TEST(Schedule, EmptyProgram) { EXPECT_EQ(stepSeconds({}), 0.0); }

} // namespace
