//===- Utf8.cpp - UTF-8 code points, lossy conversion ---------------------===//
#include "Tokenizer/Utf8.h"

namespace helix::tok {
namespace {

constexpr const char *kReplacement = "\xEF\xBF\xBD"; // U+FFFD

/// The range the second byte of a sequence led by `lead` must fall in, and
/// the sequence's length (0 for a byte that cannot lead one).
struct Lead {
  size_t length;
  unsigned char low, high;
};

Lead leadOf(unsigned char lead) {
  if (lead < 0x80)
    return {1, 0, 0};
  if (lead >= 0xC2 && lead <= 0xDF)
    return {2, 0x80, 0xBF};
  if (lead == 0xE0)
    return {3, 0xA0, 0xBF};
  if (lead == 0xED)
    return {3, 0x80, 0x9F}; // no surrogates
  if (lead >= 0xE1 && lead <= 0xEF)
    return {3, 0x80, 0xBF};
  if (lead == 0xF0)
    return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3)
    return {4, 0x80, 0xBF};
  if (lead == 0xF4)
    return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

/// Bytes at `at` that form a well-formed prefix of a sequence (at least 1
/// for a valid lead), and the full length that sequence needs.
size_t wellFormedPrefix(std::string_view text, size_t at, size_t &need) {
  Lead lead = leadOf(static_cast<unsigned char>(text[at]));
  need = lead.length;
  if (need <= 1)
    return need;
  size_t n = 1;
  for (; n < need && at + n < text.size(); ++n) {
    auto byte = static_cast<unsigned char>(text[at + n]);
    unsigned char low = n == 1 ? lead.low : 0x80;
    unsigned char high = n == 1 ? lead.high : 0xBF;
    if (byte < low || byte > high)
      break;
  }
  return n;
}

} // namespace

void appendUtf8(std::string &out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t validSequenceLength(std::string_view text, size_t at) {
  size_t need = 0;
  size_t have = wellFormedPrefix(text, at, need);
  return need != 0 && have == need ? need : 0;
}

char32_t decodeSequence(std::string_view text, size_t at, size_t length) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  if (length == 1)
    return byte(0);
  char32_t cp = byte(0) & (0x7F >> length);
  for (size_t i = 1; i < length; ++i)
    cp = (cp << 6) | (byte(i) & 0x3F);
  return cp;
}

std::string toValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t at = 0; at < bytes.size();) {
    size_t need = 0;
    size_t have = wellFormedPrefix(bytes, at, need);
    if (need != 0 && have == need) {
      out.append(bytes.substr(at, need));
      at += need;
    } else {
      // A maximal ill-formed subpart: the well-formed prefix, or one byte.
      out += kReplacement;
      at += have == 0 ? 1 : have;
    }
  }
  return out;
}

size_t incompleteTail(std::string_view bytes) {
  size_t size = bytes.size();
  for (size_t back = 1; back <= 3 && back <= size; ++back) {
    size_t at = size - back;
    auto byte = static_cast<unsigned char>(bytes[at]);
    if ((byte & 0xC0) == 0x80)
      continue; // a continuation byte: look further back for its lead
    size_t need = 0;
    size_t have = wellFormedPrefix(bytes, at, need);
    return need > back && have == back ? back : 0;
  }
  return 0;
}

} // namespace helix::tok
