//===- Evaluate.h - One layout at one batch: feasible? how fast? -*- C++ -*-===//
#ifndef HELIX_PLANNER_EVALUATE_H
#define HELIX_PLANNER_EVALUATE_H

#include "helix/Planner/LayerCost.h"

#include <string>

namespace helix::planner {

struct PlanPoint {
  Layout layout;
  int64_t batch = 0; // concurrent requests (users)
  bool feasible = false;
  MemoryUse memory;
  double secondsPerToken = 0; // per user, token to token
  double tokensPerSecondPerUser = 0;
  double tokensPerSecondPerGpu = 0;
};

/// Why `layout` cannot run `model` (empty when it can). Mirrors the
/// sharding passes' rules: kvp*tpa = tpf*ep, tpa divides the KV heads (1 for
/// MLA), query heads divisible by the head split, FFN widths by their TP,
/// experts by ep.
std::string layoutProblem(const ModelShape &model, const Layout &layout);

/// Memory check and step time (HOP-B timeline for Helix). `batch` must be a
/// multiple of layout.dp and layout.pp; micro-batches may be uneven.
PlanPoint evaluate(const CostContext &ctx, const Layout &layout,
                   int64_t batch);

} // namespace helix::planner

#endif // HELIX_PLANNER_EVALUATE_H
