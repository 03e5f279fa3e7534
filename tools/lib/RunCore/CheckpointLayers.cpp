//===- CheckpointLayers.cpp - config.json's layers against the checkpoint -===//
#include "RunCore/CheckpointLayers.h"

#include <cstdlib>
#include <set>

namespace helix::run {

bool checkCheckpointLayers(const helix_checkpoint *checkpoint, int64_t layers,
                           std::string &error) {
  static const std::string prefix = "model.layers.";
  std::set<int64_t> found;
  for (int64_t i = 0, n = helix_checkpoint_size(checkpoint); i < n; ++i) {
    std::string name = helix_checkpoint_name(checkpoint, i);
    if (name.compare(0, prefix.size(), prefix) != 0)
      continue;
    const char *digits = name.c_str() + prefix.size();
    char *end = nullptr;
    long long layer = std::strtoll(digits, &end, 10);
    if (end != digits && *end == '.' && layer >= 0)
      found.insert(layer);
  }
  const int64_t held = static_cast<int64_t>(found.size());
  const bool contiguous = found.empty() || *found.rbegin() == held - 1;
  if (held == layers && contiguous)
    return true;
  std::string holds =
      found.empty() ? "no decoder layers"
      : contiguous
          ? std::to_string(held) + " decoder layers (model.layers.0 .. " +
                std::to_string(held - 1) + ")"
          : std::to_string(held) + " decoder layers, not numbered 0 .. " +
                std::to_string(held - 1);
  error = "config.json has num_hidden_layers = " + std::to_string(layers) +
          " but the checkpoint holds " + holds;
  return false;
}

} // namespace helix::run
