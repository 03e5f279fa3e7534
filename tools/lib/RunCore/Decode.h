//===- Decode.h - one rank's greedy decode loop ------------------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_DECODE_H
#define HELIX_TOOLS_RUNCORE_DECODE_H

#include "RunCore/Prompts.h"
#include "helix_rt/helix_rt.h"

namespace helix::run {

struct DecodeResult {
  std::vector<std::vector<int64_t>> tokens; // [batch][newTokens]
  std::vector<float> logits;                // [batch, newTokens, vocab]
  std::vector<double> stepMs;               // wall time of every decode step
  double prefillMs = 0;      // wall time of the prompt steps, all together
  int64_t prefillTokens = 0; // prompt tokens those steps ingested
  int64_t weightBytes = 0;                  // this rank's weights
  int64_t weightBytesByDtype[3] = {};       // of those, by helix_dtype
  int64_t cacheBytes = 0;                   // this rank's KV cache shard
};

/// Ingests the prompts, then decodes greedily until each sequence has
/// `newTokens` new ids. `prefillChunk` C > 1: each prompt step takes up to C
/// tokens of every sequence still in its prompt (one row per token,
/// helix_rank_step_rows), and a sequence's last prompt row gives its first
/// new token; then every sequence steps one token at a time at its own
/// position. C = 1: all sequences step together at position t, token by
/// token, as a decode step does. Every rank runs the same loop; only ranks
/// with `record` keep the logits. False with `error` when a step fails.
bool decode(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
            int64_t prefillChunk, bool record, DecodeResult &result,
            std::string &error);

/// Median of the step times (ms).
double medianMs(std::vector<double> times);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_DECODE_H
