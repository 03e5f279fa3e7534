//===- Prompts.h - prompts.json and the decode schedule ---------*- C++ -*-===//
#ifndef HELIX_TOOLS_RUNCORE_PROMPTS_H
#define HELIX_TOOLS_RUNCORE_PROMPTS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace helix::tok {
class Tokenizer;
}

namespace helix::run {

using Prompts = std::vector<std::vector<int64_t>>;

/// Reads prompts.json: a non-empty JSON array whose entries are non-empty
/// arrays of token ids in [0, vocab) or, with a `tokenizer`, strings
/// (encoded with the special template, e.g. a BOS). nullopt with a
/// one-line `error` otherwise.
std::optional<Prompts> loadPrompts(const std::string &path, int64_t vocab,
                                   std::string &error,
                                   const tok::Tokenizer *tokenizer = nullptr);

/// A text prompt's ids (the special template applied); nullopt with
/// `error` when there is no tokenizer or the text encodes to nothing.
/// `where` names the prompt in the error.
std::optional<std::vector<int64_t>> encodePrompt(const std::string &text,
                                                 const tok::Tokenizer *tokenizer,
                                                 const std::string &where,
                                                 std::string &error);

/// Positions the longest sequence uses to produce `newTokens` (the KV cache
/// context a run needs; also the steps when prompts go token by token): max
/// prompt length - 1 + newTokens.
int64_t stepsNeeded(const Prompts &prompts, int64_t newTokens);

} // namespace helix::run

#endif // HELIX_TOOLS_RUNCORE_PROMPTS_H
