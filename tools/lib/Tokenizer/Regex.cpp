//===- Regex.cpp - PCRE2 with Unicode properties, JIT-compiled ------------===//
#include "Tokenizer/Regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>

namespace helix::tok {

struct Regex::Impl {
  pcre2_code *code = nullptr;
  pcre2_match_data *match = nullptr;
};

namespace {

/// Rust's and Oniguruma's \uXXXX is PCRE2's \x{XXXX}; other escapes carry
/// over unchanged.
std::string translate(const std::string &pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '\\' || i + 1 >= pattern.size()) {
      out.push_back(pattern[i]);
      continue;
    }
    char next = pattern[i + 1];
    bool hex4 = next == 'u' && i + 5 < pattern.size() &&
                std::isxdigit(static_cast<unsigned char>(pattern[i + 2])) &&
                std::isxdigit(static_cast<unsigned char>(pattern[i + 3])) &&
                std::isxdigit(static_cast<unsigned char>(pattern[i + 4])) &&
                std::isxdigit(static_cast<unsigned char>(pattern[i + 5]));
    if (hex4) {
      out += "\\x{" + pattern.substr(i + 2, 4) + "}";
      i += 5;
    } else {
      out.push_back('\\');
      out.push_back(next);
      ++i;
    }
  }
  return out;
}

} // namespace

std::unique_ptr<Regex> Regex::compile(const std::string &pattern,
                                      std::string &error) {
  std::string translated = translate(pattern);
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code *compiled = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
      PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &code, &offset, nullptr);
  if (!compiled) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof message);
    error = "cannot compile the regex '" + pattern + "' at offset " +
            std::to_string(offset) + ": " + reinterpret_cast<char *>(message);
    return nullptr;
  }
  // The JIT is an optimisation only: without it (a build or a CPU that
  // lacks it) the interpreter matches the same way.
  (void)pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
  std::unique_ptr<Regex> regex(new Regex());
  regex->impl = new Impl{compiled,
                         pcre2_match_data_create_from_pattern(compiled, nullptr)};
  return regex;
}

Regex::~Regex() {
  if (!impl)
    return;
  pcre2_match_data_free(impl->match);
  pcre2_code_free(impl->code);
  delete impl;
}

std::vector<std::pair<size_t, size_t>>
Regex::findAll(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> found;
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = 0;
  while (at <= text.size()) {
    int rc = pcre2_match(impl->code, subject, text.size(), at,
                         PCRE2_NO_UTF_CHECK, impl->match, nullptr);
    if (rc < 0)
      break; // PCRE2_ERROR_NOMATCH, or a match limit: no further pieces
    PCRE2_SIZE *span = pcre2_get_ovector_pointer(impl->match);
    size_t begin = span[0], end = span[1];
    if (end > begin) {
      found.push_back({begin, end});
      at = end;
      continue;
    }
    // An empty match: step over one character.
    if (begin >= text.size())
      break;
    at = begin + 1;
    while (at < text.size() &&
           (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80)
      ++at;
  }
  return found;
}

} // namespace helix::tok
