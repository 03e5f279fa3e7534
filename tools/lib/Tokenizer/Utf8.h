//===- Utf8.h - UTF-8 code points, lossy conversion -------------*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_UTF8_H
#define HELIX_TOOLS_TOKENIZER_UTF8_H

#include <cstddef>
#include <string>
#include <string_view>

namespace helix::tok {

/// Appends code point `cp` as UTF-8.
void appendUtf8(std::string &out, char32_t cp);

/// Length of the well-formed UTF-8 sequence at `text[at]`, 0 if the bytes
/// there are not one (an invalid lead, a bad continuation, an overlong or
/// surrogate form, or a sequence cut off by the end).
size_t validSequenceLength(std::string_view text, size_t at);

/// Decodes the well-formed sequence of `length` bytes at `text[at]`.
char32_t decodeSequence(std::string_view text, size_t at, size_t length);

/// `bytes` as valid UTF-8: every maximal ill-formed subpart becomes U+FFFD
/// (the Unicode "substitution of maximal subparts" rule, as Rust's
/// String::from_utf8_lossy and Python's errors="replace" do).
std::string toValidUtf8(std::string_view bytes);

/// How many bytes at the end of `bytes` are the start of a sequence that
/// more bytes could still complete (0-3): a streaming decoder holds them.
size_t incompleteTail(std::string_view bytes);

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_UTF8_H
