//===- Regex.h - PCRE2 with Unicode properties, JIT-compiled ----*- C++ -*-===//
//
// The pre-tokenizers' split patterns (\p{L}, \p{N}, lookahead, (?i:...))
// need a real Unicode regex engine; Debian's PCRE2 is one, and its JIT makes
// the split cheap. Patterns are compiled in UTF + UCP mode.
//
//===----------------------------------------------------------------------===//
#ifndef HELIX_TOOLS_TOKENIZER_REGEX_H
#define HELIX_TOOLS_TOKENIZER_REGEX_H

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace helix::tok {

class Regex {
public:
  /// Compiles `pattern` (Oniguruma/Rust syntax as tokenizer.json writes it:
  /// \uXXXX escapes are translated). nullptr with `error` when it fails.
  static std::unique_ptr<Regex> compile(const std::string &pattern,
                                        std::string &error);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  /// Every non-overlapping match in `text` (valid UTF-8), left to right, as
  /// [begin, end) byte offsets; empty matches are skipped.
  std::vector<std::pair<size_t, size_t>> findAll(std::string_view text) const;

private:
  Regex() = default;
  struct Impl;
  Impl *impl = nullptr;
};

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_REGEX_H
