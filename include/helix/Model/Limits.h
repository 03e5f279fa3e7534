//===- Limits.h - the largest sizes Helix accepts ---------------*- C++ -*-===//
//
// Past any released model by orders of magnitude, so that every product the
// compiler and runtime form (weights, caches, IR per layer) stays far inside
// int64 and a typo fails with a message, not in an allocation. config.json
// (ModelConfig.cpp), helix-run's flags and the helix dialect's verifiers
// check against the same numbers.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_MODEL_LIMITS_H
#define HELIX_MODEL_LIMITS_H

#include <cstdint>

namespace helix::limits {

constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxHidden = int64_t(1) << 20;
constexpr int64_t kMaxIntermediate = int64_t(1) << 22;
constexpr int64_t kMaxHeads = 65536;
constexpr int64_t kMaxHeadDim = 65536;
constexpr int64_t kMaxVocab = int64_t(1) << 24;
constexpr int64_t kMaxPositions = int64_t(1) << 32;
constexpr int64_t kMaxKvLoraRank = 65536;
constexpr int64_t kMaxExperts = 65536;
constexpr int64_t kMaxSharedExperts = 1024;
constexpr int64_t kMaxRanks = 65536;
constexpr int64_t kMaxMicrobatches = 4096;
/// Elements of one tensor's static dimensions (a batch dimension left
/// dynamic is bounded by the run's batch).
constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

} // namespace helix::limits

#endif // HELIX_MODEL_LIMITS_H
