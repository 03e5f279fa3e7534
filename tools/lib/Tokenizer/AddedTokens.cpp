//===- AddedTokens.cpp - added and special tokens, matched first ----------===//
#include "Tokenizer/AddedTokens.h"
#include "Tokenizer/Spec.h"

#include <algorithm>

namespace helix::tok {
namespace {

/// ASCII whitespace and the multi-byte Unicode spaces an lstrip/rstrip may
/// swallow; returns the byte length of the space at `at` (0: none).
size_t spaceAt(std::string_view text, size_t at) {
  static const char *const kSpaces[] = {
      "\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
      "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85",
      "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
      "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF",
      "\xE2\x81\x9F", "\xE3\x80\x80"};
  char c = text[at];
  if (c == ' ' || (c >= '\t' && c <= '\r'))
    return 1;
  for (const char *space : kSpaces)
    if (text.substr(at).rfind(space, 0) == 0)
      return std::string_view(space).size();
  return 0;
}

size_t spaceBefore(std::string_view text, size_t end) {
  for (size_t length = 1; length <= 3 && length <= end; ++length)
    if (spaceAt(text, end - length) == length)
      return length;
  return 0;
}

} // namespace

bool AddedTokens::load(const nlohmann::json &list, std::string &error) {
  if (list.is_null())
    return true;
  if (!list.is_array()) {
    error = "added_tokens is not a list";
    return false;
  }
  for (const auto &entry : list) {
    AddedToken token;
    token.id = integer(entry.at("id"));
    token.content = entry.at("content").get<std::string>();
    token.special = flag(entry, "special", false);
    token.normalized = flag(entry, "normalized", !token.special);
    token.lstrip = flag(entry, "lstrip", false);
    token.rstrip = flag(entry, "rstrip", false);
    if (flag(entry, "single_word", false)) {
      error = "unsupported added token option 'single_word' (token " +
              nlohmann::json(token.content).dump() + ")";
      return false;
    }
    if (token.content.empty() || token.id < 0) {
      error = "added_tokens: token " + entry.dump() + " is empty or has a negative id";
      return false;
    }
    indexOfId[token.id] = tokens.size();
    tokens.push_back(std::move(token));
  }
  for (size_t i = 0; i < tokens.size(); ++i)
    byFirstByte[static_cast<unsigned char>(tokens[i].content[0])].push_back(i);
  for (auto &bucket : byFirstByte)
    std::sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
      if (tokens[a].content.size() != tokens[b].content.size())
        return tokens[a].content.size() > tokens[b].content.size();
      return a < b;
    });
  return true;
}

const AddedToken *AddedTokens::byId(int64_t id) const {
  auto it = indexOfId.find(id);
  return it == indexOfId.end() ? nullptr : &tokens[it->second];
}

std::vector<Span> AddedTokens::split(std::string_view text,
                                     bool normalized) const {
  std::vector<Span> out;
  size_t textStart = 0; // start of the text not yet emitted
  auto emitText = [&](size_t end) {
    if (end > textStart)
      out.push_back({std::string(text.substr(textStart, end - textStart)), -1,
                     textStart});
  };
  for (size_t at = 0; at < text.size();) {
    const AddedToken *hit = nullptr;
    for (size_t index : byFirstByte[static_cast<unsigned char>(text[at])]) {
      const AddedToken &token = tokens[index];
      if (token.normalized == normalized &&
          text.substr(at).rfind(token.content, 0) == 0) {
        hit = &token;
        break; // longest first
      }
    }
    if (!hit) {
      ++at;
      continue;
    }
    size_t begin = at, end = at + hit->content.size();
    if (hit->lstrip)
      for (size_t n; begin > textStart && (n = spaceBefore(text, begin)) > 0;)
        begin -= n;
    if (hit->rstrip)
      for (size_t n; end < text.size() && (n = spaceAt(text, end)) > 0;)
        end += n;
    emitText(begin);
    out.push_back({std::string(text.substr(begin, end - begin)), hit->id, begin});
    textStart = at = end;
  }
  emitText(text.size());
  return out;
}

} // namespace helix::tok
