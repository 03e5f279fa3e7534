//===- ByteLevel.h - GPT-2's byte <-> printable character map ---*- C++ -*-===//
#ifndef HELIX_TOOLS_TOKENIZER_BYTELEVEL_H
#define HELIX_TOOLS_TOKENIZER_BYTELEVEL_H

#include <optional>
#include <string>
#include <string_view>

namespace helix::tok {

/// Byte-level BPE spells every byte as one printable character: printable
/// Latin-1 bytes as themselves, the other 68 as U+0100 onwards (GPT-2's
/// bytes_to_unicode). `text`'s bytes, each as that character's UTF-8.
std::string bytesToSymbols(std::string_view text);

/// The byte a symbol stands for, or nullopt for a code point outside the map.
std::optional<unsigned char> symbolToByte(char32_t cp);

} // namespace helix::tok

#endif // HELIX_TOOLS_TOKENIZER_BYTELEVEL_H
