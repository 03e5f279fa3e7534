//===- Normalizer.h - tokenizer.json "normalizer" ---------------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_NORMALIZER_H
#define HELIX_TOOLS_TOKENIZER_NORMALIZER_H

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>

namespace helix::tok {

/// Rewrites one piece of text (what lies between added tokens).
using Normalizer = std::function<void(std::string &)>;

/// The normalizer `spec` describes (null: none). Supported: Sequence,
/// Prepend, Replace (string patterns); anything else fails with `error`
/// naming it.
bool makeNormalizer(const nlohmann::json &spec, Normalizer &out,
                    std::string &error);

/// Replaces every occurrence of `from` in `text` by `to`.
void replaceAll(std::string &text, const std::string &from,
                const std::string &to);

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_NORMALIZER_H
