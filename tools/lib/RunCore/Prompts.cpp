//===- Prompts.cpp - prompts.json and the decode schedule -----------------===//
#include "RunCore/Prompts.h"
#include "Tokenizer/Tokenizer.h"

#include <cstdint>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace helix::run {

std::optional<std::vector<int64_t>> encodePrompt(const std::string &text,
                                                 const tok::Tokenizer *tokenizer,
                                                 const std::string &where,
                                                 std::string &error) {
  if (!tokenizer) {
    error = where + " is text, but the model directory has no tokenizer.json";
    return std::nullopt;
  }
  std::vector<int64_t> ids = tokenizer->encode(text, /*addSpecial=*/true);
  if (ids.empty()) {
    error = where + " encodes to no tokens";
    return std::nullopt;
  }
  return ids;
}

std::optional<Prompts> loadPrompts(const std::string &path, int64_t vocab,
                                   std::string &error,
                                   const tok::Tokenizer *tokenizer) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read prompts file '" + path + "'";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    error = path + ": prompts must be a JSON list of token-id lists or strings";
    return std::nullopt;
  }
  if (doc.empty()) {
    error = path + ": the prompt list is empty";
    return std::nullopt;
  }
  Prompts prompts;
  for (size_t s = 0; s < doc.size(); ++s) {
    const auto &seq = doc[s];
    std::string where = path + ": prompt " + std::to_string(s);
    if (seq.is_string()) {
      auto ids = encodePrompt(seq.get<std::string>(), tokenizer, where, error);
      if (!ids)
        return std::nullopt;
      prompts.push_back(std::move(*ids));
      continue;
    }
    if (!seq.is_array()) {
      error = where + " is neither a list of token ids nor a string";
      return std::nullopt;
    }
    if (seq.empty()) {
      error = where + " is empty";
      return std::nullopt;
    }
    std::vector<int64_t> ids;
    for (const auto &token : seq) {
      if (!token.is_number_integer()) {
        error = where + " holds " + token.dump() + ", not an integer token id";
        return std::nullopt;
      }
      int64_t id = token.get<int64_t>();
      if (id < 0 || id >= vocab) {
        error = where + " holds token id " + std::to_string(id) +
                ", outside the vocabulary [0, " + std::to_string(vocab) + ")";
        return std::nullopt;
      }
      ids.push_back(id);
    }
    prompts.push_back(std::move(ids));
  }
  return prompts;
}

int64_t stepsNeeded(const Prompts &prompts, int64_t newTokens) {
  size_t longest = 0;
  for (const auto &p : prompts)
    longest = std::max(longest, p.size());
  // Saturates instead of overflowing: callers compare it with limits.
  const int64_t prompt = static_cast<int64_t>(longest) - 1;
  return newTokens > INT64_MAX - prompt ? INT64_MAX : prompt + newTokens;
}

} // namespace helix::run
