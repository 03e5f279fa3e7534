//===- Prompts.h - prompts.json and the decode schedule ---------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_PROMPTS_H
#define HELIX_TOOLS_RUNCORE_PROMPTS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace helix::run {

using Prompts = std::vector<std::vector<int64_t>>;

/// Reads prompts.json: a non-empty JSON array of non-empty arrays of token
/// ids in [0, vocab). nullopt with a one-line `error` otherwise.
std::optional<Prompts> loadPrompts(const std::string &path, int64_t vocab,
                                   std::string &error);

/// Positions the longest sequence uses to produce `newTokens` (the KV cache
/// context a run needs; also the steps when prompts go token by token): max
/// prompt length - 1 + newTokens.
int64_t stepsNeeded(const Prompts &prompts, int64_t newTokens);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_PROMPTS_H
