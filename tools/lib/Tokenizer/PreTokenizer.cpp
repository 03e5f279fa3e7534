//===- PreTokenizer.cpp - tokenizer.json "pre_tokenizer" ------------------===//
#include "Tokenizer/PreTokenizer.h"
#include "Tokenizer/ByteLevel.h"
#include "Tokenizer/Normalizer.h"
#include "Tokenizer/Regex.h"
#include "Tokenizer/Spec.h"

#include <memory>

namespace helix::tok {
namespace {

using Spans = std::vector<std::pair<size_t, size_t>>;
using Finder = std::function<Spans(std::string_view)>;

enum class Behavior { Isolated, Removed, MergedWithPrevious, MergedWithNext };

struct Segment {
  size_t begin, end;
  bool match;
};

/// `text` cut at the delimiters `found`, laid out as `behavior` says
/// (the Hugging Face SplitDelimiterBehavior rules).
std::vector<Segment> segments(std::string_view text, const Spans &found,
                              Behavior behavior) {
  std::vector<Segment> all;
  size_t at = 0;
  for (auto [begin, end] : found) {
    if (begin > at)
      all.push_back({at, begin, false});
    all.push_back({begin, end, true});
    at = end;
  }
  if (at < text.size())
    all.push_back({at, text.size(), false});
  std::vector<Segment> out;
  bool previousMatch = false;
  switch (behavior) {
  case Behavior::Isolated:
    return all;
  case Behavior::Removed:
    for (const Segment &s : all)
      if (!s.match)
        out.push_back(s);
    return out;
  case Behavior::MergedWithPrevious:
    for (const Segment &s : all) {
      if (s.match && !previousMatch && !out.empty())
        out.back().end = s.end;
      else
        out.push_back(s);
      previousMatch = s.match;
    }
    return out;
  case Behavior::MergedWithNext:
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->match && !previousMatch && !out.empty())
        out.back().begin = it->begin;
      else
        out.push_back(*it);
      previousMatch = it->match;
    }
    return {out.rbegin(), out.rend()};
  }
  return all;
}

/// Replaces every piece by its segments (empty ones dropped); only the
/// first segment of a piece at the start stays at the start.
void splitPieces(std::vector<Piece> &pieces, const Finder &find,
                 Behavior behavior) {
  std::vector<Piece> out;
  for (Piece &piece : pieces) {
    bool first = true;
    for (const Segment &s : segments(piece.text, find(piece.text), behavior)) {
      if (s.end == s.begin)
        continue;
      out.push_back({piece.text.substr(s.begin, s.end - s.begin),
                     piece.atStart && first && s.begin == 0});
      first = false;
    }
  }
  pieces = std::move(out);
}

Finder stringFinder(std::string needle) {
  return [needle](std::string_view text) {
    Spans found;
    for (size_t at = 0;
         !needle.empty() && (at = text.find(needle, at)) != std::string::npos;
         at += needle.size())
      found.push_back({at, at + needle.size()});
    return found;
  };
}

Finder regexFinder(std::shared_ptr<Regex> regex) {
  return [regex](std::string_view text) { return regex->findAll(text); };
}

bool behaviorOf(const std::string &name, Behavior &out, std::string &error) {
  if (name == "Isolated")
    out = Behavior::Isolated;
  else if (name == "Removed")
    out = Behavior::Removed;
  else if (name == "MergedWithPrevious")
    out = Behavior::MergedWithPrevious;
  else if (name == "MergedWithNext")
    out = Behavior::MergedWithNext;
  else {
    error = unsupported("Split behavior", name);
    return false;
  }
  return true;
}

/// GPT-2's split, which ByteLevel applies when use_regex is set.
const char *kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| "
                           "?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

bool makeSplit(const nlohmann::json &spec, PreTokenizer &out,
               std::string &error) {
  if (flag(spec, "invert", false)) {
    error = "unsupported pre-tokenizer 'Split' with invert=true";
    return false;
  }
  Behavior behavior;
  if (!behaviorOf(spec.at("behavior").get<std::string>(), behavior, error))
    return false;
  const nlohmann::json &pattern = spec.at("pattern");
  Finder find;
  if (pattern.contains("Regex")) {
    std::shared_ptr<Regex> regex =
        Regex::compile(pattern.at("Regex").get<std::string>(), error);
    if (!regex)
      return false;
    find = regexFinder(regex);
  } else {
    std::string needle;
    if (!stringPattern(pattern, needle, "pre-tokenizer Split", error))
      return false;
    find = stringFinder(needle);
  }
  out = [find, behavior](std::vector<Piece> &pieces) {
    splitPieces(pieces, find, behavior);
  };
  return true;
}

bool makeByteLevel(const nlohmann::json &spec, PreTokenizer &out,
                   std::string &error) {
  bool prefixSpace = flag(spec, "add_prefix_space", true);
  Finder find;
  if (flag(spec, "use_regex", true)) {
    std::shared_ptr<Regex> regex = Regex::compile(kGpt2Pattern, error);
    if (!regex)
      return false;
    find = regexFinder(regex);
  }
  out = [prefixSpace, find](std::vector<Piece> &pieces) {
    if (prefixSpace)
      for (Piece &piece : pieces)
        if (piece.text.empty() || piece.text[0] != ' ')
          piece.text.insert(0, " ");
    if (find)
      splitPieces(pieces, find, Behavior::Isolated);
    for (Piece &piece : pieces)
      piece.text = bytesToSymbols(piece.text);
  };
  return true;
}

bool makeMetaspace(const nlohmann::json &spec, PreTokenizer &out,
                   std::string &error) {
  MetaspaceSpec settings;
  if (!metaspaceSpec(spec, settings, error))
    return false;
  std::string replacement = settings.replacement, scheme = settings.scheme;
  bool split = flag(spec, "split", true);
  out = [replacement, scheme, split](std::vector<Piece> &pieces) {
    for (Piece &piece : pieces) {
      replaceAll(piece.text, " ", replacement);
      bool prepend = scheme == "always" || (scheme == "first" && piece.atStart);
      if (prepend && piece.text.rfind(replacement, 0) != 0)
        piece.text.insert(0, replacement);
    }
    if (split)
      splitPieces(pieces, stringFinder(replacement), Behavior::MergedWithNext);
  };
  return true;
}

} // namespace

bool makePreTokenizer(const nlohmann::json &spec, PreTokenizer &out,
                      std::string &error) {
  if (spec.is_null()) {
    out = [](std::vector<Piece> &) {};
    return true;
  }
  std::string type = typeOf(spec);
  if (type == "Sequence") {
    std::vector<PreTokenizer> steps;
    if (!makeSteps(spec.at("pretokenizers"), makePreTokenizer, steps, error))
      return false;
    out = [steps](std::vector<Piece> &pieces) {
      for (const PreTokenizer &step : steps)
        step(pieces);
    };
    return true;
  }
  if (type == "Split")
    return makeSplit(spec, out, error);
  if (type == "ByteLevel")
    return makeByteLevel(spec, out, error);
  if (type == "Metaspace")
    return makeMetaspace(spec, out, error);
  error = unsupported("pre-tokenizer", type);
  return false;
}

} // namespace helix::tok
