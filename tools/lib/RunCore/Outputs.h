//===- Outputs.h - out.json and logits.npy, written atomically --*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_OUTPUTS_H
#define HELIX_TOOLS_RUNCORE_OUTPUTS_H

#include "RunCore/Decode.h"

#include <optional>
#include <string>

namespace helix::run {

struct RunSummary {
  std::string layout;   // as compiled
  int64_t worldSize = 1;
  int64_t microbatches = 1;
  int64_t kvBlock = 16;
  std::string launcher;
  double medianMsPerStep = 0; // decode steps
  double prefillTokensPerSecond = 0;
  int64_t prefillChunk = 1;
  double tokensPerSecond = 0;
  int64_t steps = 0;
  const Prompts *prompts = nullptr; // out.json's "prompt_tokens"
  /// out.json's "text" (with a tokenizer): every sequence's new text.
  std::optional<std::vector<std::string>> texts;
};

/// Writes `output` (out.json) and `logitsPath` (.npy) if non-empty: each to
/// a temporary file first, renamed into place only when all succeeded.
bool writeOutputs(const std::string &output, const std::string &logitsPath,
                  const DecodeResult &result, int64_t newTokens, int64_t vocab,
                  const RunSummary &summary, std::string &error);

/// The end of a run on rank 0: fills the timing of `summary` from `result`,
/// writes the outputs, then prints "<tool>: <layout> on N rank(s) (<how>):
/// ... ms/step" and every sequence's new tokens. False with `error` when an
/// output could not be written (nothing printed then).
bool finishRun(const char *tool, const std::string &how, RunSummary summary,
               const DecodeResult &result, const std::string &output,
               const std::string &logitsPath, int64_t newTokens, int64_t vocab,
               std::string &error);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_OUTPUTS_H
