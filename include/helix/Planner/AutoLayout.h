//===- AutoLayout.h - The best Helix layout for a world size ----*- C++ -*-===//
//
// The entry point `helix-run --layout auto` (and the sharding pipeline's auto
// option) calls: plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_PLANNER_AUTOLAYOUT_H
#define HELIX_PLANNER_AUTOLAYOUT_H

#include "helix/Model/ModelConfig.h"
#include "helix/Planner/Dtype.h"
#include "helix/Sharding/Layout.h"

#include <cstdint>
#include <optional>
#include <string>

namespace helix::planner {

struct HelixLayoutChoice {
  Layout layout;            // kv_block stays at its default
  bool latentMerge = false; // MLA only: merge partials in latent space
  double msPerToken = 0;    // the planner's estimate at the given batch
};

/// The Helix layout of exactly `worldSize` GPUs (kvp*tpa = tpf*ep =
/// worldSize) with the lowest token-to-token latency for `batch` requests of
/// `contextTokens` tokens on `hardware` (a preset name or a JSON path),
/// among those that fit in memory. Returns nullopt with `error` set to one
/// line when no layout is valid or fits.
std::optional<HelixLayoutChoice>
chooseHelixLayout(const ModelConfig &config, const std::string &hardware,
                  int64_t contextTokens, int64_t worldSize, std::string &error,
                  int64_t batch = 1, Dtype dtype = Dtype::BF16);

} // namespace helix::planner

#endif // HELIX_PLANNER_AUTOLAYOUT_H
