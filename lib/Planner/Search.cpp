//===- Search.cpp - Enumerate layouts and batches per strategy ------------===//
#include "helix/Planner/Search.h"

#include <cmath>

namespace helix::planner {

namespace {

std::vector<int64_t> divisorsUpTo(int64_t n, int64_t limit) {
  std::vector<int64_t> out;
  for (int64_t d = 1; d <= n && d <= limit; ++d)
    if (n % d == 0)
      out.push_back(d);
  return out;
}

void addIfValid(const ModelShape &m, const Layout &l,
                std::vector<Layout> &out) {
  if (layoutProblem(m, l).empty())
    out.push_back(l);
}

/// FFN splits tpf x ep of `group` GPUs (ep = 1 for dense models).
std::vector<std::pair<int64_t, int64_t>> ffnSplits(const ModelShape &m,
                                                   int64_t group) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t ep : divisorsUpTo(group, group))
    if (ep == 1 || m.moeLayers > 0)
      out.push_back({group / ep, ep});
  return out;
}

} // namespace

std::vector<Layout> enumerateLayouts(const ModelShape &m, Strategy strategy,
                                     int64_t maxGpus) {
  std::vector<Layout> out;
  for (int64_t n = 1; n <= maxGpus; ++n) {
    switch (strategy) {
    case Strategy::Helix:
      for (int64_t tpa : divisorsUpTo(m.kvHeads, n)) {
        if (n % tpa)
          continue;
        for (auto [tpf, ep] : ffnSplits(m, n))
          for (int64_t mb : {1, 2, 4, 8})
            addIfValid(m,
                       Layout{Strategy::Helix, n / tpa, tpa, 1, tpf, ep, 1, mb,
                              m.mla},
                       out);
      }
      break;
    case Strategy::TensorParallel:
      addIfValid(m, Layout{strategy, 1, n, 1, n, 1, 1, 1, false}, out);
      break;
    case Strategy::Pipeline:
      for (int64_t tp : divisorsUpTo(n, n))
        if (n / tp >= 2)
          addIfValid(m, Layout{strategy, 1, tp, 1, tp, 1, n / tp, 1, false},
                     out);
      break;
    case Strategy::DataParallelAttention:
      for (int64_t tpa : divisorsUpTo(m.kvHeads, n)) {
        if (n % tpa || n / tpa < 2)
          continue;
        for (auto [tpf, ep] : ffnSplits(m, n))
          addIfValid(m, Layout{strategy, 1, tpa, n / tpa, tpf, ep, 1, 1, false},
                     out);
      }
      break;
    case Strategy::Medha:
      for (int64_t tpa : divisorsUpTo(m.kvHeads, n)) {
        if (n % tpa || n / tpa < 2)
          continue;
        addIfValid(m, Layout{strategy, n / tpa, tpa, 1, tpa, 1, 1, 1, m.mla},
                   out);
      }
      break;
    }
  }
  return out;
}

std::vector<int64_t> batchSweep(int64_t unit, int64_t maxBatch) {
  std::vector<int64_t> out;
  for (int64_t k = 1; k * unit <= maxBatch;) {
    out.push_back(k * unit);
    k = k < 16 ? k + 1 : int64_t(std::ceil(k * 1.125));
  }
  return out;
}

std::vector<PlanPoint> sweep(const CostContext &ctx,
                             const std::vector<Layout> &layouts) {
  std::vector<PlanPoint> points;
  for (const Layout &l : layouts) {
    for (int64_t batch : batchSweep(l.dp * l.pp)) {
      if (batch < l.microbatches)
        continue; // the same point as fewer micro-batches
      PlanPoint p = evaluate(ctx, l, batch);
      if (!p.feasible)
        break; // memory only grows with the batch
      points.push_back(p);
    }
  }
  return points;
}

} // namespace helix::planner
