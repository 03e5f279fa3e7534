//===- ByteLevel.cpp - GPT-2's byte <-> printable character map -----------===//
#include "Tokenizer/ByteLevel.h"
#include "Tokenizer/Utf8.h"

#include <array>

namespace helix::tok {
namespace {

struct Tables {
  std::array<char32_t, 256> symbolOf{};
  std::array<std::string, 256> utf8Of;
};

const Tables &tables() {
  static const Tables t = [] {
    Tables built;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      built.symbolOf[b] = printable ? char32_t(b) : next++;
      appendUtf8(built.utf8Of[b], built.symbolOf[b]);
    }
    return built;
  }();
  return t;
}

} // namespace

std::string bytesToSymbols(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (char c : text)
    out += tables().utf8Of[static_cast<unsigned char>(c)];
  return out;
}

std::optional<unsigned char> symbolToByte(char32_t cp) {
  if (cp < 256 && tables().symbolOf[cp] == cp)
    return static_cast<unsigned char>(cp);
  if (cp >= 256 && cp < 256 + 68)
    for (int b = 0; b < 256; ++b)
      if (tables().symbolOf[b] == cp)
        return static_cast<unsigned char>(b);
  return std::nullopt;
}

} // namespace helix::tok
