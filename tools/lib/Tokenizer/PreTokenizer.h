//===- PreTokenizer.h - tokenizer.json "pre_tokenizer" ----------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_PRETOKENIZER_H
#define HELIX_TOOLS_TOKENIZER_PRETOKENIZER_H

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace helix::tok {

/// A stretch of text on its way to the model. `atStart`: it begins at the
/// start of the input (Metaspace's prepend_scheme "first" looks at that).
struct Piece {
  std::string text;
  bool atStart = false;
};

/// Splits (and may rewrite) pieces; the model then encodes each piece alone.
using PreTokenizer = std::function<void(std::vector<Piece> &)>;

/// The pre-tokenizer `spec` describes (null: none). Supported: Sequence,
/// Split (regex or string, every behavior but Contiguous, no invert),
/// ByteLevel, Metaspace; anything else fails with `error` naming it.
bool makePreTokenizer(const nlohmann::json &spec, PreTokenizer &out,
                      std::string &error);

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_PRETOKENIZER_H
