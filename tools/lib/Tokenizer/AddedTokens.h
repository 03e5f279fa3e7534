//===- AddedTokens.h - added and special tokens, matched first --*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_ADDEDTOKENS_H
#define HELIX_TOOLS_TOKENIZER_ADDEDTOKENS_H

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace helix::tok {

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool special = false;
  bool normalized = false; // matched in normalized text, not the raw input
  bool lstrip = false;     // swallows the whitespace before it
  bool rstrip = false;     // swallows the whitespace after it
};

/// A stretch of text: an added token (id >= 0) or text for the model.
struct Span {
  std::string text;
  int64_t id = -1;
  size_t offset = 0; // where it starts in the text it was cut from
};

/// tokenizer.json's "added_tokens". They are cut out of the text before
/// anything else: at every position the longest one that starts there, the
/// leftmost position first (as the reference's leftmost-longest matcher).
class AddedTokens {
public:
  bool load(const nlohmann::json &list, std::string &error);

  /// Cuts the tokens with `normalized` == this flag out of `text`.
  std::vector<Span> split(std::string_view text, bool normalized) const;

  const AddedToken *byId(int64_t id) const;
  const std::vector<AddedToken> &all() const { return tokens; }

private:
  std::vector<AddedToken> tokens;
  std::unordered_map<int64_t, size_t> indexOfId;
  // Tokens by their first byte, longest first.
  std::vector<size_t> byFirstByte[256];
};

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_ADDEDTOKENS_H
