//===- FrontierTest.cpp - Pareto extraction and headline ratios -----------===//
#include "helix/Planner/Frontier.h"
#include "helix/Planner/Planner.h"

#include <gtest/gtest.h>

using namespace helix::planner;

namespace {

PlanPoint point(double user, double gpu) {
  PlanPoint p;
  p.feasible = true;
  p.tokensPerSecondPerUser = user;
  p.tokensPerSecondPerGpu = gpu;
  p.secondsPerToken = 1.0 / user;
  return p;
}

std::vector<std::pair<double, double>> pairs(const std::vector<PlanPoint> &f) {
  std::vector<std::pair<double, double>> out;
  for (const PlanPoint &p : f)
    out.push_back({p.tokensPerSecondPerUser, p.tokensPerSecondPerGpu});
  return out;
}

TEST(Frontier, KeepsOnlyUndominatedPoints) {
  std::vector<PlanPoint> all = {point(10, 100), point(20, 50), point(15, 40),
                                point(30, 10), point(5, 90), point(30, 5)};
  PlanPoint infeasible = point(100, 1000);
  infeasible.feasible = false;
  all.push_back(infeasible);
  std::vector<std::pair<double, double>> expected = {
      {10, 100}, {20, 50}, {30, 10}};
  EXPECT_EQ(pairs(paretoFrontier(all)), expected);
  EXPECT_TRUE(paretoFrontier({}).empty());
}

TEST(Frontier, StepFunctions) {
  std::vector<PlanPoint> f = paretoFrontier(
      {point(10, 100), point(20, 50), point(30, 10)});
  EXPECT_EQ(throughputAt(f, 12), 50);
  EXPECT_EQ(throughputAt(f, 10), 100);
  EXPECT_EQ(throughputAt(f, 25), 10);
  EXPECT_EQ(throughputAt(f, 31), 0);
  EXPECT_EQ(interactivityAt(f, 60), 10);
  EXPECT_EQ(interactivityAt(f, 50), 20);
  EXPECT_EQ(interactivityAt(f, 101), 0);
  EXPECT_EQ(maxInteractivity(f), 30);
}

TEST(Frontier, HeadlineByHand) {
  std::vector<PlanPoint> helix = {point(10, 100), point(40, 20)};
  std::vector<PlanPoint> plain = {point(8, 100), point(30, 20)};
  std::vector<PlanPoint> base = {point(5, 50), point(20, 5)};
  Headline h = headline(helix, plain, base);
  // 40 / 20.
  EXPECT_DOUBLE_EQ(h.interactivityGain, 2.0);
  // A target just above 5 tok/s/user: the baseline needs its 20-user point
  // (5 tok/s/GPU), Helix still runs its 100 tok/s/GPU point: 20x.
  EXPECT_NEAR(h.throughputGain, 20.0, 1e-9);
  // At 20 tok/s/GPU: 40 vs 30 tok/s/user.
  EXPECT_NEAR(h.hopbGain, 40.0 / 30.0 - 1.0, 1e-9);
}

TEST(Frontier, HeadlineWithoutOverlapIsZero) {
  Headline h = headline({point(10, 10)}, {point(10, 10)}, {});
  EXPECT_EQ(h.interactivityGain, 0);
  EXPECT_EQ(h.throughputGain, 0);
  EXPECT_EQ(h.hopbGain, 0);
}

TEST(Frontier, BestWithinATarget) {
  PlanResult result;
  result.frontiers.push_back(
      {"helix", paretoFrontier({point(10, 100), point(40, 20)})});
  // 40 tok/s/user = 25 ms/token; 10 tok/s/user = 100 ms.
  std::optional<PlanPoint> fast = bestWithin(result, "helix", 30);
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->tokensPerSecondPerGpu, 20);
  std::optional<PlanPoint> slow = bestWithin(result, "helix", 100);
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->tokensPerSecondPerGpu, 100);
  EXPECT_FALSE(bestWithin(result, "helix", 10));
  EXPECT_FALSE(bestWithin(result, "tp", 1000));
}

} // namespace
