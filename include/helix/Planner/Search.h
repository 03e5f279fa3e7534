//===- Search.h - Enumerate layouts and batches per strategy ----*- C++ -*-===//
#ifndef HELIX_PLANNER_SEARCH_H
#define HELIX_PLANNER_SEARCH_H

#include "helix/Planner/Evaluate.h"

#include <vector>

namespace helix::planner {

/// Every valid layout of `strategy` on 1..maxGpus GPUs (Helix: every
/// micro-batch count in {1, 2, 4, 8}; MLA merges in latent space, as the
/// compiler's helix-shard-attention does).
std::vector<Layout> enumerateLayouts(const ModelShape &model,
                                     Strategy strategy, int64_t maxGpus);

/// Batch sizes tried: 1..16, then growing by ~12% (every batch is a
/// multiple of `unit`, the data-parallel or pipeline degree).
std::vector<int64_t> batchSweep(int64_t unit, int64_t maxBatch = 1 << 16);

/// Feasible points of every layout in `layouts` over the batch sweep; stops
/// a layout's sweep at the first batch that does not fit in memory.
std::vector<PlanPoint> sweep(const CostContext &ctx,
                             const std::vector<Layout> &layouts);

} // namespace helix::planner

#endif // HELIX_PLANNER_SEARCH_H
