//===- Layout.cpp - A parallel layout of one decode deployment ------------===//
#include "helix/Planner/Layout.h"

namespace helix::planner {

const char *strategyKey(Strategy strategy) {
  switch (strategy) {
  case Strategy::Helix:
    return "helix";
  case Strategy::TensorParallel:
    return "tp";
  case Strategy::Pipeline:
    return "pp";
  case Strategy::DataParallelAttention:
    return "dp_attn_ep";
  case Strategy::Medha:
    return "medha_kvp";
  }
  return "?";
}

std::string Layout::str() const {
  auto kv = [](const char *key, int64_t value) {
    return std::string(key) + "=" + std::to_string(value);
  };
  switch (strategy) {
  case Strategy::Helix:
    return kv("kvp", kvp) + "," + kv("tpa", tpa) + "," + kv("tpf", tpf) +
           "," + kv("ep", ep) + "," + kv("mb", microbatches) +
           (latentMerge ? ",latent" : "");
  case Strategy::TensorParallel:
    return kv("tp", tpa);
  case Strategy::Pipeline:
    return kv("pp", pp) + "," + kv("tp", tpa);
  case Strategy::DataParallelAttention:
    return kv("dp", dp) + "," + kv("tpa", tpa) + "," + kv("tpf", tpf) + "," +
           kv("ep", ep);
  case Strategy::Medha:
    return kv("kvp", kvp) + "," + kv("tpa", tpa) +
           (latentMerge ? ",latent" : "");
  }
  return "?";
}

} // namespace helix::planner
