//===- Decode.h - one rank's greedy decode loop ------------------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_DECODE_H
#define HELIX_TOOLS_RUNCORE_DECODE_H

#include "RunCore/Prompts.h"
#include "RunCore/Sampling.h"
#include "helix_rt/helix_rt.h"

#include <functional>
#include <string>

namespace helix::run {

/// Sees every new token of sequence `s` as it is chosen; `last`: the
/// sequence has ended (a stop token, or its newTokens-th token).
using TokenSink = std::function<void(int64_t s, int64_t token, bool last)>;

/// How tokens are chosen and when a sequence ends.
struct DecodeControl {
  Sampling sampling;             // greedy by default
  std::vector<int64_t> stopIds;  // eos ids: a sequence ends after one
  TokenSink onToken;             // empty: nobody listens
  // This rank's index in the world, for the test hook: with
  // HELIX_TEST_RANK_SIGNAL=STOP or KILL, HELIX_TEST_RANK=R and
  // HELIX_TEST_STEP=N, rank R sends itself SIGSTOP / SIGKILL before its N-th
  // step (0-based), so tests can show how the others end when a peer stalls
  // or dies mid-decode.
  int32_t worldRank = 0;
};

struct DecodeResult {
  std::vector<std::vector<int64_t>> tokens; // [batch][<= newTokens]
  std::vector<std::string> stopReasons;     // "eos" or "length"
  std::vector<float> logits;                // [batch, newTokens, vocab]
  std::vector<double> stepMs;               // wall time of every decode step
  int64_t stepCollectives = 0; // collectives this rank started in them
  double prefillMs = 0;      // wall time of the prompt steps, all together
  int64_t prefillTokens = 0; // prompt tokens those steps ingested
  int64_t weightBytes = 0;                  // this rank's weights
  int64_t weightBytesByDtype[3] = {};       // of those, by helix_dtype
  int64_t cacheBytes = 0;                   // this rank's KV cache shard
  helix_dtype cacheDtype = HELIX_DTYPE_F32; // its element type
  int64_t recordedSteps = 0; // steps recorded as CUDA graphs (StepGraphs.h)
  int64_t replayedSteps = 0; // and steps replayed from them
};

/// Ingests the prompts, then decodes until each sequence has `newTokens`
/// new ids or has produced a stop id (which it keeps as its last token);
/// the others keep stepping, and the loop ends when all have ended. Tokens
/// are the step's argmax when greedy, else drawn from the step's full
/// logits (sampleToken). `prefillChunk` C > 1: each prompt step takes up to C
/// tokens of every sequence still in its prompt (one row per token,
/// helix_rank_step_rows), and a sequence's last prompt row gives its first
/// new token; then every sequence steps one token at a time at its own
/// position. C = 1: all sequences step together at position t, token by
/// token, as a decode step does. Every rank runs the same loop; only ranks
/// with `record` keep the logits. False with `error` when a step fails.
bool decode(helix_rank *rank, const Prompts &prompts, int64_t newTokens,
            int64_t prefillChunk, bool record, const DecodeControl &control,
            DecodeResult &result, std::string &error);

/// Median of the step times (ms).
double medianMs(std::vector<double> times);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_DECODE_H
