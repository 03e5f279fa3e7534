//===- Decode.h - one rank's greedy decode loop ------------------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_DECODE_H
#define HELIX_TOOLS_RUNCORE_DECODE_H

#include "RunCore/Prompts.h"
#include "helix_rt/helix_rt.h"

namespace helix::run {

struct DecodeResult {
  std::vector<std::vector<int64_t>> tokens; // [batch][newTokens]
  std::vector<float> logits;                // [batch, newTokens, vocab]
  std::vector<double> stepMs;               // wall time of every step
  int64_t weightBytes = 0;                  // this rank's weights
  int64_t cacheBytes = 0;                   // this rank's KV cache shard
};

/// Feeds every prompt token by token (all sequences step together at
/// position t), then decodes greedily until each sequence has `newTokens`
/// new ids. Every rank runs the same loop; only ranks with `record` keep the
/// logits. False with `error` when a step fails.
bool decode(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
            bool record, DecodeResult &result, std::string &error);

/// Median of the step times (ms).
double medianMs(std::vector<double> times);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_DECODE_H
