//===- Planner.h - All strategies, their frontiers and the headline -*- C++ -*-===//
#ifndef HELIX_PLANNER_PLANNER_H
#define HELIX_PLANNER_PLANNER_H

#include "helix/Planner/Frontier.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace helix::planner {

struct PlanRequest {
  ModelShape model;
  Hardware hardware;
  Dtype dtype = Dtype::BF16;
  int64_t context = 0;
  int64_t maxGpus = 0;
};

struct PlanResult {
  /// In output order: helix, helix_no_hopb, baseline, then one per baseline
  /// strategy (tp, pp, dp_attn_ep, medha_kvp).
  std::vector<std::pair<std::string, std::vector<PlanPoint>>> frontiers;
  Headline headline;
  int64_t configurations = 0; // feasible (layout, batch) points evaluated

  const std::vector<PlanPoint> &frontier(const std::string &key) const;
};

PlanResult plan(const PlanRequest &request);

/// Highest tokens/s/GPU among the frontier points of `key` within
/// `msPerToken`; nullopt when none is fast enough.
std::optional<PlanPoint> bestWithin(const PlanResult &result,
                                    const std::string &key,
                                    double msPerToken);

} // namespace helix::planner

#endif // HELIX_PLANNER_PLANNER_H
