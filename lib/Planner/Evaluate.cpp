//===- Evaluate.cpp - One layout at one batch: feasible? how fast? --------===//
#include "helix/Planner/Evaluate.h"

#include "helix/Planner/Schedule.h"
#include "helix/Sharding/Layout.h"

#include <cmath>

namespace helix::planner {

std::string layoutProblem(const ModelShape &m, const Layout &l) {
  // A Helix layout is what the compiler runs: its rules, not a copy of them.
  if (l.strategy == Strategy::Helix) {
    if (l.dp != 1 || l.pp != 1)
      return "a Helix layout has no data or pipeline parallelism";
    std::optional<std::string> why = sharding::validateLayout(l.helix(), m);
    return why ? *why : "";
  }
  auto divides = [](int64_t d, int64_t n) { return d >= 1 && n % d == 0; };
  int64_t group = stageGpus(l);
  if (l.kvp < 1 || l.tpa < 1 || l.dp < 1 || l.tpf < 1 || l.ep < 1 ||
      l.pp < 1 || l.microbatches < 1)
    return "every degree must be >= 1";
  if (l.strategy == Strategy::Medha) {
    if (l.tpf != l.tpa || l.ep != 1)
      return "Medha ties the FFN to the attention TP group (tpf = tpa, ep = 1)";
  } else if (l.tpf * l.ep != group) {
    return "tpf*ep must equal the attention GPUs (kvp*tpa*dp)";
  }
  if (l.strategy != Strategy::TensorParallel &&
      l.strategy != Strategy::Pipeline && !divides(l.tpa, m.kvHeads))
    return m.mla ? "tpa must be 1 for MLA (one shared latent)"
                 : "tpa must divide the KV heads";
  if (!divides(l.tpa, m.queryHeads))
    return "tpa must divide the query heads";
  if (l.strategy == Strategy::Helix && !divides(group, m.queryHeads))
    return "kvp*tpa must divide the query heads";
  if (m.moeLayers > 0 && !divides(l.ep, m.experts))
    return "ep must divide the routed experts";
  if (m.moeLayers == 0 && l.ep != 1)
    return "ep > 1 needs a mixture-of-experts model";
  if (m.moeLayers > 0 && !divides(l.tpf, m.expertFfn))
    return "tpf must divide the expert FFN width";
  int64_t denseTp = (l.strategy == Strategy::Helix ||
                     l.strategy == Strategy::DataParallelAttention)
                        ? group
                        : l.tpa;
  if (m.denseLayers() > 0 && !divides(denseTp, m.denseFfn))
    return "the dense FFN width must be divisible by its TP degree";
  if (l.pp > m.layers)
    return "more pipeline stages than layers";
  if (l.microbatches > 1 && l.strategy != Strategy::Helix)
    return "micro-batches (HOP-B) are a Helix schedule";
  return "";
}

namespace {

std::vector<PhaseTime> timesOf(const CostContext &ctx,
                               const std::vector<Phase> &phases) {
  std::vector<PhaseTime> out;
  out.reserve(phases.size());
  for (const Phase &p : phases)
    out.push_back({computeSeconds(p, ctx.hw, ctx.dtype),
                   collectiveSeconds(p.comm, ctx.hw)});
  return out;
}

/// One micro-batch's phases for the whole step: dense layers first (as
/// DeepSeek's first_k_dense_replace), then MoE layers, then the LM head.
std::vector<PhaseTime> stepProgram(const CostContext &ctx, const Layout &l,
                                   int64_t layers, double requests,
                                   double ffnTokens, bool withHead) {
  const ModelShape &m = ctx.model;
  int64_t moe = m.layers ? (m.moeLayers * layers + m.layers - 1) / m.layers
                         : 0;
  std::vector<PhaseTime> dense =
      timesOf(ctx, layerPhases(ctx, l, false, requests, ffnTokens));
  std::vector<PhaseTime> expert =
      timesOf(ctx, layerPhases(ctx, l, true, requests, ffnTokens));
  // Pad both layer kinds to the same phase count so that micro-batches line
  // up phase by phase (pure-collective padding costs nothing).
  size_t width = std::max(dense.size(), expert.size());
  dense.resize(width);
  expert.resize(width);
  std::vector<PhaseTime> program;
  program.reserve(width * layers + 1);
  for (int64_t i = 0; i < layers; ++i) {
    const std::vector<PhaseTime> &layer = i < layers - moe ? dense : expert;
    program.insert(program.end(), layer.begin(), layer.end());
  }
  if (withHead) {
    Phase head = lmHeadPhase(ctx, l, ffnTokens);
    program.push_back({computeSeconds(head, ctx.hw, ctx.dtype),
                       collectiveSeconds(head.comm, ctx.hw)});
  }
  return program;
}

} // namespace

PlanPoint evaluate(const CostContext &shared, const Layout &l,
                   int64_t batch) {
  // Each rank's view of the hardware when all of the layout's ranks run.
  Hardware hw = shared.hw.sharedBy(l.gpus());
  CostContext ctx{shared.model, hw, shared.dtype, shared.context};
  PlanPoint point;
  point.layout = l;
  point.batch = batch;
  point.memory = memoryPerGpu(ctx, l, batch);
  if (batch < 1 || batch % l.dp != 0 || batch % l.pp != 0 ||
      point.memory.total() > ctx.hw.usableHbmBytes())
    return point;
  point.feasible = true;
  const ModelShape &m = ctx.model;
  double seconds = 0;
  switch (l.strategy) {
  case Strategy::Helix: {
    // Uneven micro-batches: the first batch % M get one more request.
    int64_t mb = std::min<int64_t>(l.microbatches, batch);
    std::vector<std::vector<PhaseTime>> program;
    std::vector<PhaseTime> small, large;
    for (int64_t i = 0; i < mb; ++i) {
      int64_t size = batch / mb + (i < batch % mb ? 1 : 0);
      std::vector<PhaseTime> &cached = size == batch / mb ? small : large;
      if (cached.empty())
        cached = stepProgram(ctx, l, m.layers, double(size), double(size),
                             true);
      program.push_back(cached);
    }
    seconds = stepSeconds(program);
    break;
  }
  case Strategy::DataParallelAttention:
    seconds = stepSeconds({stepProgram(ctx, l, m.layers, double(batch / l.dp),
                                       double(batch), true)});
    break;
  case Strategy::Pipeline: {
    // Each stage runs ceil(L/P) layers on one of the P in-flight
    // micro-batches; a token passes every stage once, plus one activation
    // send per stage boundary.
    double b = double(batch / l.pp);
    int64_t stageLayers = (m.layers + l.pp - 1) / l.pp;
    double stage =
        stepSeconds({stepProgram(ctx, l, stageLayers, b, b, false)});
    Phase head = lmHeadPhase(ctx, l, b);
    Collective send{CollectiveKind::AllToAll, 2, 2,
                    b * m.hidden * activationBytes(ctx.dtype) * 2.0};
    seconds = l.pp * (stage + collectiveSeconds(send, ctx.hw)) +
              computeSeconds(head, ctx.hw, ctx.dtype) +
              collectiveSeconds(head.comm, ctx.hw);
    break;
  }
  case Strategy::TensorParallel:
  case Strategy::Medha:
    seconds = stepSeconds({stepProgram(ctx, l, m.layers, double(batch),
                                       double(batch), true)});
    break;
  }
  point.secondsPerToken = seconds;
  point.tokensPerSecondPerUser = 1.0 / seconds;
  point.tokensPerSecondPerGpu = double(batch) / (seconds * l.gpus());
  return point;
}

} // namespace helix::planner
