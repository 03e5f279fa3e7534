//===- Decoder.cpp - tokenizer.json "decoder" -----------------------------===//
#include "Tokenizer/Decoder.h"
#include "Tokenizer/ByteLevel.h"
#include "Tokenizer/Normalizer.h"
#include "Tokenizer/Spec.h"
#include "Tokenizer/Utf8.h"

#include <cctype>

namespace helix::tok {
namespace {

/// The code points of valid UTF-8 `text`.
std::u32string codePoints(const std::string &text) {
  std::u32string out;
  for (size_t at = 0; at < text.size();) {
    size_t length = validSequenceLength(text, at);
    if (length == 0) { // raw bytes (a ByteLevel result): not a character
      out.push_back(0xFFFFFFFF);
      ++at;
      continue;
    }
    out.push_back(decodeSequence(text, at, length));
    at += length;
  }
  return out;
}

/// ByteLevel: a token whose characters are all in the byte map is those
/// bytes; any other token is its own UTF-8 (added tokens such as
/// "<｜begin▁of▁sentence｜>"). All tokens become one.
void byteLevel(std::vector<std::string> &tokens) {
  std::string bytes;
  for (const std::string &token : tokens) {
    std::string mapped;
    bool all = true;
    for (char32_t cp : codePoints(token)) {
      auto byte = symbolToByte(cp);
      if (!byte) {
        all = false;
        break;
      }
      mapped.push_back(static_cast<char>(*byte));
    }
    bytes += all ? mapped : token;
  }
  tokens.assign(1, bytes);
}

void byteFallback(std::vector<std::string> &tokens) {
  std::vector<std::string> out;
  std::string run;
  auto flush = [&] {
    if (run.empty())
      return;
    bool valid = true;
    for (size_t at = 0; at < run.size() && valid;) {
      size_t length = validSequenceLength(run, at);
      valid = length > 0;
      at += length;
    }
    if (valid)
      out.push_back(run);
    else
      for (size_t i = 0; i < run.size(); ++i)
        out.push_back("\xEF\xBF\xBD");
    run.clear();
  };
  for (std::string &token : tokens) {
    unsigned char byte;
    if (isByteToken(token, byte)) {
      run.push_back(static_cast<char>(byte));
      continue;
    }
    flush();
    out.push_back(std::move(token));
  }
  flush();
  tokens = std::move(out);
}

/// Drops up to `start` leading and `stop` trailing `content` characters of
/// every token.
void strip(std::vector<std::string> &tokens, char32_t content, size_t start,
           size_t stop) {
  for (std::string &token : tokens) {
    std::u32string cps = codePoints(token);
    size_t from = 0, to = cps.size();
    while (from < start && from < to && cps[from] == content)
      ++from;
    for (size_t n = 0; n < stop && to > from && cps[to - 1] == content; ++n)
      --to;
    std::string out;
    for (size_t i = from; i < to; ++i)
      appendUtf8(out, cps[i]);
    token = std::move(out);
  }
}

char32_t singleCodePoint(const std::string &text) {
  std::u32string cps = codePoints(text);
  return cps.size() == 1 ? cps[0] : 0;
}

bool makeMetaspace(const nlohmann::json &spec, Decoder &out,
                   std::string &error) {
  MetaspaceSpec settings;
  if (!metaspaceSpec(spec, settings, error))
    return false;
  std::string replacement = settings.replacement;
  bool dropInFirst = settings.scheme != "never";
  out = [replacement, dropInFirst](std::vector<std::string> &tokens) {
    for (size_t i = 0; i < tokens.size(); ++i)
      // The reference drops every replacement character of the first
      // token, not only a leading one.
      replaceAll(tokens[i], replacement, i == 0 && dropInFirst ? "" : " ");
  };
  return true;
}

} // namespace

bool isByteToken(const std::string &token, unsigned char &byte) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>' ||
      !std::isxdigit(static_cast<unsigned char>(token[3])) ||
      !std::isxdigit(static_cast<unsigned char>(token[4])))
    return false;
  byte = static_cast<unsigned char>(std::stoi(token.substr(3, 2), nullptr, 16));
  return true;
}

bool makeDecoder(const nlohmann::json &spec, Decoder &out, DecoderInfo &info,
                 std::string &error) {
  if (spec.is_null()) {
    out = [](std::vector<std::string> &tokens) {
      std::string joined;
      for (size_t i = 0; i < tokens.size(); ++i)
        joined += (i ? " " : "") + tokens[i];
      tokens.assign(1, joined);
    };
    return true;
  }
  std::string type = typeOf(spec);
  if (type == "Sequence") {
    std::vector<Decoder> steps;
    auto make = [&info](const nlohmann::json &step, Decoder &made,
                        std::string &why) {
      return makeDecoder(step, made, info, why);
    };
    if (!makeSteps(spec.at("decoders"), make, steps, error))
      return false;
    out = [steps](std::vector<std::string> &tokens) {
      for (const Decoder &step : steps)
        step(tokens);
    };
    return true;
  }
  if (type == "ByteLevel") {
    out = byteLevel;
    return true;
  }
  if (type == "Metaspace")
    return makeMetaspace(spec, out, error);
  if (type == "ByteFallback") {
    info.byteFallback = true;
    out = byteFallback;
    return true;
  }
  if (type == "Fuse") {
    out = [](std::vector<std::string> &tokens) {
      std::string joined;
      for (const std::string &token : tokens)
        joined += token;
      tokens.assign(1, joined);
    };
    return true;
  }
  if (type == "Replace") {
    std::string from, to = spec.at("content").get<std::string>();
    if (!stringPattern(spec.at("pattern"), from, "decoder Replace", error))
      return false;
    out = [from, to](std::vector<std::string> &tokens) {
      for (std::string &token : tokens)
        replaceAll(token, from, to);
    };
    return true;
  }
  if (type == "Strip") {
    char32_t content = singleCodePoint(spec.at("content").get<std::string>());
    size_t start = nonNegative(spec.at("start"));
    size_t stop = nonNegative(spec.at("stop"));
    out = [content, start, stop](std::vector<std::string> &tokens) {
      strip(tokens, content, start, stop);
    };
    return true;
  }
  error = unsupported("decoder", type);
  return false;
}

} // namespace helix::tok
