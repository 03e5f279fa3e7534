//===- Planner.cpp - All strategies, their frontiers and the headline -----===//
#include "helix/Planner/Planner.h"

#include "helix/Planner/Search.h"

namespace helix::planner {

const std::vector<PlanPoint> &
PlanResult::frontier(const std::string &key) const {
  static const std::vector<PlanPoint> empty;
  for (const auto &[name, points] : frontiers)
    if (name == key)
      return points;
  return empty;
}

PlanResult plan(const PlanRequest &request) {
  CostContext ctx{request.model, request.hardware, request.dtype,
                  request.context};
  PlanResult result;

  std::vector<PlanPoint> helix =
      sweep(ctx, enumerateLayouts(request.model, Strategy::Helix,
                                  request.maxGpus));
  std::vector<PlanPoint> plain;
  for (const PlanPoint &p : helix)
    if (p.layout.microbatches == 1)
      plain.push_back(p);
  result.configurations += int64_t(helix.size());

  // The paper's baseline set (TP, PP, DP attention + EP, Medha KVP).
  std::vector<std::pair<std::string, std::vector<PlanPoint>>> baselines;
  std::vector<PlanPoint> baselineAll;
  for (Strategy s : {Strategy::TensorParallel, Strategy::Pipeline,
                     Strategy::DataParallelAttention, Strategy::Medha}) {
    std::vector<PlanPoint> points =
        sweep(ctx, enumerateLayouts(request.model, s, request.maxGpus));
    result.configurations += int64_t(points.size());
    baselineAll.insert(baselineAll.end(), points.begin(), points.end());
    baselines.push_back({strategyKey(s), paretoFrontier(points)});
  }

  result.frontiers.push_back({"helix", paretoFrontier(helix)});
  result.frontiers.push_back({"helix_no_hopb", paretoFrontier(plain)});
  result.frontiers.push_back({"baseline", paretoFrontier(baselineAll)});
  result.frontiers.insert(result.frontiers.end(), baselines.begin(),
                          baselines.end());
  result.headline = headline(result.frontier("helix"),
                             result.frontier("helix_no_hopb"),
                             result.frontier("baseline"));
  return result;
}

std::optional<PlanPoint> bestWithin(const PlanResult &result,
                                    const std::string &key,
                                    double msPerToken) {
  std::optional<PlanPoint> best;
  for (const PlanPoint &p : result.frontier(key))
    if (p.secondsPerToken * 1e3 <= msPerToken &&
        (!best || p.tokensPerSecondPerGpu > best->tokensPerSecondPerGpu))
      best = p;
  return best;
}

} // namespace helix::planner
