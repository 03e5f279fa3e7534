//===- AutoLayout.cpp - The best Helix layout for a world size ------------===//
#include "helix/Planner/AutoLayout.h"

#include "helix/Planner/Evaluate.h"
#include "helix/Planner/Search.h"

namespace helix::planner {

std::optional<HelixLayoutChoice>
chooseHelixLayout(const ModelConfig &config, const std::string &hardware,
                  int64_t contextTokens, int64_t worldSize, std::string &error,
                  int64_t batch, Dtype dtype) {
  if (worldSize < 1 || contextTokens < 1 || batch < 1) {
    error = "auto layout needs a world size, context and batch of at least 1";
    return std::nullopt;
  }
  std::optional<Hardware> hw = loadHardware(hardware, error);
  if (!hw)
    return std::nullopt;
  ModelShape shape = shapeOf(config);
  CostContext ctx{shape, *hw, dtype, contextTokens};

  std::optional<PlanPoint> best;
  bool anyValid = false;
  for (const Layout &l : enumerateLayouts(shape, Strategy::Helix, worldSize)) {
    if (l.gpus() != worldSize || l.microbatches > batch)
      continue;
    anyValid = true;
    PlanPoint p = evaluate(ctx, l, batch);
    // Strictly faster only: ties keep the simpler (earlier) layout.
    if (p.feasible &&
        (!best || p.secondsPerToken < best->secondsPerToken * (1 - 1e-9)))
      best = p;
  }
  if (!best) {
    error = anyValid
                ? "no Helix layout of " + std::to_string(worldSize) +
                      " ranks fits the model and a " +
                      std::to_string(contextTokens) + "-token KV cache in " +
                      hw->name + " memory"
                : "no valid Helix layout for world size " +
                      std::to_string(worldSize) +
                      " (it must divide the query heads, and the FFN/expert "
                      "counts must split evenly)";
    return std::nullopt;
  }
  HelixLayoutChoice choice;
  choice.layout = best->layout.helix();
  choice.latentMerge = best->layout.latentMerge;
  choice.msPerToken = best->secondsPerToken * 1e3;
  return choice;
}

} // namespace helix::planner
