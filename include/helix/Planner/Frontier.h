//===- Frontier.h - Pareto frontiers and the headline ratios ----*- C++ -*-===//
#ifndef HELIX_PLANNER_FRONTIER_H
#define HELIX_PLANNER_FRONTIER_H

#include "helix/Planner/Evaluate.h"

#include <vector>

namespace helix::planner {

/// Points not beaten on both tokens/s/user and tokens/s/GPU, sorted by
/// increasing tokens/s/user.
std::vector<PlanPoint> paretoFrontier(const std::vector<PlanPoint> &points);

/// Best tokens/s/GPU among frontier points with tokens/s/user >= `user`
/// (0 when none reaches it).
double throughputAt(const std::vector<PlanPoint> &frontier, double user);
/// Best tokens/s/user among frontier points with tokens/s/GPU >= `gpu`
/// (0 when none reaches it).
double interactivityAt(const std::vector<PlanPoint> &frontier, double gpu);
double maxInteractivity(const std::vector<PlanPoint> &frontier);

struct Headline {
  double interactivityGain = 0; // max user rate, Helix / best baseline
  double throughputGain = 0;    // max over shared user targets of GPU rates
  double hopbGain = 0;          // max over GPU rates of user-rate gain - 1
};

/// Both step functions are compared at every breakpoint of the first
/// frontier, which is where their ratio peaks.
Headline headline(const std::vector<PlanPoint> &helix,
                  const std::vector<PlanPoint> &helixNoHopb,
                  const std::vector<PlanPoint> &baseline);

} // namespace helix::planner

#endif // HELIX_PLANNER_FRONTIER_H
