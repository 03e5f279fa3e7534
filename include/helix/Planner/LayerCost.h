//===- LayerCost.h - Per-GPU work of one decode layer, phase by phase -*- C++ -*-===//
//
// A layer is a short list of phases; each phase is compute on one GPU
// (weights + KV read, GEMM and attention FLOPs, kernel launches) followed by
// at most one collective. The phase boundaries are exactly where the
// compiler's schedule places its collectives, so the HOP-B timeline
// (Schedule.h) can overlap them.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_PLANNER_LAYERCOST_H
#define HELIX_PLANNER_LAYERCOST_H

#include "helix/Planner/Dtype.h"
#include "helix/Planner/Hardware.h"
#include "helix/Planner/Layout.h"
#include "helix/Model/ModelShape.h"

#include <vector>

namespace helix::planner {

enum class CollectiveKind { None, AllReduce, AllGather, AllToAll, ReduceScatter };

struct Collective {
  CollectiveKind kind = CollectiveKind::None;
  int64_t ranks = 1;
  int64_t span = 1;  // consecutive GPU ids the group covers (domain check)
  double bytes = 0;  // AllReduce/AllToAll: per-rank buffer; gathers: result
};

struct Phase {
  const char *name = "";
  int kernels = 0;
  double weightBytes = 0;
  double kvBytes = 0;
  double gemmFlops = 0;
  double attentionFlops = 0;
  Collective comm;
};

/// What every cost function needs besides the layout.
struct CostContext {
  const ModelShape &model;
  const Hardware &hw;
  Dtype dtype;
  int64_t context; // KV tokens per request (S)
};

/// Phases of one layer for a micro-batch of `requests` attention requests on
/// this GPU and `ffnTokens` tokens entering the FFN (they differ only for
/// data-parallel attention).
std::vector<Phase> layerPhases(const CostContext &ctx, const Layout &layout,
                               bool moeLayer, double requests,
                               double ffnTokens);
/// Final norm, LM head (vocabulary-parallel) and the arg-max exchange.
Phase lmHeadPhase(const CostContext &ctx, const Layout &layout,
                  double tokens);

/// kernels * overhead + max(bytes / BW, GEMM FLOPs / peak + attention FLOPs /
/// attention peak).
double computeSeconds(const Phase &phase, const Hardware &hw, Dtype dtype);
/// alpha(ranks, span) + bytes on the wire / link bandwidth.
double collectiveSeconds(const Collective &comm, const Hardware &hw);

/// Bytes held per GPU: weights of its layers, KV of its requests, workspace.
struct MemoryUse {
  double weights = 0;
  double kv = 0;
  double workspace = 0;
  double total() const { return weights + kv + workspace; }
};
MemoryUse memoryPerGpu(const CostContext &ctx, const Layout &layout,
                       int64_t batch);

/// GPUs that run one attention stage (everything but the pipeline).
int64_t stageGpus(const Layout &layout);

} // namespace helix::planner

#endif // HELIX_PLANNER_LAYERCOST_H
